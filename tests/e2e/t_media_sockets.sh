#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_media_sockets.sh - the shared media sockets (--media-sockets shared, the
# default): a relay port already held refuses the start; under `ulimit -n
# 1024` (soft and hard) 20,000 sessions are created through the control
# socket (build/sessbench, pipelined) and the daemon holds a few dozen
# descriptors, 4,000 more are made and deleted again; the --ports range is
# reserved while it runs (an automatic bind cannot land in it, and a process
# that binds a relay port by hand receives nothing: the relay gets its
# packets) and given back at stop with the sk_lookup link gone.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/media_lib.sh"

ml_need
command -v bpftool >/dev/null || xr_skip "bpftool missing"
ulimit -n 1024
N=20000
PORTS=10000-59999	# 25,000 pairs a relay address
NS_INO=0

reserved() { xr_ns r cat /proc/sys/net/ipv4/ip_local_reserved_ports; }
# sk_lookup links attached to host r's namespace.
sk_links() {
	bpftool -j link show 2>/dev/null |
		jpy 'len([l for l in d if l.get("type") == "netns" and l.get("netns_ino") == int(n)])' \
		n="$NS_INO"
}
# autobind PORT_LO PORT_HI : in host r, with the ephemeral range narrowed to
# PORT_LO..PORT_HI, bind a UDP socket to port 0: prints the port or the error.
autobind() {
	xr_ns r sysctl -qw net.ipv4.ip_local_port_range="$1 $2"
	xr_ns r python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.bind((sys.argv[1], 0)); print(s.getsockname()[1])
except OSError as e:
    print("errno", e.errno)
' "$RA4"
	xr_ns r sysctl -qw net.ipv4.ip_local_port_range="32768 60999"
}

xr_topology
NS_INO=$(stat -L -c %i "/run/netns/${XR_PFX}r")

# ---- a relay port held by another socket: the daemon refuses to start.
xr_bg r "$XR_TMP/holder.log" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 30010))
time.sleep(300)' "$RA4"
holder=$XR_LAST_PID
xr_wait_bound r 30010 "$RA4" || xr_die "holder not bound"
xr_ns r "$XR_BUILD/xrelayd" -f --ctl "$XR_CTL" --pin-dir "$XR_PIN" --media "$RA4" \
	--ports 30000-30019 >"$XR_TMP/busy.log" 2>&1
xr_ok "a relay port in use: the start is refused" test $? -ne 0
xr_ok "a relay port in use: the log names it" \
	grep -q "media port 30010 (--ports 30000-30019) is already in use" "$XR_TMP/busy.log"
xr_eq "a relay port in use: nothing reserved" "$(reserved)" ""
kill "$holder"; wait "$holder" 2>/dev/null

# ---- 20,000 sessions under ulimit -n 1024.
xr_daemon_start "${ML_XDP_ARGS[@]}" --media "$RA4" --media "$RB4" --ports "$PORTS" \
	--max-media-sessions $((N + 5000))
xr_ok "log: one shared socket for the range" \
	grep -q "media ports $PORTS on $RA4: one shared socket" "$XR_TMP/xrelayd.log"
xr_eq "the range is reserved" "$(reserved)" "$PORTS"
xr_eq "one sk_lookup link on r's namespace" "$(sk_links)" 1
out=$("$XR_BUILD/sessbench" -s "$XR_CTL" -o "$XR_TMP/dsts" $N "$A4:4000" "$B4:5000")
xr_log "sessbench: $out"
xr_eq "$N sessions created" "$(jpy 'd["created"]' <<<"$out")" $N
xr_eq "a relay address for each" "$(sort -u "$XR_TMP/dsts" | wc -l)" $N
xr_eq "stats: $N sessions" "$(xr_ctl --json stats | jpy 'd["media"]["sessions"]')" $N
# media.list at this size: every session once, in the order they were made.
xr_eq "media list: $N sessions, each once, oldest first" \
	"$(xr_ctl --json media list | jpy 'len(d) if [s["id"] for s in d] == sorted({s["id"] for s in d}) else "unsorted or repeated"')" $N
nfd=$(ls "/proc/$XR_DAEMON_PID/fd" | wc -l)
xr_ok "the daemon holds few descriptors with $N sessions ($nfd < 200)" test "$nfd" -lt 200
xr_ok "one more session relays both ways" ml_create "$A4:7000" "$B4:7002"
ml_exchange shared "$A4:7000" "$ML_RA" "$B4:7002" "$ML_RB" 50 50
# 4,000 more made and deleted again, pipelined: the counts are back.
out=$("$XR_BUILD/sessbench" -s "$XR_CTL" -d 4000 "$A4:4100" "$B4:5100")
xr_log "sessbench -d: $out"
xr_eq "4000 more created and deleted" "$(jpy '"%d %d" % (d["created"], d["deleted"])' <<<"$out")" \
	"4000 4000"
xr_eq "sessions back to $((N + 1))" "$(xr_ctl --json stats | jpy 'd["media"]["sessions"]')" \
	$((N + 1))
xr_eq "flows back to $((4 * (N + 1)))" "$(xr_ctl --json status | jpy 'd["counts"]["flows"]')" \
	$((4 * (N + 1)))

# ---- the range is enforced while the daemon runs.
xr_eq "an automatic bind cannot take a relay port" "$(autobind 30000 30009)" "errno 98"
sq_port=59990	# no session holds it: XDP has no flow for it and passes it up
xr_bg r "$XR_TMP/squatter.json" python3 -c '
import json, socket, sys, time, os
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], int(sys.argv[2])))
s.setblocking(False); n = 0
for _ in range(600):
    if os.path.exists(sys.argv[3]):
        break
    time.sleep(0.05)
while True:
    try:
        s.recv(2048); n += 1
    except BlockingIOError:
        break
print(json.dumps({"received": n}))' "$RA4" "$sq_port" "$XR_TMP/squatter.stop"
sq=$XR_LAST_PID
xr_wait_bound r "$sq_port" "$RA4" || xr_die "squatter not bound"
rx0=$(xr_ctl --json stats | jpy 'd["media"]["userspace"]["rx_packets"]')
xr_ns a python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 7000))
for i in range(5):
    s.sendto(b"\x80\x00" + bytes(40), (sys.argv[2], int(sys.argv[3])))' "$A4" "$RA4" "$sq_port"
rx=$rx0
for _ in $(seq 1 100); do
	rx=$(xr_ctl --json stats | jpy 'd["media"]["userspace"]["rx_packets"]' 2>/dev/null)
	[ "$((rx - rx0))" -ge 5 ] 2>/dev/null && break
	sleep 0.1
done
xr_ok "packets for a relay port bound by hand elsewhere go to the relay ($((rx - rx0)))" \
	test "$((rx - rx0))" -ge 5
touch "$XR_TMP/squatter.stop"; wait "$sq"
xr_eq "the process that bound it by hand gets none" \
	"$(jpy 'd["received"]' <"$XR_TMP/squatter.json")" 0

# ---- stop: range given back, link gone.
kill -TERM "$XR_DAEMON_PID"; wait "$XR_DAEMON_PID"; rc=$?; XR_DAEMON_PID=
xr_eq "SIGTERM: exits 0" "$rc" 0
xr_eq "stopped: the range is given back" "$(reserved)" ""
xr_eq "stopped: no sk_lookup link left" "$(sk_links)" 0
p=$(autobind 30000 30009)
xr_ok "stopped: an automatic bind may take those ports again ($p)" \
	test "$p" -ge 30000 -a "$p" -le 30009
xr_done
