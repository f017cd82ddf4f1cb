#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_call_simple.sh - seed flow 1 with its media anchored (DESIGN.md "simple"):
# a SIPp caller in a calls bob, a SIPp callee in b answers; xrelayd rewrites
# both SDPs (the caller's to its caller-side address 10.11.1.1, the callee's
# to 10.11.2.1: multi-homing), RTP both ways from the ports the SDPs name
# arrives exactly at the other party, from the relay port that party sends
# to, relayed by XDP but for the latching packets (`flows`, `stats`
# fwd_redirect), `call show` accounts for it; the call ends by the caller's
# BYE, then a second one by the callee's BYE, and after each nothing is left:
# no call, no session, no flow, an empty kernel map, every port free, and
# RTP to the old relay ports reaches nobody; RTCP goes through the relay's
# RTCP ports; then a call with audio and video (a media session each).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/call_lib.sh"

cl_start b

N=200
# call NAME WHO : one call, hung up by WHO (caller or callee).
call() {
	local name=$1 who=$2 uas uac id= sid= ar= br= fwd0 fwd1 cs fl
	if [ "$who" = caller ]; then
		cl_uas "$name-uas" call_uas.xml b 5100; uas=$CL_PID
		cl_uac "$name-uac" call_uac.xml bob 4100; uac=$CL_PID
	else
		cl_uas "$name-uas" call_uas_bye.xml b 5100; uas=$CL_PID
		cl_uac "$name-uac" call_uac_wait.xml bob 4100; uac=$CL_PID
	fi
	id=$(cl_wait_call confirmed)
	xr_ok "$name: the call is confirmed in \`calls\`" [ -n "$id" ]
	if [ -n "$id" ] && cl_wait_media "$id"; then
		sid=$CL_SID ar=$CL_AR br=$CL_BR
		xr_log "$name: call $id, media session $sid: a sends to $ar, b sends to $br"
		xr_eq "$name: caller's relay address faces a (multi-homing)" "$(ml_host "$ar")" "$RA4"
		xr_eq "$name: callee's relay address faces b (multi-homing)" "$(ml_host "$br")" "$RB4"
		cs=$(cl_show "$id")
		xr_eq "$name: call show: the parties' SDP addresses, one audio stream" \
			"$(jpy '[(m["type"], m["caller"]["remote"], m["callee"]["remote"]) for m in d["media"]]' \
				<<<"$cs")" "[[\"audio\",\"$A4:4100\",\"$B4:5100\"]]"
		fwd0=$(ml_counter fwd_redirect)
		cl_rtp "$name" "$A4:4100" "$ar" "$B4:5100" "$br" $N $N $N
		# RTCP to the relay's RTCP port (RTP port + 1, the a=rtcp it wrote).
		cl_rtp "$name-rtcp" "$A4:4101" "$(ml_rtcp "$ar")" "$B4:5101" "$(ml_rtcp "$br")" 30 30 30 --rtcp
		# Snapshots while the call is up (a loaded host is slow), checked after.
		cs=$(cl_show "$id"); fl=$(xr_ctl --json flows); fwd1=$(ml_counter fwd_redirect)
		m0() { jpy "(lambda m: $1)(d['media'][0])" <<<"$cs"; }
		xr_eq "$name: call show: both paths are the kernel" \
			"$(m0 'm["caller"]["path"] + " " + m["callee"]["path"]')" "kernel kernel"
		# packets: RTP and RTCP received from the party.
		xr_eq "$name: call show: packets from the caller, from the callee (RTP + RTCP)" \
			"$(m0 '"%d %d" % (m["caller"]["packets"], m["callee"]["packets"])')" \
			"$((N + 30)) $((N + 30))"
		xr_eq "$name: call show: kernel + userspace packets add up" \
			"$(m0 '"%d %d" % (m["caller"]["kernel_packets"] + m["caller"]["userspace_packets"],
				m["callee"]["kernel_packets"] + m["callee"]["userspace_packets"])')" \
			"$((N + 30)) $((N + 30))"
		xr_eq "$name: call show: both parties latched" \
			"$(m0 'm["caller"]["latched"] and m["callee"]["latched"]')" true
		cl_kernel_only "$name" "$sid" $N "$fl"
		# Every packet the kernel took (call show's kernel_packets, RTP and
		# RTCP, both parties) left by redirect.  Which RTCP packets go up
		# until both RTCP legs latch depends on timing (a loaded host starts
		# one rtp.py later than the other), so the bound is the kernel's own
		# count, not 2 x (N + 30) less a fixed allowance.
		kp=$(m0 'm["caller"]["kernel_packets"] + m["callee"]["kernel_packets"]')
		xr_ge "$name: stats fwd_redirect rose by every packet the kernel relayed ($kp)" \
			"$((fwd1 - fwd0))" "${kp:-999999}"
	else
		xr_ok "$name: the call's media is anchored (call show lists both parties)" false
	fi
	# Now WHO hangs up.
	if [ "$who" = caller ]; then cl_go "$name-uac" sent '^ACK'; else cl_go "$name-uas" received '^ACK'; fi
	cl_reap "$name-uac" "$uac" 20
	cl_reap "$name-uas" "$uas" 10
	# What each SIPp was told: the relay, never the other party.
	if [ -n "$ar" ]; then
		cl_sdp_check "$name: the 200 the caller got" "$name-uac" received '^SIP/2.0 200' \
			"$RA4" "$(ml_port "$ar")"
		cl_sdp_check "$name: the INVITE the callee got" "$name-uas" received '^INVITE' \
			"$RB4" "$(ml_port "$br")"
	else
		xr_eq "$name: the 200 the caller got names the relay (c=)" \
			"$(cl_sdp "$name-uac" received '^SIP/2.0 200' | cut -d'|' -f2)" "$RA4"
		xr_eq "$name: the INVITE the callee got names the relay (c=)" \
			"$(cl_sdp "$name-uas" received '^INVITE' | cut -d'|' -f2)" "$RB4"
	fi
	cl_check_clean "$name: after the $who's BYE"
	if [ -n "$ar" ]; then
		cl_rtp "$name-after" "$A4:4100" "$ar" "$B4:5100" "$br" 30 0 0
	fi
}
call bye-caller caller
call bye-callee callee

# ---- two streams (audio + video): one media session each, RTP on both.
cl_uas av-uas call_uas_av.xml b 5100 -key rtp_port2 5200; uas=$CL_PID
cl_uac av-uac call_uac_av.xml bob 4100 -key rtp_port2 4200; uac=$CL_PID
id=$(cl_wait_call confirmed)
xr_ok "av: the call is confirmed" [ -n "$id" ]
if [ -n "$id" ] && cl_wait_media "$id"; then
	cs=$(cl_show "$id")
	xr_eq "av: call show: an audio and a video stream" \
		"$(jpy '[m["type"] for m in d["media"]]' <<<"$cs")" '["audio","video"]'
	xr_eq "av: two media sessions" "$(jpy 'len(set(m["session"] for m in d["media"]))' <<<"$cs")" 2
	var=$(jpy 'd["media"][1]["caller"]["relay"]' <<<"$cs"); vbr=$(jpy 'd["media"][1]["callee"]["relay"]' <<<"$cs")
	xr_eq "av: the video stream's parties" \
		"$(jpy '(lambda m: m["caller"]["remote"] + " " + m["callee"]["remote"])(d["media"][1])' <<<"$cs")" \
		"$A4:4200 $B4:5200"
	cl_rtp av-audio "$A4:4100" "$CL_AR" "$B4:5100" "$CL_BR" $N $N $N
	cl_rtp av-video "$A4:4200" "$var" "$B4:5200" "$vbr" $N $N $N --pt 96
	vsid=$(jpy 'd["media"][1]["session"]' <<<"$cs")
	cl_kernel_only "av-video" "$vsid" $N "$(xr_ctl --json flows)"
	xr_eq "av: the 200 the caller got: both m= lines at the relay's ports" \
		"$(cl_sdp av-uac received '^SIP/2.0 200' | cut -d'|' -f7)" "$(ml_port "$CL_AR"),$(ml_port "$var")"
	xr_eq "av: the INVITE the callee got: both m= lines at the relay's ports" \
		"$(cl_sdp av-uas received '^INVITE' | cut -d'|' -f7)" "$(ml_port "$CL_BR"),$(ml_port "$vbr")"
else
	xr_ok "av: the call's media is anchored" false
fi
cl_go av-uac sent '^ACK'
cl_reap av-uac "$uac" 20
cl_reap av-uas "$uas" 10
cl_check_clean "av: after the BYE"

xr_ok "xrelayd still running" kill -0 "$XR_DAEMON_PID"
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
