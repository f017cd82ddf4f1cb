#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_ops_reload.sh - SIGHUP reload with a config file (-c): log levels, limits
# and routes change live, one log line per change; an option that needs a
# restart is named as ignored; a media session and its latched flows (kernel
# and userspace) carry on untouched; a broken file changes nothing and the
# error names file, line and key; a level set with log.level survives a
# reload that does not touch it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/media_lib.sh"

ml_need
xr_topology

CONF=$XR_TMP/xrelay.conf
LOG=$XR_TMP/xrelayd.log

# rpc CMD [ARGS-JSON] : one request on the control socket, the result printed
# as JSON (or the error, exit 1) - independent of xrelayctl's command set.
rpc() {
	python3 - "$XR_CTL" "$1" "${2:-null}" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall((json.dumps({"v": 1, "cmd": sys.argv[2], "args": json.loads(sys.argv[3])}) + "\n").encode())
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
r = json.loads(buf)
if not r.get("ok"):
    print(r.get("error"))
    sys.exit(1)
print(json.dumps(r["result"], separators=(",", ":"), sort_keys=True))
PY
}

# hup_wait N : SIGHUP, then wait (5 s) for the N-th "reload:" summary or failure line.
hup_wait() {
	kill -HUP "$XR_DAEMON_PID"
	local i
	for i in $(seq 1 50); do
		[ "$(grep -c -E 'reload: ([0-9]+ change|.*running configuration unchanged)' "$LOG")" -ge "$1" ] &&
			return 0
		sleep 0.1
	done
	return 1
}

cat >"$CONF" <<EOC
# t_ops_reload: first version
sip = $RA4:5060
media = $RA4
media = $RB4
ports = 30000-39999
route = alice=sip:alice@$B4:5060
media-timeout = 60
tcp-max = 100
min-expires = 60
log-level = sip=info
EOC
xr_daemon_start "${ML_XDP_ARGS[@]}" -c "$CONF"
pid=$XR_DAEMON_PID

xr_eq "log.levels at start: every subsystem at info" \
	"$(rpc log.levels)" \
	'{"ctl":"info","fastpath":"info","main":"info","media":"info","proxy":"info","sip":"info","tx":"info"}'

# A media session with both sides latched, carried by the kernel.
xr_ok "media create $A4:4000 $B4:5000" ml_create "$A4:4000" "$B4:5000"
sid=$ML_SID ra=$ML_RA rb=$ML_RB
ml_exchange before "$A4:4000" "$ra" "$B4:5000" "$rb" 100 100
flows_before=$(xr_ctl --json flows | jpy 'sorted((r["session"], r["side"], r["leg"], r["source"]) for r in d)')
k_before=$(ml_kpkts "$sid" A rtp)
xr_ok "the kernel carried RTP before the reload ($k_before)" [ "$k_before" -ge 90 ]
map_before=$(ml_map_count)

# A level set at run time, which the reload must leave alone.
xr_eq "log.level ctl debug" "$(rpc log.level '{"subsystem":"ctl","level":"debug"}')" \
	'{"level":"debug","previous":"info","subsystem":"ctl"}'

# ---- the new version: live changes, one restart-only change.
cat >"$CONF" <<EOC
# t_ops_reload: second version
sip = $RA4:5060
media = $RA4
media = $RB4
ports = 30000-30999
route = alice=sip:alice@$B4:5070
route = bob=sip:bob@$B4:5060
media-timeout = 120
tcp-max = 200
min-expires = 120
log-level = sip=debug
log-level = media=warn
EOC
xr_ok "SIGHUP: the reload finished" hup_wait 1
xr_ok "the daemon is the same process" kill -0 "$pid"
xr_eq "log.levels: sip debug, media warn, ctl kept at debug, the rest info" \
	"$(rpc log.levels)" \
	'{"ctl":"debug","fastpath":"info","main":"info","media":"warn","proxy":"info","sip":"debug","tx":"info"}'
want_lines=(
	"reload: ports: 30000-39999 -> 30000-30999: ignored, needs a restart"
	"reload: route: alice=sip:alice@$B4:5060 -> alice=sip:alice@$B4:5070, bob=sip:bob@$B4:5060"
	"reload: media-timeout: 60 -> 120"
	"reload: tcp-max: 100 -> 200"
	"reload: min-expires: 60 -> 120"
	"reload: log-level: sip=info -> sip=debug, media=warn"
	"reload: 5 change(s) applied, 1 ignored"
)
for l in "${want_lines[@]}"; do
	xr_eq "log: '$l'" "$(grep -cF -- "$l" "$LOG")" 1
done
xr_eq "no other reload line" "$(grep -c 'reload: ' "$LOG")" "${#want_lines[@]}"
xr_eq "status: media timeout now 120" \
	"$(xr_ctl --json stats | jpy 'd["media"]["media_timeout"]' 2>/dev/null ||
	   xr_ctl --json status | jpy 'd["media"]["media_timeout"]')" 120

# ---- the session and its flows are untouched, and still relay.
xr_eq "media list: the session is still there" \
	"$(xr_ctl --json media list | jpy '[s["id"] for s in (d if isinstance(d, list) else d["sessions"])]')" \
	"[$sid]"
xr_eq "flows: the same flows, latched to the same sources" \
	"$(xr_ctl --json flows | jpy 'sorted((r["session"], r["side"], r["leg"], r["source"]) for r in d)')" \
	"$flows_before"
xr_eq "kernel flow map: the same number of entries" "$(ml_map_count)" "$map_before"
ml_exchange after "$A4:4000" "$ra" "$B4:5000" "$rb" 100 100
xr_ok "the kernel carried the RTP after the reload too" \
	[ "$(( $(ml_kpkts "$sid" A rtp) - k_before ))" -ge 95 ]

# ---- a broken file: nothing changes, the error names file, line and key.
cp "$CONF" "$CONF.good"
sed -i 's/^log-level = media=warn$/log-level = media=error\nmedia-timeout = abc/' "$CONF"
xr_ok "SIGHUP with a broken file: the reload gave up" hup_wait 2
xr_eq "log: the error names file, line and key" \
	"$(grep -cF "reload: $CONF:13: media-timeout = abc: not a number: running configuration unchanged" "$LOG")" 1
xr_eq "log.levels unchanged" "$(rpc log.levels | jpy 'd["media"]')" warn
xr_ok "the daemon still answers" xr_ctl status

# ---- the same file again: nothing to apply, and the restart-only option is
# named again, since it is still not in effect.
cp "$CONF.good" "$CONF"
xr_ok "SIGHUP with the same file" hup_wait 3
xr_eq "log: nothing applied, one still ignored" \
	"$(grep -c 'reload: 0 change(s) applied, 1 ignored' "$LOG")" 1
xr_eq "log: the ignored option named again" \
	"$(grep -c 'reload: ports: 30000-39999 -> 30000-30999: ignored' "$LOG")" 2

xr_ok "media delete $sid" xr_ctl media delete "$sid"
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
