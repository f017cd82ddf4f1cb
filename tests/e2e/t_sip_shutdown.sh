#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sip_shutdown.sh - SIGTERM with INVITEs pending: a caller's INVITEs are
# forwarded to a callee that never answers (its transactions retransmit,
# wait for Timer B), then xrelayd is stopped.  It must exit 0 having freed
# every transaction once, in an order where no callback touches a freed one
# (the use-after-free AddressSanitizer found: txn_shutdown() freed
# transactions whose jobs the gone() callbacks had just queued).  Meant for
# the SAN build too: `make test-san` runs it with OUT=build-san, where any
# ASan/UBSan report fails it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sip_lib.sh"
source "$(dirname "$0")/media_lib.sh"

N=${XR_SHUTDOWN_INVITES:-30}
command -v python3 >/dev/null || xr_skip "python3 missing"
sip_setup --route "bob@example.com=sip:bob@$B4:5099" --pike-rate 0

# The silent callee: reads every datagram on b:5099, answers none.
xr_bg b "$XR_TMP/silent.log" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("'"$B4"'", 5099))
while True:
    s.recv(65535)
'

# invites N : N INVITEs to bob from a (each its own call), with SDP.
invites() {
	xr_ns a python3 -c '
import socket, sys
n, a, r = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((a, 5070))
for i in range(n):
    sdp = ("v=0\r\no=a 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
           "m=audio %d RTP/AVP 0\r\n" % (a, a, 4000 + 2 * i))
    m = ("INVITE sip:bob@example.com SIP/2.0\r\n"
         "Via: SIP/2.0/UDP %s:5070;branch=z9hG4bK-sd-%d\r\n"
         "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a%d\r\n"
         "To: <sip:bob@example.com>\r\nCall-ID: sd-%d@%s\r\nCSeq: 1 INVITE\r\n"
         "Contact: <sip:alice@%s:5070>\r\nContent-Type: application/sdp\r\n"
         "Content-Length: %d\r\n\r\n%s" % (a, i, i, i, a, a, len(sdp), sdp))
    s.sendto(m.encode(), (r, 5060))
print(n)
' "$1" "$A4" "$RA4"
}

fails() { ! "$@"; }
calls() { xr_ctl --json calls | jpy 'len(d if isinstance(d, list) else d["calls"])'; }

xr_eq "a sent $N INVITEs" "$(invites "$N")" "$N"
for i in $(seq 1 50); do
	[ "$(calls)" = "$N" ] && break
	sleep 0.1
done
xr_eq "$N calls pending (forwarded, never answered)" "$(calls)" "$N"
xr_ok "SIGTERM with $N INVITEs pending: xrelayd exits 0" xr_daemon_stop
xr_ok "no AddressSanitizer or UBSan report" \
	fails grep -qE "AddressSanitizer|LeakSanitizer|runtime error:" "$XR_TMP/xrelayd.log"
grep -A 30 -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$XR_TMP/xrelayd.log" |
	head -n 40 | sed 's/^/#   /'
xr_done
