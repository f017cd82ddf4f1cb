#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sip_fail.sh - calls through xrelayd that do not connect, each answered as
# RFC 3261 §16 says: 486 from a busy callee forwarded; CANCEL of a ringing
# call gives 200 + 487 (§16.10); an unregistered user 404 (§16.5);
# Max-Forwards 0 gives 483, except an OPTIONS for the proxy itself, 200
# (§16.3); a callee that never answers gives 408 once the branch's Timer B
# (64*T1; T1 is 50 ms here, so 3.2 s) fires (§16.7 step 6); a callee that
# rings and then says nothing is CANCELled when Timer C fires (5 s here) and
# the caller gets 408 (§16.8); a route back to the proxy itself gets 403
# (never towards ourselves).  SIPp's exit status (0 = every call
# went as its scenario says) decides; the dialog table must end up empty.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.sh"

sip_setup --route "loop=sip:loop@$RA4:5060" --sip-t1 50 --timer-c 5
sip_register bob u1
xr_ok "REGISTER bob" [ $? -eq 0 ]

sip_uas uas-486 uas_486.xml u1 -m 3
uas=$SIPP_BG_PID
sip_uac uac-486 uac_486.xml u1 20 -s bob -m 3 -r 5
xr_eq "busy callee: 3 calls end in 486 (sipp exit)" "$?" 0
xr_eq "busy callee: successful scenarios" "$(sipp_stat uac-486 'SuccessfulCall(C)')" 3
sipp_reap "$uas"
xr_eq "busy callee: the proxy ACKed each 486 (sipp exit)" "$?" 0

sip_uas uas-cancel uas_cancel.xml u1 -m 3
uas=$SIPP_BG_PID
sip_uac uac-cancel uac_cancel.xml u1 20 -s bob -m 3 -r 5
xr_eq "CANCEL while ringing: 200 then 487 (sipp exit)" "$?" 0
xr_eq "CANCEL: successful scenarios" "$(sipp_stat uac-cancel 'SuccessfulCall(C)')" 3
sipp_reap "$uas"
xr_eq "CANCEL: the callee got CANCEL, answered 200 + 487, got the ACK (sipp exit)" "$?" 0

sip_uac uac-404 uac_404.xml u1 20 -s nobody -m 2 -r 5
xr_eq "unregistered user: 404 (sipp exit)" "$?" 0

sip_uac uac-483 uac_483.xml u1 20 -s bob -m 2 -r 5
xr_eq "Max-Forwards 0: 483 (sipp exit)" "$?" 0

sip_uac opt0 options0.xml u1 20 -m 1
xr_eq "OPTIONS for the proxy with Max-Forwards 0: 200 (sipp exit)" "$?" 0

# A static route that points back at the proxy: SIP never goes to the
# relay's own addresses (issue 13), so it is refused before it could loop
# (loop detection itself, §16.3 step 4, is test_proxy_validate's).
sip_uac uac-self uac_403_self.xml u1 20 -s loop -m 1
xr_eq "a route back to the proxy itself: 403 (sipp exit)" "$?" 0
xr_ok "... refused as our own address (logged)" grep -q "own address" "$XR_TMP/xrelayd.log"

xr_ok "no call left in the dialog table" sip_calls_empty

# The silent callee: Timer B is 64*T1 = 3.2 s with --sip-t1 50, before Timer C
# (5 s) would fire.  uac_408.xml waits 1 s after its ACK: that is in ms.
sip_uas uas-silent uas_silent.xml u1 -m 1
uas=$SIPP_BG_PID
t0=$(date +%s%N)
sip_uac uac-408 uac_408.xml u1 20 -s bob -m 1
xr_eq "silent callee: the caller gets 408 (sipp exit)" "$?" 0
ms=$((($(date +%s%N) - t0) / 1000000))
xr_ge "the 408 came after Timer B = 3200 ms + 1 s timewait (ms)" "$ms" 4150
xr_ok "... and before Timer C ($ms <= 5500 ms)" [ "$ms" -le 5500 ]
sipp_bg_stop "$uas"
xr_ok "no call left in the dialog table" sip_calls_empty

# Timer C (--timer-c 5): the callee rings and then says nothing.  5 s after
# its 180 the proxy CANCELs the branch (the callee answers 200 + 487 and gets
# the ACK) and the caller gets 408, not the 487 (§16.8).
sip_uas uas-timer-c uas_cancel.xml u1 -m 1
uas=$SIPP_BG_PID
t0=$(date +%s%N)
sip_uac uac-timer-c uac_408.xml u1 20 -s bob -m 1
xr_eq "ringing callee silent past Timer C: the caller gets 408 (sipp exit)" "$?" 0
ms=$((($(date +%s%N) - t0) / 1000000))
xr_ge "the 408 came after Timer C = 5000 ms + 1 s timewait (ms)" "$ms" 5950
xr_ok "... and not much later ($ms <= 7000 ms)" [ "$ms" -le 7000 ]
sipp_reap "$uas"
xr_eq "Timer C: the callee got the CANCEL, answered 200 + 487, got the ACK (sipp exit)" "$?" 0
xr_ok "no call left in the dialog table" sip_calls_empty

xr_ok "xrelayd still running" kill -0 "$XR_DAEMON_PID"
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
