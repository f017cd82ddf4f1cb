#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sip_late2xx.sh - a 2xx to the INVITE that arrives after its call ended
# (RFC 3261 §13.3.1.4 / RFC 6026: the callee retransmits its 2xx until the
# ACK, and a late copy, or another fork's 2xx, can arrive after the BYE).
# The relay's INVITE client transaction still exists (Timer M, 32 s), its
# call record does not: the 2xx is forwarded statelessly upstream (the
# caller's SIPp discards it) and nothing else happens.  Found by `make
# bench-sip` past the proxy's capacity: xrelayd crashed (SIGSEGV) on such a
# 2xx once a call record was let go after its final (issue 16's heap work).
#   1  a call, the caller hangs up, the callee answers the BYE and then
#      sends the INVITE's 200 once more
#   2  xrelayd is alive, forwarded it upstream, holds no call, no session
#   3  the next call goes through as usual
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/call_lib.sh"

cl_start b

for k in 1 2; do
	scen=call_uas_late2xx.xml
	[ $k = 2 ] && scen=call_uas.xml
	cl_uas late$k-uas $scen b 5100; uas=$CL_PID
	cl_uac late$k-uac call_uac.xml bob 4100; uac=$CL_PID
	id=$(cl_wait_call confirmed)
	xr_ok "call $k: confirmed" [ -n "$id" ]
	cl_go late$k-uac sent '^ACK'		# alice hangs up
	cl_reap late$k-uas "$uas" 15
	cl_reap late$k-uac "$uac" 15
	xr_ok "call $k: xrelayd is alive" kill -0 "$XR_DAEMON_PID"
	cl_check_clean "call $k"
done
xr_eq "the callee sent the INVITE's 200 after the BYE's" \
	"$(cl_msgs late1-uas sent '^SIP/2.0 200')" 3
xr_ok "the relay forwarded the late 200 upstream (the caller got three 200s)" \
	[ "$(cl_msgs late1-uac received '^SIP/2.0 200')" -ge 3 ]
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
