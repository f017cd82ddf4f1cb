#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sip_mtu.sh - RFC 3261 §18.1.1: a 3 KB INVITE from a caller over UDP is
# over the path MTU (1500 on the testbed: 1300 bytes at most over UDP), so
# xrelayd forwards it over TCP: a SIPp callee that listens on TCP only
# (-t t1) gets it and the call completes.  A next hop whose URI says
# ;transport=udp cannot be switched, and one that refuses TCP cannot take
# it: both 513 Message Too Large.  Counters: udp_to_tcp, too_large.  And a
# request larger than xrelayd takes (64 KiB) is refused 513 too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.sh"
. "$(dirname "$0")/media_lib.sh"	# jpy

sip_setup --route "carol=sip:carol@$B4:5060" \
	--route "dave=sip:dave@$B4:5062;transport=udp" \
	--route "erin=sip:erin@$B4:5064"
px() { xr_ctl_json stats | jpy "d['sip']['$1']"; }

sip_uas uas-tcp uas.xml t1 -m 1
uas=$SIPP_BG_PID
sip_uac uac-big uac_big.xml u1 30 -s carol -m 1 -d 100
xr_eq "a 3 KB INVITE over UDP to a TCP-only callee: sipp exit status" "$?" 0
sipp_reap "$uas"
xr_eq "the callee got it over TCP with our TCP Via and Record-Route (sipp exit)" "$?" 0
xr_eq "udp_to_tcp counted" "$(px udp_to_tcp)" 1
xr_ok "no call left in the dialog table" sip_calls_empty

sip_uac uac-udp-only uac_big_513.xml u1 30 -s dave -m 1
xr_eq "to a next hop that says ;transport=udp: 513 (sipp exit status)" "$?" 0
xr_eq "too_large counted" "$(px too_large)" 1
sip_uac uac-refused uac_big_513.xml u1 30 -s erin -m 1
xr_eq "to a next hop that refuses TCP: 513 (sipp exit status)" "$?" 0
xr_eq "too_large counted again" "$(px too_large)" 2
xr_eq "udp_to_tcp counted for that one too" "$(px udp_to_tcp)" 2
xr_ok "no call left in the dialog table" sip_calls_empty

# A request over our limit (Content-Length 70000 over TCP): 513, then the stream is closed.
code=$(xr_ns a /usr/bin/python3 - $A4 $RA4 <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[2], 5060), timeout=10, source_address=(sys.argv[1], 0))
s.sendall(("INVITE sip:bob@example.com SIP/2.0\r\n"
           "Via: SIP/2.0/TCP %s:5099;branch=z9hG4bKbig1\r\n"
           "From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
           "Call-ID: big-1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
           "Content-Type: application/sdp\r\nContent-Length: 70000\r\n\r\nv=0\r\n"
           % sys.argv[1]).encode())
data = b""
while b"\r\n" not in data:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.split(b" ")[1].decode() if data.startswith(b"SIP/2.0 ") else "none")
PY
)
xr_eq "a request larger than 64 KiB: 513" "$code" 513

xr_ok "xrelayd still running" kill -0 "$XR_DAEMON_PID"
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
