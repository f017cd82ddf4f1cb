#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sip_dialog.sh - a dialog used in both directions through the proxy's
# Record-Route (RFC 3261 §12.2, §16.4 loose routing, §16.12): the caller's
# re-INVITE (200/ACK along the route set), the callee's re-INVITE towards the
# caller, and the callee's BYE, over UDP and over TCP.  Both SIPp ends'
# verdicts count (each checks what reaches it); the dialog table must end up
# empty after the callee's BYE.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.sh"

sip_setup

for tp in u1 t1; do
	sip_register bob $tp
	xr_ok "REGISTER bob ($tp)" [ $? -eq 0 ]
	sip_uas "uas-dlg-$tp" uas_dialog.xml $tp -m 3
	uas=$SIPP_BG_PID
	sip_uac "uac-dlg-$tp" uac_dialog.xml $tp 20 -s bob -m 3 -r 5
	xr_eq "$tp: re-INVITE each way and the callee's BYE (caller's sipp exit)" "$?" 0
	xr_eq "$tp: successful calls" "$(sipp_stat "uac-dlg-$tp" 'SuccessfulCall(C)')" 3
	sipp_reap "$uas"
	xr_eq "$tp: the callee's side went as its scenario says (sipp exit)" "$?" 0
	xr_ok "$tp: no call left in the dialog table" sip_calls_empty
	sip_unregister bob $tp
done

xr_ok "xrelayd still running" kill -0 "$XR_DAEMON_PID"
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
