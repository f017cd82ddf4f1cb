#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_call_hostile.sh - anchored calls (xrelayd with XDP) fed bad input: each
# gets a clear answer and nothing is lost or leaked.
#   malformed offers   m= with a bad port, c= with an FQDN, multicast or
#                      IPv6 (no IPv6 relay address here), no c= at all, 17
#                      m= lines, a multipart body with no close delimiter, a
#                      description over 16 KiB: 488 with "Warning: 399
#                      xrelay" naming the problem; three streams with two
#                      port pairs free: 503; the callee never sees the
#                      INVITE, no call, session or port left
#   multipart          multipart/mixed (SDP + ISUP): the callee gets the SDP
#                      part rewritten and the ISUP part byte for byte, a
#                      right Content-Length; RTP flows
#   no ports left      --ports with 2 pairs per address: once the callee's
#                      side, then the caller's side is full, a new INVITE
#                      gets 503 with a Warning and leaves no pair taken, the
#                      calls up keep their RTP, after one hangs up a new call
#                      works
#   malformed answer   a 200 whose SDP has an FQDN, or more m= lines than
#                      the offer: forwarded as it came, counted in stats
#                      sip.sdp_errors and logged, nothing left after BYE
#   a third host       m sprays RTP and garbage at a call's relay ports,
#                      before and after latching: it reaches nobody, is
#                      counted as wrong source, the call's RTP is untouched
#   bad re-INVITE      then the caller's re-INVITE with a malformed offer:
#                      488 + Warning from the proxy, not forwarded, the call
#                      and its media as they were
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/call_lib.sh"

cl_setup --ports 30000-30003	# 2 port pairs per relay address
cl_xdp_check
xr_eq "stats: 2 port pairs on each relay address" \
	"$(xr_ctl --json stats | jpy 'sorted(set(p["pairs"] for p in d["media"]["ports"]))')" "[2]"

# hs_register USER PORT : USER@example.com registers b's SIPp on B4:PORT.
hs_register() {
	sipp_fg b "reg-$1" 15 -sf "$CL_SCEN/reg.xml" -s "$1" -i "$B4" -p "$2" -t u1 -m 1 \
		"$RB4:5060"
}
# hs_uas NAME SCENARIO SIP_PORT RTP_PORT [sipp args] : a callee SIPp in b.
hs_uas() {
	local name=$1 scen=$2 sp=$3 rp=$4; shift 4
	cl_sipp b "$name" 300 -sf "$CL_SCEN/$scen" -i "$B4" -p "$sp" -t u1 -key rtp_port "$rp" \
		-m 1 "$@"
	xr_wait_bound b "$sp"
}
# hs_uac NAME SCENARIO USER SIP_PORT RTP_PORT [sipp args] : a caller SIPp in
# a (background, cl_reap it); its Call-ID (NAME-1@10.11.1.2) in CL_CID.
hs_uac() {
	local name=$1 scen=$2 user=$3 sp=$4 rp=$5; shift 5
	CL_CID="$name-1@$A4"
	cl_sipp a "$name" 300 -sf "$CL_SCEN/$scen" -i "$A4" -p "$sp" -t u1 -rsa "$RA4:5060" \
		-s "$user" -key rtp_port "$rp" -cid_str "$name-%u@%s" -m 1 "$@" "$RA4:5060"
}
# hs_uac_fg NAME SCENARIO SIP_PORT [sipp args] : a caller SIPp in a calling
# bob, run to its end (15 s at most), its messages traced to NAME.msg;
# returns SIPp's exit status.
hs_uac_fg() {
	local name=$1 scen=$2 sp=$3; shift 3
	sipp_fg a "$name" 15 -sf "$CL_SCEN/$scen" -i "$A4" -p "$sp" -t u1 -rsa "$RA4:5060" \
		-s bob -m 1 -trace_msg -message_file "$XR_TMP/$name.msg" "$@" "$RA4:5060"
}
# hs_msg NAME DIR REGEX : the raw bytes of the first message SIPp NAME
# traced as DIR (sent|received) whose start line matches REGEX.
hs_msg() {
	python3 - "$XR_TMP/$1.msg" "$2" "$3" <<'EOF'
import os, re, sys
path, want, rx = sys.argv[1:4]
data = open(path, "rb").read() if os.path.exists(path) else b""
# "UDP message sent (370 bytes):" / "UDP message received [238] bytes :"
for h in re.finditer(rb"(?:UDP|TCP) message (sent|received) (?:\((\d+) bytes\)|\[(\d+)\] bytes ?):\n\n",
                     data):
    msg = data[h.end():h.end() + int(h.group(2) or h.group(3))]
    if h.group(1).decode() == want and re.search(rx.encode(), msg.split(b"\n", 1)[0]):
        sys.stdout.buffer.write(msg)
        break
EOF
}
# hs_hdr NAME DIR REGEX HEADER : that message's HEADER value(s), one a line.
hs_hdr() {
	hs_msg "$1" "$2" "$3" | python3 -c '
import sys
head = sys.stdin.buffer.read().split(b"\r\n\r\n", 1)[0].decode("latin-1")
for l in head.split("\r\n")[1:]:
    n, _, v = l.partition(":")
    if n.strip().lower() == sys.argv[1].lower():
        print(v.strip())' "$4"
}
# hs_poke ID HOST ADDR:PORT : make the caller of call ID (a SIPp in HOST on
# ADDR:PORT) take the next step of its scenario: hang up
# (hostile_uac_hold.xml), or send its re-INVITE (hostile_uac_reinv.xml): an
# OPTIONS with the call's Call-ID, sent to it from its own host.
hs_poke() {
	local callid
	callid=$(cl_calls | jpy '[c["callid"] for c in d if c["id"] == int(i)][0]' i="$1") || {
		xr_log "hs_poke: no call $1"; return 1; }
	xr_ns "$2" python3 -c '
import socket, sys
h, p = sys.argv[1].rsplit(":", 1)
m = ("OPTIONS sip:alice@%s:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:5999;branch=z9hG4bK-hangup\r\n"
     "From: <sip:test@example.com>;tag=hangup\r\nTo: <sip:alice@example.com>\r\n"
     "Call-ID: %s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 0\r\nContent-Length: 0\r\n\r\n"
     % (h, p, h, sys.argv[2]))
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(m.encode(), (h, int(p)))' "$3" "$callid"
}
# hs_has TEXT SUBSTRING... : TEXT contains every SUBSTRING.
hs_has() {
	local s=$1; shift
	while [ $# -gt 0 ]; do grep -qF -- "$1" <<<"$s" || return 1; shift; done
}
# hs_state : "<calls> <media sessions> <flow rows> <port pairs in use>
# <sdp_errors>" from one control connection (cheaper than five xrelayctl).
hs_state() {
	printf '%s\n' '{"cmd":"calls"}' '{"cmd":"status"}' '{"cmd":"flows"}' '{"cmd":"stats"}' |
		cl_ctl_batch | python3 -c '
import json, sys
c, s, f, st = [json.loads(l) for l in sys.stdin]
c = c["calls"] if isinstance(c, dict) else c
print(len(c), s["sessions"], len(f), sum(p["pairs_in_use"] for p in st["media"]["ports"]),
      st["sip"]["sdp_errors"])'
}
hs_sdp_errors() { xr_ctl --json stats | jpy 'd["sip"]["sdp_errors"]'; }
hs_tx_invites() { xr_ctl --json stats | jpy 'd["sip_messages"]["tx"]["requests"]["INVITE"]'; }
# hs_pairs ADDR : port pairs in use on relay address ADDR.
hs_pairs() {
	xr_ctl --json stats | jpy '[p["pairs_in_use"] for p in d["media"]["ports"] if p["address"] == a][0]' a="$1"
}

hs_register bob 5060
xr_ok "REGISTER bob from $B4:5060" [ $? -eq 0 ]
hs_register carol 5062
xr_ok "REGISTER carol from $B4:5062" [ $? -eq 0 ]

xr_log "---- malformed offers (t=${SECONDS}s)"
# ---- malformed offers: 488 + Warning from the proxy, nothing reaches bob.
# A callee SIPp waits as bob all along: it must never see an INVITE.
hs_uas trap call_uas.xml 5060 5100; trap_pid=$CL_PID
inv0=$(hs_tx_invites)
# bad LABEL WARNING-SUBSTRING SCENARIO [sipp args] : one offer that cannot
# be anchored: 488 (hostile_uac_503.xml: 503) with a Warning naming it,
# counted, nothing left.
bad() {
	local label=$1 want=$2 scen=$3 e0 w s code=488; shift 3
	[ "$scen" = hostile_uac_503.xml ] && code=503
	e0=$(hs_state); e0=${e0##* }
	hs_uac_fg "bad-$label" "$scen" 5070 "$@"
	xr_eq "$label: $code with a Warning: 399 xrelay (SIPp exit status)" "$?" 0
	w=$(hs_hdr "bad-$label" received "^SIP/2.0 $code" Warning)
	xr_log "$label: $(hs_msg "bad-$label" received '^SIP/2.0 [2-6]' | head -n 1 | tr -d '\r'): Warning: $w"
	xr_ok "$label: the Warning names the problem ($want)" \
		hs_has "$w" "399 xrelay \"" "$want"
	s=$(hs_state)
	xr_eq "$label: stats sip.sdp_errors counted it" "$(( ${s##* } - e0 ))" 1
	xr_eq "$label: after the $code: no call, no media session, no flow, no port pair in use" \
		"${s% *}" "0 0 0 0"
}
# badsdp LABEL WARNING-SUBSTRING SDP_C SDP_M : hostile_uac_488.xml with these lines.
badsdp() { bad "$1" "$2" hostile_uac_488.xml -key sdp_c "$3" -key sdp_m "$4"; }
badsdp port "bad port 'notaport'" "c=IN IP4 $A4" "m=audio notaport RTP/AVP 0"
badsdp fqdn "bad IP4 address 'pc33.example.com'" "c=IN IP4 pc33.example.com" "m=audio 4100 RTP/AVP 0"
badsdp no-c "no c=" "i=no connection line anywhere" "m=audio 4100 RTP/AVP 0"
m17=$(for i in $(seq 0 16); do printf 'm=audio %d RTP/AVP 0\r\n' $((4100 + 2 * i)); done)
badsdp 17m "more than 16 media" "c=IN IP4 $A4" "${m17%$'\r'}"
badsdp multicast "multicast" "c=IN IP4 224.2.1.1" "m=audio 4100 RTP/AVP 0"
# This relay has no IPv6 media address: an IPv6 offer cannot be anchored.
badsdp ipv6 "no relay address" "c=IN IP6 $A6" "m=audio 4100 RTP/AVP 0"
bad multipart-cut "malformed multipart" hostile_uac_488_multipart.xml -key rtp_port 4100
# A description over 16 KiB (200 a= lines of 90 bytes).
big=$(for i in $(seq 1 200); do printf 'a=x-filler-%03d:%s\r\n' "$i" "$(printf '%080d' 0)"; done)
badsdp 16k "more than 16384" "c=IN IP4 $A4" "m=audio 4100 RTP/AVP 0"$'\r\n'"${big%$'\r'}"
# Three streams when each relay address has two port pairs: the first two
# get theirs, the third cannot; the offer is refused whole and the pairs
# the first two took are given back.
m3=$(for i in 0 1 2; do printf 'm=audio %d RTP/AVP 0\r\n' $((4100 + 2 * i)); done)
bad 3streams "media stream 3: no free media port pair" hostile_uac_503.xml -key sdp_m "${m3%$'\r'}"
cl_check_clean "after the malformed offers"
xr_eq "the proxy sent no INVITE on (stats tx INVITE)" "$(( $(hs_tx_invites) - inv0 ))" 0
xr_ok "bob's SIPp was up all along (waiting for an INVITE)" kill -0 "$trap_pid"
sipp_bg_stop "$trap_pid"
xr_eq "bob's SIPp never saw an INVITE" \
	"$(cat "$XR_TMP/trap.msg" 2>/dev/null | grep -c '^INVITE ')" 0
xr_ok "xrelayd still running after the malformed offers" kill -0 "$XR_DAEMON_PID"

xr_log "---- multipart/mixed (t=${SECONDS}s)"
# ---- multipart/mixed: the SDP part rewritten, the ISUP part untouched.
hs_uas mp-uas call_uas.xml 5060 5100; uas=$CL_PID
hs_uac mp-uac hostile_uac_multipart.xml bob 5070 4100; uac=$CL_PID
id=$(cl_wait_call confirmed)
xr_ok "multipart: the call is confirmed" [ -n "$id" ]
ar= br=
if [ -n "$id" ] && cl_wait_media "$id"; then
	ar=$CL_AR br=$CL_BR
	xr_log "multipart: call $id: a sends to $ar, b sends to $br"
	xr_eq "multipart: call show: the caller's SDP address (from the SDP part)" \
		"$(cl_m "$id" 'm["caller"]["remote"]')" "$A4:4100"
	ml_rtp a "$XR_TMP/mp-rtp.a.json" --bind "$A4:4100" --to "$ar" --count 100 --rate 500 \
		--delay 0.8 --wait 0.6
	ml_rtp b "$XR_TMP/mp-rtp.b.json" --bind "$B4:5100" --expect 100 --wait 1.5
	ml_wait
	ml_check_rx "multipart: callee <- relay" "$XR_TMP/mp-rtp.b.json" "$br" 100 "$XR_TMP/mp-rtp.a.json"
else
	xr_ok "multipart: the call's media is anchored" false
fi
[ -n "$id" ] && hs_poke "$id" a "$A4:5070"
cl_reap mp-uac "$uac" 15
cl_reap mp-uas "$uas" 10
hs_msg mp-uac sent '^INVITE' >"$XR_TMP/mp.sent"
hs_msg mp-uas received '^INVITE' >"$XR_TMP/mp.rcvd"
# What the callee got, against what the caller sent: one line per fact.
python3 - "$XR_TMP/mp.sent" "$XR_TMP/mp.rcvd" >"$XR_TMP/mp.facts" <<'EOF'
import re, sys
def split(path):
    m = open(path, "rb").read()
    head, _, body = m.partition(b"\r\n\r\n")
    hdrs = {}
    for l in head.split(b"\r\n")[1:]:
        n, _, v = l.partition(b":")
        hdrs[n.strip().lower().decode()] = v.strip().decode("latin-1")
    return hdrs, body
def parts(ctype, body):
    b = re.search(r'boundary="?([^";]+)"?', ctype).group(1).encode()
    d = b"--" + b
    # RFC 2046: a delimiter is CRLF--boundary at the start of a line; the
    # CRLF before it belongs to the delimiter.
    segs = re.split(rb"(?:^|\r\n)" + re.escape(d) + rb"(?=--|[ \t]*\r\n)", body)
    out = {}
    for s in segs[1:]:
        if s.startswith(b"--"):
            break
        s = s[s.index(b"\r\n") + 2:]
        ph, _, pb = s.partition(b"\r\n\r\n")
        ct = [l.split(b":", 1)[1].strip().decode() for l in ph.split(b"\r\n")
              if l.lower().startswith(b"content-type:")][0]
        out[ct.split(";")[0].lower()] = (ph, pb)
    return out
sh, sb = split(sys.argv[1])
rh, rb = split(sys.argv[2])
print("ctype %s" % rh.get("content-type"))
print("clen %s" % (rh.get("content-length") == str(len(rb))))
print("clen_detail %s/%d" % (rh.get("content-length"), len(rb)))
sp, rp = parts(sh["content-type"], sb), parts(rh["content-type"], rb)
print("parts %s" % ",".join(sorted(rp)))
print("isup_same %s" % (sp.get("application/isup") == rp.get("application/isup")))
print("isup_len %d" % len(rp.get("application/isup", (b"", b""))[1]))
sdp = rp.get("application/sdp", (b"", b""))[1].decode("latin-1")
for l in sdp.split("\r\n"):
    if l.startswith(("c=", "m=", "a=rtcp")):
        print("sdp %s" % l)
print("epilogue_same %s" % (sb[sb.rindex(b"--xrelay-unique-boundary-1--"):] ==
                            rb[rb.rindex(b"--xrelay-unique-boundary-1--"):]))
EOF
fact() { sed -n "s/^$1 //p" "$XR_TMP/mp.facts" | paste -sd'|'; }
xr_log "multipart: $(paste -sd';' "$XR_TMP/mp.facts")"
xr_eq "multipart: the callee got multipart/mixed with the same boundary" "$(fact ctype)" \
	"multipart/mixed;boundary=xrelay-unique-boundary-1"
xr_eq "multipart: Content-Length is the body's length ($(fact clen_detail))" "$(fact clen)" True
xr_eq "multipart: both parts arrived" "$(fact parts)" "application/isup,application/sdp"
xr_eq "multipart: the ISUP part (headers and $(fact isup_len) bytes) is byte-identical" \
	"$(fact isup_same)" True
xr_eq "multipart: the closing delimiter and after are unchanged" "$(fact epilogue_same)" True
if [ -n "$br" ]; then
	bp=$(ml_port "$br")
	xr_eq "multipart: the SDP part names the relay facing b (c=, m=, a=rtcp)" "$(fact sdp)" \
		"c=IN IP4 $RB4|m=audio $bp RTP/AVP 0 8|a=rtcp:$((bp + 1)) IN IP4 $RB4"
fi
cl_check_clean "multipart: after the BYE"

xr_log "---- the port range exhausted (t=${SECONDS}s)"
# ---- the port range exhausted (2 pairs on each relay address).  Call 1
# m -> bob holds a pair of 10.11.3.1 and 10.11.2.1, call 2 a -> carol one of
# 10.11.1.1 and 10.11.2.1: the callee side is full, so a -> bob gets 503 and
# the caller-side pair it took first must go back.  Call 3 a -> dave (on m)
# fills 10.11.1.1 and 10.11.3.1: a -> bob gets 503 at the caller side.  The
# three calls keep their RTP; after call 2 hangs up, a -> bob works.
# ex_pairs : pairs in use on 10.11.1.1, 10.11.2.1, 10.11.3.1.
ex_pairs() { echo "$(hs_pairs "$RA4") $(hs_pairs "$RB4") $(hs_pairs "$RM4")"; }
# ex_refused LABEL SIP_PORT RTP_PORT PAIRS : a -> bob must get 503 with a
# Warning, and leave the pairs in use at PAIRS and the calls as they were.
ex_refused() {
	local label=$1 w n0
	n0=$(cl_calls | jpy 'len(d)')
	hs_uac_fg "$label" hostile_uac_503.xml "$2" -key sdp_m "m=audio $3 RTP/AVP 0"
	xr_eq "exhaust: $label: a -> bob gets 503 with a Warning: 399 xrelay (SIPp exit status)" "$?" 0
	w=$(hs_hdr "$label" received '^SIP/2.0 503' Warning)
	xr_log "exhaust: $label: 503 Warning: $w"
	xr_ok "exhaust: $label: the Warning says no port pair is free" grep -q "no free media port" <<<"$w"
	xr_eq "exhaust: $label: no pair taken or leaked (in use on .1.1 .2.1 .3.1)" "$(ex_pairs)" "$4"
	xr_eq "exhaust: $label: the calls up are still up" "$(cl_calls | jpy 'len(d)')" "$n0"
}
# ex_newcall N : wait until N calls are confirmed; the newest one's id in
# EX_ID, its media in CL_AR/CL_BR.
ex_newcall() {
	local ids
	EX_ID= CL_AR= CL_BR=
	ids=$(cl_wait_call confirmed "$1") || return 1
	cl_wait_media "${ids##* }" || return 1
	EX_ID=${ids##* }
}
sipp_fg m reg-dave 15 -sf "$CL_SCEN/reg.xml" -s dave -i "$M4" -p 5060 -t u1 -m 1 "$RM4:5060"
xr_ok "REGISTER dave from $M4:5060" [ $? -eq 0 ]
hs_uas ex1-uas call_uas.xml 5060 5100; uas1=$CL_PID
hs_uas ex2-uas call_uas.xml 5062 5200; uas2=$CL_PID
cl_sipp m ex3-uas 300 -sf "$CL_SCEN/call_uas.xml" -i "$M4" -p 5060 -t u1 -key rtp_port 5300 -m 1
uas3=$CL_PID
cl_sipp m ex1-uac 300 -sf "$CL_SCEN/hostile_uac_hold.xml" -i "$M4" -p 5070 -t u1 -rsa "$RM4:5060" \
	-s bob -key rtp_port 4100 -m 1 "$RM4:5060"
uac1=$CL_PID
ex_newcall 1; id1=$EX_ID ar1=$CL_AR br1=$CL_BR
hs_uac ex2-uac hostile_uac_hold.xml carol 5070 4200; uac2=$CL_PID
ex_newcall 2; id2=$EX_ID ar2=$CL_AR br2=$CL_BR
xr_ok "exhaust: m -> bob and a -> carol are up ($id1 $id2)" [ -n "$id1" -a -n "$id2" ]
xr_eq "exhaust: pairs in use on 10.11.1.1, 10.11.2.1, 10.11.3.1" "$(ex_pairs)" "1 2 1"
ex_refused callee-side 5074 4300 "1 2 1"
hs_uac ex3-uac hostile_uac_hold.xml dave 5072 4400; uac3=$CL_PID
ex_newcall 3; id3=$EX_ID ar3=$CL_AR br3=$CL_BR
xr_ok "exhaust: a -> dave is up ($id3)" [ -n "$id3" ]
xr_eq "exhaust: every pair in use" "$(ex_pairs)" "2 2 2"
ex_refused caller-side 5074 4300 "2 2 2"
xr_eq "exhaust: bob's SIPp saw one INVITE (not the refused ones)" \
	"$(cat "$XR_TMP/ex1-uas.msg" 2>/dev/null | grep -c '^INVITE ')" 1
# ex_flow LABEL HOST_A A_BIND A_TO HOST_B B_BIND B_TO : RTP both ways (100
# each) in the background; ex_flow_check LABEL A_TO B_TO after ml_wait.
ex_flow() {
	ml_rtp "$2" "$XR_TMP/$1.a.json" --bind "$3" --to "$4" --count 100 --rate 500 --delay 0.8 \
		--expect 100 --wait 1
	ml_rtp "$5" "$XR_TMP/$1.b.json" --bind "$6" --to "$7" --count 100 --rate 500 --delay 0.8 \
		--expect 100 --wait 1
}
ex_flow_check() {
	ml_check_rx "exhaust: $1: caller <- relay" "$XR_TMP/$1.a.json" "$2" 100 "$XR_TMP/$1.b.json"
	ml_check_rx "exhaust: $1: callee <- relay" "$XR_TMP/$1.b.json" "$3" 100 "$XR_TMP/$1.a.json"
}
if [ -n "$id1" ] && [ -n "$id2" ] && [ -n "$id3" ]; then
	# The three calls' RTP at once, both ways.
	ex_flow ex-c1 m "$M4:4100" "$ar1" b "$B4:5100" "$br1"
	ex_flow ex-c2 a "$A4:4200" "$ar2" b "$B4:5200" "$br2"
	ex_flow ex-c3 a "$A4:4400" "$ar3" m "$M4:5300" "$br3"
	ml_wait
	ex_flow_check ex-c1 "$ar1" "$br1"
	ex_flow_check ex-c2 "$ar2" "$br2"
	ex_flow_check ex-c3 "$ar3" "$br3"
fi
[ -n "$id2" ] && hs_poke "$id2" a "$A4:5070"
cl_reap ex2-uac "$uac2" 15
cl_reap ex2-uas "$uas2" 10
i=0; while [ "$(ex_pairs)" != "1 1 2" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
xr_eq "exhaust: after a -> carol's BYE its pairs are free" "$(ex_pairs)" "1 1 2"
hs_uas ex4-uas call_uas.xml 5062 5200; uas4=$CL_PID
hs_uac ex4-uac hostile_uac_hold.xml carol 5074 4300; uac4=$CL_PID
ex_newcall 3; id4=$EX_ID
xr_ok "exhaust: a new call a -> carol is up after the hang-up ($id4)" \
	[ -n "$id4" -a "$id4" != "$id3" -a "$id4" != "$id2" ]
if [ -n "$id4" ]; then
	ex_flow ex-c4 a "$A4:4300" "$CL_AR" b "$B4:5200" "$CL_BR"
	[ -n "$id1" ] && ex_flow ex-c1b m "$M4:4100" "$ar1" b "$B4:5100" "$br1"
	[ -n "$id3" ] && ex_flow ex-c3b a "$A4:4400" "$ar3" m "$M4:5300" "$br3"
	ml_wait
	ex_flow_check ex-c4 "$CL_AR" "$CL_BR"
	[ -n "$id1" ] && ex_flow_check ex-c1b "$ar1" "$br1"
	[ -n "$id3" ] && ex_flow_check ex-c3b "$ar3" "$br3"
fi
[ -n "$id4" ] && hs_poke "$id4" a "$A4:5074"
[ -n "$id3" ] && hs_poke "$id3" a "$A4:5072"
[ -n "$id1" ] && hs_poke "$id1" m "$M4:5070"
cl_reap ex4-uac "$uac4" 15
cl_reap ex4-uas "$uas4" 10
cl_reap ex3-uac "$uac3" 15
cl_reap ex3-uas "$uas3" 10
cl_reap ex1-uac "$uac1" 15
cl_reap ex1-uas "$uas1" 10
cl_check_clean "exhaust: after every BYE"

xr_log "---- a malformed answer (t=${SECONDS}s)"
# ---- a malformed answer: the 200 is forwarded as it came and counted.
# badanswer LABEL LOG-REASON SDP_C SDP_M : bob answers with these lines.
badanswer() {
	local label=$1 why=$2 c=$3 m=$4 e0 uas uac
	e0=$(hs_sdp_errors)
	hs_uas "$label-uas" hostile_uas_badsdp.xml 5060 5100 -key sdp_c "$c" -key sdp_m "$m"
	uas=$CL_PID
	hs_uac "$label-uac" call_uac.xml bob 5070 4100; uac=$CL_PID
	cl_go "$label-uac" sent '^ACK'
	cl_reap "$label-uac" "$uac" 15
	cl_reap "$label-uas" "$uas" 10
	xr_ok "$label: the caller got the 200 (its scenario went on to ACK and BYE)" \
		grep -q '^SIP/2.0 200' "$XR_TMP/$label-uac.msg"
	xr_eq "$label: the caller's 200 carries the callee's SDP as it came (c=, m=)" \
		"$(hs_msg "$label-uac" received '^SIP/2.0 200' | tr -d '\r' | grep '^[cm]=' | paste -sd'|')" \
		"$c|$(tr -d '\r' <<<"$m" | paste -sd'|')"
	xr_eq "$label: stats sip.sdp_errors counted it" "$(( $(hs_sdp_errors) - e0 ))" 1
	xr_ok "$label: the daemon logged it (\"SDP in a 200 ... not anchored: $why\")" \
		grep -qF "not anchored: $why" "$XR_TMP/xrelayd.log"
	cl_check_clean "$label: after the BYE"
}
badanswer bad-answer "c= line 4: bad IP4 address 'pc33.example.com'" \
	"c=IN IP4 pc33.example.com" "m=audio 5100 RTP/AVP 0"
badanswer answer-2m "answer has 2 m= lines, the offer had 1" \
	"c=IN IP4 $B4" "m=audio 5100 RTP/AVP 0"$'\r\n'"m=video 5200 RTP/AVP 96"

xr_log "---- a third host (m) (t=${SECONDS}s)"
# ---- a third host (m) at a call's relay ports.
hs_uas m-uas call_uas.xml 5060 5100; uas=$CL_PID
hs_uac m-uac hostile_uac_reinv.xml bob 5070 4100; uac=$CL_PID
id=$(cl_wait_call confirmed)
xr_ok "mallory: the call is confirmed" [ -n "$id" ]
if [ -n "$id" ] && cl_wait_media "$id"; then
	sid=$CL_SID ar=$CL_AR br=$CL_BR
	sa=$(cl_side_of "$sid" "$ar") sb=$(cl_side_of "$sid" "$br")
	# Before anyone latched: m sends RTP to both RTP ports, from the port the
	# other party's SDP named and from another; under strict latching none
	# may latch.
	w0=$(ml_counter pass_wrong_source) n0=$(ml_counter pass_not_latched)
	cl_sink a "$A4:4100" "$XR_TMP/m-pre.a.json"
	cl_sink b "$B4:5100" "$XR_TMP/m-pre.b.json"
	ml_rtp m "$XR_TMP/m-pre.m1.json" --bind "$M4:4100" --to "$ar" --count 20 --rate 500 --wait 1
	ml_rtp m "$XR_TMP/m-pre.m2.json" --bind "$M4:5100" --to "$br" --count 20 --rate 500 --wait 1
	ml_wait
	xr_eq "mallory before latching: a and b got nothing, m got nothing back" \
		"$(cl_rx "$XR_TMP/m-pre.a.json") $(cl_rx "$XR_TMP/m-pre.b.json") $(cl_rx "$XR_TMP/m-pre.m1.json") $(cl_rx "$XR_TMP/m-pre.m2.json")" \
		"0 0 0 0"
	xr_eq "mallory before latching: neither RTP port latched" \
		"$(ml_flow "$sid" "$sa" rtp 'r["latched"]') $(ml_flow "$sid" "$sb" rtp 'r["latched"]')" "false false"
	xr_log "mallory before latching: kernel pass_not_latched +$(( $(ml_counter pass_not_latched) - n0 )), pass_wrong_source +$(( $(ml_counter pass_wrong_source) - w0 ))"
	# a and b latch their RTP ports first (the test waits for it: before,
	# m's packets are not "wrong source" yet), then, during the call's RTP,
	# m sprays RTP at both RTP ports, garbage datagrams at both, RTP at both
	# RTCP ports.
	cl_rtp mallory-latch "$A4:4100" "$ar" "$B4:5100" "$br" 10 10 10
	xr_eq "mallory: a and b latched their RTP ports" \
		"$(ml_flow "$sid" "$sa" rtp 'r["source"] if r["latched"] else "unlatched"') $(ml_flow "$sid" "$sb" rtp 'r["source"] if r["latched"] else "unlatched"')" \
		"$A4:4100 $B4:5100"
	d0=$(( $(ml_udrop_src "$sid" "$sa" rtp) + $(ml_udrop_src "$sid" "$sb" rtp) ))
	w0=$(ml_wrong_src) x0=$(ml_counter drop_wrong_source)
	# (a and b send 400 each from 0.8 s to 1.6 s; m from 1 s to 1.5 s.)
	ml_rtp m "$XR_TMP/m.m1.json" --bind "$M4:4100" --to "$ar" --count 200 --rate 400 --delay 1 --wait 1
	ml_rtp m "$XR_TMP/m.m2.json" --bind "$M4:5100" --to "$br" --count 200 --rate 400 --delay 1 --wait 1
	ml_rtp m "$XR_TMP/m.m3.json" --bind "$M4:4101" --to "$(ml_rtcp "$ar")" --count 20 --rate 100 --wait 1 --rtcp
	cl_rtp mallory "$A4:4100" "$ar" "$B4:5100" "$br" 400 400 400
	cl_kernel_only "mallory: the call's RTP (and the 10 that latched)" "$sid" 410
	g1=$(ml_udp m "$M4:6000" "$ar" 3 30) g2=$(ml_udp m "$M4:6002" "$br" 1400 30)
	g3=$(ml_udp m "$M4:6004" "$ar" 0 10)
	xr_eq "mallory: m's garbage left its socket (3-, 1400- and 0-byte datagrams)" "$g1 $g2 $g3" "30 30 10"
	sleep 0.3
	xr_eq "mallory: m got nothing back" \
		"$(cl_rx "$XR_TMP/m.m1.json") $(cl_rx "$XR_TMP/m.m2.json") $(cl_rx "$XR_TMP/m.m3.json")" "0 0 0"
	xr_eq "mallory: the RTP ports stay latched to a and b" \
		"$(ml_flow "$sid" "$sa" rtp 'r["source"]') $(ml_flow "$sid" "$sb" rtp 'r["source"]')" \
		"$A4:4100 $B4:5100"
	sent=$(( $(jpy 'd["sent"]' <"$XR_TMP/m.m1.json") + $(jpy 'd["sent"]' <"$XR_TMP/m.m2.json") + g1 + g2 + g3 ))
	# XDP drops a wrong source on a latched port, but for a sampled share
	# it passes up for the daemon to log and drop.
	xr_eq "mallory: all of m's $sent datagrams to the RTP ports dropped as wrong source (XDP + daemon)" \
		"$(( $(ml_udrop_src "$sid" "$sa" rtp) + $(ml_udrop_src "$sid" "$sb" rtp) - d0 +
		    $(ml_counter drop_wrong_source) - x0 ))" "$sent"
	xr_ge "mallory: XDP counted them as wrong source (pass_ + drop_wrong_source)" \
		"$(( $(ml_wrong_src) - w0 ))" "$sent"
	xr_ge "mallory: XDP dropped most of them (drop_wrong_source)" \
		"$(( $(ml_counter drop_wrong_source) - x0 ))" $(( sent / 2 ))
	xr_eq "mallory: the RTCP port facing a did not latch to m" \
		"$(ml_flow "$sid" "$sa" rtcp 'r["source"] if r["latched"] else "unlatched"')" "unlatched"
	cl_rtp mallory-rtcp "$A4:4101" "$(ml_rtcp "$ar")" "$B4:5101" "$(ml_rtcp "$br")" 20 20 20 --rtcp
	# ---- then the caller's re-INVITE with a malformed offer: 488 + Warning
	# from the proxy (bob's scenario fails if it is forwarded), the call
	# and its media exactly as they were.
	e0=$(hs_sdp_errors)
	cs0=$(cl_show "$id" | jpy 'd["media"]')
	hs_poke "$id" a "$A4:5070"
	for i in $(seq 1 50); do
		grep -q '^SIP/2.0 4[0-9][0-9] ' "$XR_TMP/m-uac.msg" 2>/dev/null && break; sleep 0.1
	done
	w=$(hs_hdr m-uac received '^SIP/2.0 488' Warning)
	xr_log "bad re-INVITE: $(hs_msg m-uac received '^SIP/2.0 [3-6]' | head -n 1 | tr -d '\r'): Warning: $w"
	xr_ok "bad re-INVITE: 488 with a Warning naming the bad port" grep -qF "bad port 'notaport'" <<<"$w"
	xr_eq "bad re-INVITE: stats sip.sdp_errors counted it" "$(( $(hs_sdp_errors) - e0 ))" 1
	xr_eq "bad re-INVITE: the call is still confirmed" "$(cl_calls | jpy '[c["state"] for c in d]')" \
		'["confirmed"]'
	xr_eq "bad re-INVITE: call show: the media exactly as before (parties, relay ports)" \
		"$(cl_show "$id" | jpy '[(m["session"], m["caller"]["remote"], m["caller"]["relay"], m["callee"]["remote"], m["callee"]["relay"]) for m in d["media"]]')" \
		"$(jpy '[(m["session"], m["caller"]["remote"], m["caller"]["relay"], m["callee"]["remote"], m["callee"]["relay"]) for m in d]' <<<"$cs0")"
	cl_rtp bad-reinvite "$A4:4100" "$ar" "$B4:5100" "$br" 100 100 100
else
	xr_ok "mallory: the call's media is anchored" false
fi
[ -n "$id" ] && hs_poke "$id" a "$A4:5070"
cl_reap m-uac "$uac" 15
cl_reap m-uas "$uas" 10
cl_check_clean "mallory: after the BYE"

xr_log "---- end (t=${SECONDS}s)"
xr_ok "xrelayd still running" kill -0 "$XR_DAEMON_PID"
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
