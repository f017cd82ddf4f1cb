#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_ops_metrics.sh - --metrics ADDR:PORT: a scraper on another host gets
# GET /metrics as Prometheus text 0.0.4 (parsed strictly by
# tests/tools/promcheck.py), the same families as `xrelayctl metrics`; HEAD
# works, other paths are 404, other methods 405; a silent client does not
# block the next one; over IPv6 too; a port in use stops start-up with the
# reason.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/media_lib.sh"

ml_need
command -v curl >/dev/null || xr_skip "curl missing"
xr_topology
PORT=19100

PROMCHECK=$XR_ROOT/tests/tools/promcheck.py
[ -f "$PROMCHECK" ] || xr_skip "tests/tools/promcheck.py missing"

# families FILE : the sorted metric family names of an exposition (its TYPE lines).
families() { sed -n 's/^# TYPE \([^ ]*\) .*/\1/p' "$1" | sort | tr '\n' ' '; }

# scrape NS URL OUT [curl args] : "CODE CONTENT-TYPE" of one request, body in OUT.
scrape() {
	local ns=$1 url=$2 out=$3; shift 3
	xr_ns "$ns" curl -sg -m 5 -o "$out" -w '%{http_code} %{content_type}' "$@" "$url"
}

xr_daemon_start --media "$RA4" --media "$RB4" --metrics "$RA4:$PORT"
xr_ok "media create (so media families have a session)" ml_create "$A4:4000" "$B4:5000"
URL="http://$RA4:$PORT/metrics"

xr_eq "GET /metrics from host a: 200, text/plain; version=0.0.4" \
	"$(scrape a "$URL" "$XR_TMP/m.txt")" "200 text/plain; version=0.0.4"
xr_ok "the body parses strictly as Prometheus text (promcheck.py, $(wc -l <"$XR_TMP/m.txt") lines)" \
	python3 "$PROMCHECK" "$XR_TMP/m.txt"
fams=$(families "$XR_TMP/m.txt")
xr_ge "families" "$(wc -w <<<"$fams")" 10
xr_ok "xrelay_media_sessions is 1" grep -qx 'xrelay_media_sessions 1' "$XR_TMP/m.txt"
xr_ctl metrics >"$XR_TMP/ctl.txt"
xr_eq "the same families as xrelayctl metrics" "$(families "$XR_TMP/ctl.txt")" "$fams"

xr_eq "HEAD /metrics: 200, the type, no body" \
	"$(xr_ns a curl -s -m 5 -I -o /dev/null -w '%{http_code} %{content_type} %{size_download}' "$URL")" \
	"200 text/plain; version=0.0.4 0"
xr_eq "GET / : 404" "$(scrape a "http://$RA4:$PORT/" /dev/null | cut -d' ' -f1)" 404
xr_eq "GET /metrics/x : 404" "$(scrape a "$URL/x" /dev/null | cut -d' ' -f1)" 404
xr_eq "GET /metricsx : 404" "$(scrape a "${URL}x" /dev/null | cut -d' ' -f1)" 404
xr_eq "POST /metrics : 405" "$(scrape a "$URL" /dev/null -X POST -d x=1 | cut -d' ' -f1)" 405
xr_ok "405 says Allow: GET, HEAD" \
	bash -c "nsenter --net=/run/netns/${XR_PFX}a curl -s -D - -o /dev/null -X DELETE '$URL' |
		 tr -d '\r' | grep -qx 'Allow: GET, HEAD'"

# A client that connects and says nothing does not hold the next scrape.
xr_ns a python3 -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
time.sleep(4)' "$RA4" "$PORT" &
silent=$!
sleep 0.3
t0=$(date +%s%N)
xr_eq "a scrape beside a silent client: 200" "$(scrape a "$URL" /dev/null | cut -d' ' -f1)" 200
xr_ok "... within a second" [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 1000 ]
wait "$silent"
xr_ok "xrelayd stops cleanly" xr_daemon_stop

# ---- IPv6.
xr_daemon_start --media "$RA6" --metrics "[$RA6]:$PORT"
xr_eq "GET over IPv6 from host a: 200" \
	"$(scrape a "http://[$RA6]:$PORT/metrics" "$XR_TMP/m6.txt")" "200 text/plain; version=0.0.4"
xr_ok "the IPv6 body parses strictly too" python3 "$PROMCHECK" "$XR_TMP/m6.txt"
xr_eq "with the same families" "$(families "$XR_TMP/m6.txt")" "$fams"
xr_ok "xrelayd stops cleanly" xr_daemon_stop

# ---- a port in use: start-up fails with the reason.
xr_ns r python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); time.sleep(6)' "$RA4" "$PORT" &
holder=$!
sleep 0.3
out=$(xr_ns r timeout 10 "$XR_BUILD/xrelayd" -f --ctl "$XR_TMP/c2.sock" --pin-dir "$XR_PIN" \
	--media "$RA4" --metrics "$RA4:$PORT" 2>&1)
rc=$?
xr_eq "port in use: exit 1" "$rc" 1
xr_ok "port in use: the reason names the option" \
	grep -qF -- "--metrics $RA4:$PORT: Address already in use" <<<"$out"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
xr_done
