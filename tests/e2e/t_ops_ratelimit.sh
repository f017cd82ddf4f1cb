#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_ops_ratelimit.sh - what a peer can trigger is logged rate-limited: 3000
# malformed SIP datagrams in about a second, with the sip subsystem at debug,
# give a handful of "bad message" lines (LOG_RL_BURST = 5 a second per call
# site and worker thread), and lines counting exactly the ones dropped; the
# daemon counts every message all the same.
source "$(dirname "$0")/lib.sh"

[ -x "$XR_BUILD/xrelayd" ] && [ -x "$XR_BUILD/xrelayctl" ] || xr_skip "build first (make)"
command -v python3 >/dev/null || xr_skip "python3 missing"
PORT=$((20000 + $$ % 10000))
LOG=$XR_TMP/xrelayd.log
N=3000

"$XR_BUILD/xrelayd" -f --media 127.0.0.1 --ports 42200-42299 --ctl "$XR_TMP/ctl.sock" \
	--sip "127.0.0.1:$PORT" --workers 1 --log-level sip=debug >"$LOG" 2>&1 &
XR_DAEMON_PID=$!
XR_PIDS+=("$XR_DAEMON_PID")
ctl() { "$XR_BUILD/xrelayctl" -s "$XR_TMP/ctl.sock" "$@"; }
for _ in $(seq 1 50); do ctl status >/dev/null 2>&1 && break; sleep 0.1; done
xr_ok "xrelayd is up" ctl status >/dev/null

# send COUNT : COUNT garbage datagrams (not SIP) to the relay, 1 ms apart
# every 10, so the flood spans about a second or more.
send() {
	python3 - "$PORT" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    s.sendto(b"GARBAGE %d\r\n\r\n" % i, ("127.0.0.1", int(sys.argv[1])))
    if i % 10 == 9:
        time.sleep(0.003)
PY
}
rx_bad() { ctl --json stats | python3 -c 'import json, sys
d = json.load(sys.stdin); print(d["sip"]["transport"]["rx_bad"])'; }

t0=$(date +%s)
send $N
t1=$(date +%s)
# What the daemon saw (a loaded host may drop a few datagrams): wait until
# the count stands still.
got=-1
for _ in $(seq 1 50); do
	sleep 0.2
	now=$(rx_bad)
	[ "$now" = "$got" ] && break
	got=$now
done
xr_ok "the daemon counted (nearly) every bad message ($got of $N)" [ "$got" -ge $((N * 9 / 10)) ]
secs=$((t1 - t0 + 1))
lines=$(grep -c 'bad message from 127.0.0.1' "$LOG")
xr_ge "the first burst was written" "$lines" 5
xr_ok "at most 5 lines a second were written ($lines in about $secs s)" \
	[ "$lines" -le $((5 * (secs + 1))) ]

# One more, in a later second: first the count of what was dropped, then it.
sleep 1.1
send 1
for _ in $(seq 1 50); do grep -q 'rate limit:' "$LOG" && break; sleep 0.1; done
dropped=$(sed -n 's/.*rate limit: \([0-9]*\) more like "bad message from %s: %d %s" suppressed.*/\1/p' "$LOG" |
	  awk '{ s += $1 } END { print s + 0 }')
# A window that saw more than 5 reports its excess before the next line the
# site writes (mid-flood, or the one just sent for the last window).
xr_eq "lines written + suppressed = messages seen (but the last one, written after)" \
	"$((lines + dropped))" "$got"
xr_eq "the suppression line comes before the new line" \
	"$(grep -E 'rate limit:|bad message' "$LOG" | tail -n 2 | cut -c14- | sed 's/from 127.0.0.1:[0-9]*/from P/; s/: [0-9]* more/: N more/' | tr -s ' ' | cut -d' ' -f3-5)" \
	"rate limit: N
bad message from"
kill -TERM "$XR_DAEMON_PID"; wait "$XR_DAEMON_PID"
xr_eq "xrelayd exits 0" "$?" 0
xr_done
