#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_call_reinvite.sh - seed flow 3 with its media anchored (DESIGN.md
# "re-INVITE"), one call through phases, each with RTP both ways:
#   P0  the call as answered (a 4100 PCMU, b 5100 PCMU)
#   P1  b re-INVITEs to port 5102 and PCMA: RTP follows to 5102 at once,
#       5100 receives nothing, PCMA arrives, the relay ports stay the same
#   P2  a re-INVITEs to port 4102: the same on the caller's side
#   P3  a holds (a=sendonly, b answers recvonly): a's RTP still reaches b,
#       b's RTP towards a is not forwarded
#   P4  a resumes: both ways again
#   P5  b holds RFC 2543 style (c=0.0.0.0): b's RTP still reaches a, a's
#       RTP towards b is not forwarded
#   P6  b resumes: both ways
#   P7  a's UPDATE (RFC 3311) moves a to port 4104: RTP follows, 4102 gets nothing
#   P8  a's re-INVITE to port 4106 is refused (488): the offer is void, RTP
#       stays on 4104, 4106 gets nothing (RFC 3264 section 8)
# Every SDP each SIPp received names its relay address and the one relay port
# that side had from the start; after the BYE nothing is left behind.  Each
# phase starts when the test is done with the one before (cl_go: the
# scenarios wait at <recvCmd/>), never after a fixed time.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/call_lib.sh"

cl_start b

N=100
cl_uas uas call_uas_reinv.xml b 5100 -key rtp_port2 5102; uas=$CL_PID
cl_uac uac call_uac_reinv.xml bob 4100 -key rtp_port2 4102 -key rtp_port3 4104 \
	-key rtp_port4 4106
uac=$CL_PID

# phase NAME COND ABIND BBIND WANT_A WANT_B OLD_HOST OLD_BIND [rtp.py args] :
# wait for COND (over m, the call's stream), then RTP both ways (a from
# ABIND, b from BBIND, each to the relay address `call show` gives it now);
# a must get WANT_A, b WANT_B; OLD_BIND (in OLD_HOST; "-" none) must get nothing.
phase() {
	local name=$1 cond=$2 abind=$3 bbind=$4 wa=$5 wb=$6 oh=$7 ob=$8 nar nbr
	shift 8; [ "$ob" = - ] && ob=
	if ! cl_wait_m "$id" "$cond" 6; then
		xr_ok "$name: the relay took the new SDP ($cond)" false
		return 1
	fi
	nar=$(cl_m "$id" 'm["caller"]["relay"]'); nbr=$(cl_m "$id" 'm["callee"]["relay"]')
	xr_eq "$name: relay ports unchanged (caller's, callee's)" "$nar $nbr" "$ar $br"
	[ -n "$ob" ] && cl_sink "$oh" "$ob" "$XR_TMP/$name.old.json"
	cl_rtp "$name" "$abind" "$nar" "$bbind" "$nbr" $N "$wa" "$wb" "$@"
	[ -n "$ob" ] && xr_eq "$name: the old port $ob received nothing" \
		"$(cl_rx "$XR_TMP/$name.old.json")" 0
	[ "$wa" -gt 0 ] && [ "$wb" -gt 0 ] && xr_eq "$name: call show: both paths are the kernel" \
		"$(cl_m "$id" 'm["caller"]["path"] + " " + m["callee"]["path"]')" "kernel kernel"
	return 0
}

ar= br=
id=$(cl_wait_call confirmed)
xr_ok "the call is confirmed" [ -n "$id" ]
if [ -n "$id" ] && cl_wait_media "$id"; then
	ar=$CL_AR br=$CL_BR
	xr_log "call $id, session $CL_SID: a sends to $ar, b sends to $br"
	phase P0 'm["callee"]["remote"] == "'$B4':5100"' "$A4:4100" "$B4:5100" $N $N - -
	fwd0=$(ml_counter fwd_redirect)
	cl_go uas received '^ACK' 1		# b's re-INVITE
	phase P1 'm["callee"]["remote"] == "'$B4':5102"' "$A4:4100" "$B4:5102" $N $N \
		b "$B4:5100" --pt 8 &&
		xr_eq "P1: PCMA (PT 8) arrives at b's new port" \
			"$(jpy 'sorted(set(sum((s["pts"] for s in d["sources"].values()), [])))' \
				<"$XR_TMP/P1.b.json")" "[8]"
	cl_go uac received '^ACK' 1		# a's re-INVITE
	phase P2 'm["caller"]["remote"] == "'$A4':4102"' "$A4:4102" "$B4:5102" $N $N \
		a "$A4:4100" --pt 8
	cl_go uac sent '^ACK' 2			# a's hold
	phase P3 'm["caller"]["direction"] == "sendonly"' "$A4:4102" "$B4:5102" 0 $N - - --pt 8
	cl_go uac sent '^ACK' 3			# a's resume
	phase P4 'm["caller"]["direction"] == "sendrecv" and m["callee"]["direction"] == "sendrecv"' \
		"$A4:4102" "$B4:5102" $N $N - - --pt 8
	cl_go uas received '^ACK' 4		# b's hold
	phase P5 'm["callee"]["direction"] in ("sendonly", "inactive") or m["callee"]["remote"].startswith("0.0.0.0")' \
		"$A4:4102" "$B4:5102" $N 0 - - --pt 8
	cl_go uas sent '^ACK' 2			# b's resume
	phase P6 'm["callee"]["direction"] == "sendrecv" and m["callee"]["remote"] == "'$B4':5102"' \
		"$A4:4102" "$B4:5102" $N $N - - --pt 8
	cl_go uac received '^ACK' 3		# a's UPDATE
	phase P7 'm["caller"]["remote"] == "'$A4':4104"' "$A4:4104" "$B4:5102" $N $N \
		a "$A4:4102" --pt 8
	# P8: the caller's CSeq 6 re-INVITE, refused; nothing in the call may
	# change.  The relay voided the offer before it forwarded the 488.
	cl_go uac received '^SIP/2.0 200' 5	# a's last re-INVITE
	for _ in $(seq 1 100); do
		[ "$(cl_msgs uac received '^SIP/2.0 488')" -ge 1 ] && break
		sleep 0.1
	done
	xr_eq "P8: the caller got the 488" "$(cl_msgs uac received '^SIP/2.0 488')" 1
	phase P8 'm["caller"]["remote"] == "'$A4':4104"' "$A4:4104" "$B4:5102" $N $N \
		a "$A4:4106" --pt 8
	# P1-P8 forwarded 14 N packets; the latching ones (a few a phase) went through userspace.
	xr_ge "stats fwd_redirect: the re-negotiated media went through the kernel" \
		"$(( $(ml_counter fwd_redirect) - fwd0 ))" $((14 * N - 45))
else
	xr_ok "the call's media is anchored (call show lists both parties)" false
fi
cl_go uac sent '^ACK' 5				# a hangs up
cl_reap uac "$uac" 45
cl_reap uas "$uas" 10

# What each side was told, exchange after exchange: its relay address and
# port, never the other party's; the codec each side chose passes through.
xr_log "SDP the caller got: $(cl_sdp uac received . | tr '\n' ';')"
xr_log "SDP the callee got: $(cl_sdp uas received . | tr '\n' ';')"
xr_eq "the caller got 8 SDPs (200, 2 re-INVITEs, 5 answers)" "$(cl_sdp uac received . | wc -l)" 8
xr_eq "the callee got 9 SDPs (INVITE, 4 re-INVITEs, UPDATE, 3 answers)" \
	"$(cl_sdp uas received . | wc -l)" 9
xr_eq "every c= the caller got is the relay's on eth-a (the callee's hold keeps 0.0.0.0)" \
	"$(cl_sdp uac received . | cut -d'|' -f2 | sort -u | tr '\n' ' ')" "0.0.0.0 $RA4 "
xr_eq "c=0.0.0.0 came only with the callee's hold" \
	"$(cl_sdp uac received . | grep -c '|0\.0\.0\.0|')" 1
xr_eq "every c= the callee got is the relay's on eth-b" \
	"$(cl_sdp uas received . | cut -d'|' -f2 | sort -u)" "$RB4"
if [ -n "$ar" ]; then
	xr_eq "one relay port in every SDP the caller got" \
		"$(cl_sdp uac received . | cut -d'|' -f3 | sort -u)" "$(ml_port "$ar")"
	xr_eq "one relay port in every SDP the callee got" \
		"$(cl_sdp uas received . | cut -d'|' -f3 | sort -u)" "$(ml_port "$br")"
fi
xr_eq "the callee's re-INVITE reached the caller with PCMA only" \
	"$(cl_sdp uac received '^INVITE' | head -n 1 | cut -d'|' -f4)" 8
xr_eq "the caller's hold reached the callee as sendonly" \
	"$(cl_sdp uas received '^INVITE' | sed -n 3p | cut -d'|' -f6)" sendonly
xr_eq "the callee's recvonly answer reached the caller" \
	"$(cl_sdp uac received '^SIP/2.0 200' | sed -n 3p | cut -d'|' -f6)" recvonly
xr_eq "the UPDATE reached the callee" \
	"$(cl_sdp uas received '^UPDATE' | wc -l)" 1
cl_check_clean "after the BYE"
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
