#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sip_fail.sh - calls through xrelayd that do not connect, each answered as
# RFC 3261 §16 says: 486 from a busy callee forwarded; CANCEL of a ringing
# call gives 200 + 487 (§16.10); an unregistered user 404 (§16.5);
# Max-Forwards 0 gives 483, except an OPTIONS for the proxy itself, 200
# (§16.3); a callee that never answers gives 408 once the branch's Timer B
# (64*T1 = 32 s) fires (§16.7 step 6); a request that loops back gets 482
# (§16.3 step 4).  SIPp's exit status (0 = every call
# went as its scenario says) decides; the dialog table must end up empty.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.sh"

sip_setup --route "loop=sip:loop@$RA4:5060"
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

# A static route that points back at the proxy: the request spirals once
# (new Request-URI), then comes back unchanged and is a loop.
sip_uac uac-482 uac_482.xml u1 20 -s loop -m 1
xr_eq "a request looping through the proxy: 482 (sipp exit)" "$?" 0

xr_ok "no call left in the dialog table" sip_calls_empty

# The silent callee last: Timer B is 32 s with the default T1.
sip_uas uas-silent uas_silent.xml u1 -m 1
uas=$SIPP_BG_PID
t0=$SECONDS
sip_uac uac-408 uac_408.xml u1 50 -s bob -m 1
xr_eq "silent callee: the caller gets 408 (sipp exit)" "$?" 0
xr_ge "the 408 came after Timer B (s)" $((SECONDS - t0)) 30
sipp_bg_stop "$uas"
xr_ok "no call left in the dialog table" sip_calls_empty

xr_ok "xrelayd still running" kill -0 "$XR_DAEMON_PID"
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
