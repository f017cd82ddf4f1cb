#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_call_teardown.sh - every way an anchored call ends leaves nothing behind
# (no call, no media session, no flow, an empty kernel map, every port free):
#   kill     `xrelayctl call kill` on a call with RTP: BYE to both SIPps
#   486      an INVITE with an offer that fails: the offer's session is gone
#   cancel   a 183 with SDP (kernel entries written), then CANCEL / 487
#   late     a delayed-offer call (offer in the 200, answer in the ACK)
#            carries RTP both ways, in the kernel, then BYE
#   timeout  --media-timeout 3: a call whose RTP stops is ended by the relay
#            with a BYE to each party (each SIPp answers it), not before;
#            so is a call that never had any media
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/call_lib.sh"

cl_start b
N=100

# ---- kill
cl_uas kill-uas call_uas.xml b 5100; uas=$CL_PID
cl_uac kill-uac call_uac_wait.xml bob 4100; uac=$CL_PID
id=$(cl_wait_call confirmed)
xr_ok "kill: the call is confirmed" [ -n "$id" ]
ar=
if [ -n "$id" ] && cl_wait_media "$id"; then
	ar=$CL_AR br=$CL_BR
	cl_rtp kill "$A4:4100" "$ar" "$B4:5100" "$br" $N $N $N
fi
xr_ok "kill: xrelayctl call kill $id" xr_ctl call kill "${id:-0}"
cl_reap kill-uac "$uac" 10
cl_reap kill-uas "$uas" 10
cl_check_clean "kill"
[ -n "$ar" ] && cl_rtp kill-after "$A4:4100" "$ar" "$B4:5100" "$br" 30 0 0

# ---- 486
cl_uas busy-uas uas_486.xml b 5100; uas=$CL_PID
cl_uac busy-uac call_uac_486.xml bob 4100; uac=$CL_PID
cl_reap busy-uac "$uac" 10
cl_reap busy-uas "$uas" 10
xr_eq "486: the callee got the relay's offer (c=)" \
	"$(cl_sdp busy-uas received '^INVITE' | cut -d'|' -f2)" "$RB4"
cl_check_clean "486"

# ---- CANCEL after early media was set up
cl_uas cancel-uas call_uas_early_lose.xml b 5100; uas=$CL_PID
cl_uac cancel-uac call_uac_cancel.xml bob 4100; uac=$CL_PID
cl_reap cancel-uac "$uac" 10
cl_reap cancel-uas "$uas" 10
xr_eq "cancel: the caller's 183 named the relay (c=)" \
	"$(cl_sdp cancel-uac received '^SIP/2.0 183' | cut -d'|' -f2)" "$RA4"
cl_check_clean "cancel"

# ---- delayed offer
cl_uas late-uas call_uas.xml b 5100; uas=$CL_PID
cl_uac late-uac call_uac_late.xml bob 4100; uac=$CL_PID
id=$(cl_wait_call confirmed)
xr_ok "late: the call is confirmed" [ -n "$id" ]
ar=
if [ -n "$id" ] && cl_wait_media "$id" 3; then
	ar=$CL_AR br=$CL_BR sid=$CL_SID
	xr_log "late: call $id, session $sid: a sends to $ar, b sends to $br"
	xr_eq "late: call show: the parties' SDP addresses" \
		"$(cl_m "$id" 'm["caller"]["remote"] + " " + m["callee"]["remote"]')" "$A4:4100 $B4:5100"
	cl_rtp late "$A4:4100" "$ar" "$B4:5100" "$br" $N $N $N
	cl_kernel_only late "$sid" $N
else
	xr_ok "late: the answer in the ACK completed the media (call show)" false
fi
cl_go late-uac sent '^ACK'
cl_reap late-uac "$uac" 10
cl_reap late-uas "$uas" 10
xr_eq "late: the offer in the 200 reached the caller pointing at the relay (c=)" \
	"$(cl_sdp late-uac received '^SIP/2.0 200' | cut -d'|' -f2)" "$RA4"
xr_eq "late: the answer in the ACK reached the callee pointing at the relay (c=)" \
	"$(cl_sdp late-uas received '^ACK' | cut -d'|' -f2)" "$RB4"
[ -n "$ar" ] && xr_eq "late: ... at the callee's relay port (m=)" \
	"$(cl_sdp late-uas received '^ACK' | cut -d'|' -f3)" "$(ml_port "$br")"
cl_check_clean "late"

# ---- media timeout
cl_restart --media-timeout 3
cl_register bob b
xr_ok "REGISTER bob again" [ $? -eq 0 ]
cl_uas to-uas call_uas.xml b 5100; uas=$CL_PID
cl_uac to-uac call_uac_wait.xml bob 4100; uac=$CL_PID
id=$(cl_wait_call confirmed)
xr_ok "timeout: the call is confirmed" [ -n "$id" ]
if [ -n "$id" ] && cl_wait_media "$id" 3; then
	# 2 s of RTP both ways keep it alive past its first 3 s ...
	ml_rtp a "$XR_TMP/to.a.json" --bind "$A4:4100" --to "$CL_AR" --count 400 --rate 200 \
		--expect 400 --wait 0.2
	ml_rtp b "$XR_TMP/to.b.json" --bind "$B4:5100" --to "$CL_BR" --count 400 --rate 200 \
		--expect 400 --wait 0.2
	ml_wait
	t0=$(date +%s%N)
	sleep 1
	xr_eq "timeout: 1 s after the media stopped the call is still up" \
		"$(cl_calls | jpy '[c["state"] for c in d]')" '["confirmed"]'
	xr_eq "timeout: the 400 RTP packets each way arrived" \
		"$(cl_rx "$XR_TMP/to.a.json") $(cl_rx "$XR_TMP/to.b.json")" "400 400"
fi
# ... then the relay BYEs both ends; each SIPp answers 200 and exits 0.
cl_reap to-uac "$uac" 10
t1=$(date +%s%N)
cl_reap to-uas "$uas" 5
if [ -n "${t0:-}" ]; then
	dt=$(( (t1 - t0) / 1000000 ))
	xr_log "timeout: the BYE came ${dt} ms after the last RTP packet (--media-timeout 3)"
	xr_ok "timeout: ended between 2.5 and 7 s after the media stopped (${dt} ms)" \
		[ "$dt" -ge 2500 ] && [ "$dt" -le 7000 ]
fi
cl_check_clean "timeout"

# ---- media timeout of a call that never had media: counted from the answer.
cl_uas silent-uas call_uas.xml b 5100; uas=$CL_PID
cl_uac silent-uac call_uac_wait.xml bob 4100; uac=$CL_PID
if id=$(cl_wait_call confirmed); then
	t0=$(date +%s%N)
	cl_reap silent-uac "$uac" 12
	dt=$(( ($(date +%s%N) - t0) / 1000000 ))
	xr_log "silent: the BYE came ${dt} ms after the answer (--media-timeout 3)"
	xr_ok "silent: a call with no media at all ended 2.5 to 7 s after the answer (${dt} ms)" \
		[ "$dt" -ge 2500 ] && [ "$dt" -le 7000 ]
else
	xr_ok "silent: the call is confirmed" false
	cl_reap silent-uac "$uac" 12
fi
cl_reap silent-uas "$uas" 5
cl_check_clean "silent"
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
