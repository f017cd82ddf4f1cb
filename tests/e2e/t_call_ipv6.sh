#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_call_ipv6.sh - an anchored call entirely over IPv6, xrelayd with XDP: bob
# registers from fd11:2::2, alice calls from fd11:1::2 to the relay's
# fd11:1::1 (SIP over UDP, SDP "c=IN IP6"); each party's SDP names the relay's
# IPv6 address on its own side (fd11:1::1 to the caller, fd11:2::1 to the
# callee) with ports from the range and a=rtcp; RTP and RTCP both ways arrive
# exactly, from the relay address and port each party sends to, carried by
# the kernel but for the latching packets (flows, stats fwd_redirect); a
# third host's packets (fd11:3::2) reach nobody; after the BYE nothing is
# left (no call, session, flow, kernel map entry, port).
# Then one call whose caller speaks TCP (SIPp -t t1) to [fd11:1::1]:5060: the
# signalling, both SDP rewrites and RTP one way.  Last, an IPv4 caller calls
# bob (registered over IPv6): each SDP in its receiver's family (IP4
# 10.11.1.1 to the caller, IP6 fd11:2::1 to the callee), RTP bridged both
# ways exactly, nothing left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/call_lib.sh"

PLO=30000 PHI=30099	# the media port range given to xrelayd
cl_setup --sip "[$RA6]:5060" --sip "[$RB6]:5060" --media "$RA6" --media "$RB6" \
	--ports "$PLO-$PHI"
cl_xdp_check

# v6_register USER : USER@example.com registers b's SIPp at [fd11:2::2]:5060
# through the relay's callee-side [fd11:2::1]:5060.
v6_register() {
	sipp_fg b "reg6-$1" 15 -sf "$CL_SCEN/reg.xml" -s "$1" -i "$B6" -p 5060 -t u1 -m 1 \
		"[$RB6]:5060"
}
# v6_uas NAME RTP_PORT [sipp args] : the callee's SIPp in b on [fd11:2::2]:5060.
v6_uas() {
	local name=$1 port=$2; shift 2
	cl_sipp b "$name" 300 -sf "$CL_SCEN/v6_uas.xml" -i "$B6" -p 5060 -t u1 \
		-key rtp_port "$port" -m 1 "$@"
	xr_wait_bound b 5060
}
# v6_uac NAME TRANSPORT RTP_PORT [sipp args] : alice in a ([fd11:1::2]:5070)
# calls bob through [fd11:1::1]:5060 (V6_FROM=4: from 10.11.1.2 through
# 10.11.1.1 instead).
v6_uac() {
	local name=$1 tp=$2 port=$3 ip=$A6 proxy="[$RA6]:5060"; shift 3
	[ "${V6_FROM:-6}" = 4 ] && ip=$A4 proxy="$RA4:5060"
	cl_sipp a "$name" 300 -sf "$CL_SCEN/v6_uac.xml" -i "$ip" -p 5070 -t "$tp" \
		-rsa "$proxy" -s bob -key rtp_port "$port" -m 1 "$@" "$proxy"
}
# v6_hangup ID TRANSPORT : make the caller of call ID (v6_uac.xml in a on
# port 5070; V6_FROM=4: on 10.11.1.2) hang up: an OPTIONS with the call's
# Call-ID sent to it from its own host, over UDP (u1) or TCP (t1).
v6_hangup() {
	local callid ip=$A6
	[ "${V6_FROM:-6}" = 4 ] && ip=$A4
	callid=$(cl_calls | jpy '[c["callid"] for c in d if c["id"] == int(i)][0]' i="$1") || {
		xr_log "v6_hangup: no call $1"; return 1; }
	xr_ns a python3 -c '
import socket, sys, time
h, tp, cid = sys.argv[1:4]
fam = socket.AF_INET6 if ":" in h else socket.AF_INET
hh = "[%s]" % h if fam == socket.AF_INET6 else h
m = ("OPTIONS sip:alice@%s:5070 SIP/2.0\r\nVia: SIP/2.0/%s %s:5999;branch=z9hG4bK-hangup\r\n"
     "From: <sip:test@example.com>;tag=hangup\r\nTo: <sip:alice@example.com>\r\n"
     "Call-ID: %s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 0\r\nContent-Length: 0\r\n\r\n"
     % (hh, "TCP" if tp == "t1" else "UDP", hh, cid)).encode()
if tp == "t1":
    s = socket.create_connection((h, 5070), timeout=2); s.sendall(m); time.sleep(0.3); s.close()
else:
    socket.socket(fam, socket.SOCK_DGRAM).sendto(m, (h, 5070))' "$ip" "$2" "$callid"
}
# v6_sdp_line NAME REGEX LINE-PREFIX : the SDP lines starting with
# LINE-PREFIX (e.g. "c=") in the first message received by SIPp NAME whose
# start line matches REGEX, joined by " / ".
v6_sdp_line() {
	python3 - "$XR_TMP/$1.msg" "$2" "$3" <<'EOF'
import os, re, sys
path, rx, pfx = sys.argv[1:4]
text = open(path, errors="replace").read() if os.path.exists(path) else ""
for blk in re.split(r"\n-{20,}[^\n]*\n", "\n" + text):
    lines = blk.replace("\r", "").split("\n")
    if not lines or "received" not in lines[0]:
        continue
    body = [l.strip() for l in lines[1:]]
    while body and not body[0]:
        body.pop(0)
    if not body or not re.search(rx, body[0]) or "v=0" not in body:
        continue
    print(" / ".join(l for l in body[body.index("v=0"):] if l.startswith(pfx)))
    break
EOF
}
# in_range ADDR:PORT : the port is an even RTP port of the range.
in_range() {
	local p; p=$(ml_port "$1")
	[ "$p" -ge "$PLO" ] && [ "$p" -le "$PHI" ] && [ $((p % 2)) -eq 0 ]
}
# v6_sdp_checks LABEL NAME REGEX RELAY ADDR:PORT : the SDP that SIPp NAME got
# in the message matching REGEX names the relay's IPv6 address RELAY and the
# relay port of ADDR:PORT, IN IP6, with a=rtcp on port + 1 at the same address.
v6_sdp_checks() {
	local label=$1 name=$2 rx=$3 relay=$4 rp; rp=$(ml_port "$5")
	cl_sdp_check "$label" "$name" received "$rx" "$relay" "$rp"
	xr_eq "$label: the c= line" "$(v6_sdp_line "$name" "$rx" c=)" "c=IN IP6 $relay"
	xr_eq "$label: the a=rtcp line (RFC 3605, the relay's IPv6 address)" \
		"$(v6_sdp_line "$name" "$rx" a=rtcp)" "a=rtcp:$((rp + 1)) IN IP6 $relay"
	xr_eq "$label: the m= line" "$(v6_sdp_line "$name" "$rx" m=)" "m=audio $rp RTP/AVP $6"
}

v6_register bob
xr_ok "REGISTER bob from [$B6]:5060 over IPv6" [ $? -eq 0 ]
xr_ok "regs: bob's contact is [$B6]:5060" \
	grep -q "sip:bob@\[$B6\]:5060" <<<"$(xr_ctl --json regs)"

N=200
# ---- the call over UDP: SDP both ways, RTP and RTCP both ways, kernel path.
v6_uas udp-uas 5100; uas=$CL_PID
v6_uac udp-uac u1 4100; uac=$CL_PID
id=$(cl_wait_call confirmed)
xr_ok "udp: the call is confirmed in \`calls\`" [ -n "$id" ]
ar= br=
if [ -n "$id" ] && cl_wait_media "$id"; then
	sid=$CL_SID ar=$CL_AR br=$CL_BR
	xr_log "udp: call $id, session $sid: a sends to $ar, b sends to $br"
	xr_eq "udp: caller's relay address is fd11:1::1 (faces a)" "$(ml_host "$ar")" "$RA6"
	xr_eq "udp: callee's relay address is fd11:2::1 (faces b)" "$(ml_host "$br")" "$RB6"
	xr_ok "udp: caller's relay port $ar is an RTP port of $PLO-$PHI" in_range "$ar"
	xr_ok "udp: callee's relay port $br is an RTP port of $PLO-$PHI" in_range "$br"
	xr_eq "udp: call show: the caller's SDP address" "$(cl_m "$id" 'm["caller"]["remote"]')" \
		"[$A6]:4100"
	xr_eq "udp: call show: the callee's SDP address" "$(cl_m "$id" 'm["callee"]["remote"]')" \
		"[$B6]:5100"
	fwd0=$(ml_counter fwd_redirect)
	cl_rtp udp-rtp "[$A6]:4100" "$ar" "[$B6]:5100" "$br" $N $N $N
	cl_kernel_only "udp: RTP" "$sid" $N
	xr_eq "udp: call show: both parties latched, both paths the kernel" \
		"$(cl_m "$id" '"%s %s %s" % (m["caller"]["latched"] and m["callee"]["latched"],
			m["caller"]["path"], m["callee"]["path"])')" "True kernel kernel"
	xr_eq "udp: flows: side A latched to the caller, side B to the callee" \
		"$(ml_flow "$sid" "$(cl_side_of "$sid" "$ar")" rtp 'r["source"]') $(ml_flow "$sid" "$(cl_side_of "$sid" "$br")" rtp 'r["source"]')" \
		"[$A6]:4100 [$B6]:5100"
	xr_ge "udp: stats fwd_redirect rose by both directions but the latching packets" \
		"$(( $(ml_counter fwd_redirect) - fwd0 ))" $((2 * N - 10))
	cl_rtp udp-rtcp "[$A6]:4101" "$(ml_rtcp "$ar")" "[$B6]:5101" "$(ml_rtcp "$br")" 30 30 30 --rtcp
	ml_check_accounting "udp: RTCP" "$sid" rtcp 30 xdp
	# m (fd11:3::2) sends to both relay ports of the latched call: IPv6
	# wrong source, reaches nobody, counted by XDP and dropped by the daemon.
	sa=$(cl_side_of "$sid" "$ar") sb=$(cl_side_of "$sid" "$br")
	w0=$(ml_wrong_src) x0=$(ml_counter drop_wrong_source)
	d0=$(( $(ml_udrop_src "$sid" "$sa" rtp) + $(ml_udrop_src "$sid" "$sb" rtp) ))
	cl_sink a "[$A6]:4100" "$XR_TMP/v6m.a.json"
	cl_sink b "[$B6]:5100" "$XR_TMP/v6m.b.json"
	ml_rtp m "$XR_TMP/v6m.m1.json" --bind "[$M6]:4100" --to "$ar" --count 50 --rate 500 --wait 0.8
	ml_rtp m "$XR_TMP/v6m.m2.json" --bind "[$M6]:5100" --to "$br" --count 50 --rate 500 --wait 0.8
	ml_wait
	xr_eq "udp: m's 100 packets reached neither party nor came back to m" \
		"$(cl_rx "$XR_TMP/v6m.a.json") $(cl_rx "$XR_TMP/v6m.b.json") $(cl_rx "$XR_TMP/v6m.m1.json") $(cl_rx "$XR_TMP/v6m.m2.json")" \
		"0 0 0 0"
	xr_eq "udp: m's 100 dropped as wrong source (XDP + the daemon's sampled share)" \
		"$(( $(ml_udrop_src "$sid" "$sa" rtp) + $(ml_udrop_src "$sid" "$sb" rtp) - d0 +
		    $(ml_counter drop_wrong_source) - x0 ))" 100
	xr_ge "udp: XDP counted them as wrong source" "$(( $(ml_wrong_src) - w0 ))" 100
	xr_ge "udp: XDP dropped most of them (drop_wrong_source)" \
		"$(( $(ml_counter drop_wrong_source) - x0 ))" 50
	xr_eq "udp: both RTP ports still latched to the parties" \
		"$(ml_flow "$sid" "$sa" rtp 'r["source"]') $(ml_flow "$sid" "$sb" rtp 'r["source"]')" \
		"[$A6]:4100 [$B6]:5100"
else
	xr_ok "udp: the call's media is anchored (call show lists both parties)" false
fi
[ -n "$id" ] && v6_hangup "$id" u1
cl_reap udp-uac "$uac" 20
cl_reap udp-uas "$uas" 10
if [ -n "$ar" ]; then
	v6_sdp_checks "udp: the 200 the caller got" udp-uac '^SIP/2.0 200' "$RA6" "$ar" 0
	v6_sdp_checks "udp: the INVITE the callee got" udp-uas '^INVITE' "$RB6" "$br" "0 8"
	xr_ok "udp: the INVITE reached the callee from the relay's [$RB6]:5060 (top Via)" \
		grep -q "^Via: SIP/2.0/UDP \[$RB6\]:5060;" "$XR_TMP/udp-uas.msg"
fi
cl_check_clean "udp: after the BYE"
if [ -n "$ar" ]; then
	cl_rtp udp-after "[$A6]:4100" "$ar" "[$B6]:5100" "$br" 30 0 0
fi

# ---- the caller over TCP (one connection, -t t1), the callee over UDP.
v6_uas tcp-uas 5200; uas=$CL_PID
v6_uac tcp-uac t1 4200; uac=$CL_PID
id=$(cl_wait_call confirmed)
xr_ok "tcp: the call is confirmed in \`calls\`" [ -n "$id" ]
ar= br=
if [ -n "$id" ] && cl_wait_media "$id"; then
	sid=$CL_SID ar=$CL_AR br=$CL_BR
	xr_log "tcp: call $id, session $sid: a sends to $ar, b sends to $br"
	xr_eq "tcp: caller's relay address is fd11:1::1" "$(ml_host "$ar")" "$RA6"
	xr_eq "tcp: callee's relay address is fd11:2::1" "$(ml_host "$br")" "$RB6"
	k0=$(ml_counter fwd_redirect)
	ml_rtp a "$XR_TMP/tcp-rtp.a.json" --bind "[$A6]:4200" --to "$ar" --count $N --rate 500 \
		--delay 0.8 --wait 0.6
	ml_rtp b "$XR_TMP/tcp-rtp.b.json" --bind "[$B6]:5200" --expect $N --wait 1.5
	ml_wait
	cl_rx_log "tcp: callee" "$XR_TMP/tcp-rtp.b.json"
	ml_check_rx "tcp: callee <- relay" "$XR_TMP/tcp-rtp.b.json" "$br" $N "$XR_TMP/tcp-rtp.a.json"
	xr_eq "tcp: the caller got nothing (nobody sent to it)" \
		"$(cl_rx "$XR_TMP/tcp-rtp.a.json")" 0
	side=$(cl_side_of "$sid" "$ar")
	k=$(cl_kp "$sid" "$side") u=$(cl_up "$sid" "$side")
	xr_eq "tcp: the caller's leg relayed each packet once (kernel $k + user $u)" "$((k + u))" $N
	xr_ok "tcp: userspace relayed only the latching packet(s) ($u)" [ "$u" -ge 1 -a "$u" -le 5 ]
	xr_ge "tcp: stats fwd_redirect rose" "$(( $(ml_counter fwd_redirect) - k0 ))" $((N - 5))
else
	xr_ok "tcp: the call's media is anchored (call show lists both parties)" false
fi
[ -n "$id" ] && v6_hangup "$id" t1
cl_reap tcp-uac "$uac" 20
cl_reap tcp-uas "$uas" 10
if [ -n "$ar" ]; then
	v6_sdp_checks "tcp: the 200 the caller got over TCP" tcp-uac '^SIP/2.0 200' "$RA6" "$ar" 0
	v6_sdp_checks "tcp: the INVITE the callee got" tcp-uas '^INVITE' "$RB6" "$br" "0 8"
	xr_ok "tcp: the caller's messages went over TCP" grep -q "^TCP message sent" "$XR_TMP/tcp-uac.msg"
fi
cl_check_clean "tcp: after the BYE"

# ---- across families: an IPv4 caller, the callee registered over IPv6.
v6_uas 4to6-uas 5300; uas=$CL_PID
V6_FROM=4 v6_uac 4to6-uac u1 4300; uac=$CL_PID
id=$(cl_wait_call confirmed)
xr_ok "4to6: the call is confirmed in \`calls\`" [ -n "$id" ]
ar= br=
if [ -n "$id" ] && cl_wait_media "$id"; then
	ar=$CL_AR br=$CL_BR
	xr_log "4to6: call $id: a sends to $ar, b sends to $br"
	xr_eq "4to6: the caller's relay address is IPv4, facing it" "$(ml_host "$ar")" "$RA4"
	xr_eq "4to6: the callee's relay address is IPv6, facing it" "$(ml_host "$br")" "$RB6"
	cl_rtp 4to6-rtp "$A4:4300" "$ar" "[$B6]:5300" "$br" $N $N $N
	path=$(cl_m "$id" 'm["caller"]["path"] + " " + m["callee"]["path"]')
	xr_log "4to6: call show paths: $path"
	xr_ok "4to6: both parties' media is relayed (kernel or userspace: $path)" \
		[ -n "$path" -a "${path#*none*}" = "$path" ]
else
	xr_ok "4to6: the call's media is anchored (call show lists both parties)" false
fi
[ -n "$id" ] && V6_FROM=4 v6_hangup "$id" u1
cl_reap 4to6-uac "$uac" 20
cl_reap 4to6-uas "$uas" 10
if [ -n "$ar" ]; then
	xr_eq "4to6: the 200 the caller got: c= IN IP4 10.11.1.1" \
		"$(v6_sdp_line 4to6-uac '^SIP/2.0 200' c=)" "c=IN IP4 $RA4"
	xr_eq "4to6: ... m= at the caller's relay port" \
		"$(cl_sdp 4to6-uac received '^SIP/2.0 200' | cut -d'|' -f3)" "$(ml_port "$ar")"
	xr_eq "4to6: the INVITE the callee got: c= IN IP6 fd11:2::1" \
		"$(v6_sdp_line 4to6-uas '^INVITE' c=)" "c=IN IP6 $RB6"
	xr_eq "4to6: ... m= at the callee's relay port" \
		"$(cl_sdp 4to6-uas received '^INVITE' | cut -d'|' -f3)" "$(ml_port "$br")"
fi
cl_check_clean "4to6: after the BYE"

xr_ok "xrelayd still running" kill -0 "$XR_DAEMON_PID"
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
