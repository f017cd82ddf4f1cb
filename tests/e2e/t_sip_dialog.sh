#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sip_dialog.sh - a dialog used in both directions through the proxy's
# Record-Route (RFC 3261 §12.2, §16.4 loose routing, §16.12): the caller's
# re-INVITE (200/ACK along the route set), the callee's re-INVITE towards the
# caller, and the callee's BYE, over UDP and over TCP; then SIPp's built-in
# uac/uas, whose in-dialog requests ignore Record-Route.  Both SIPp ends'
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

# SIPp's built-in scenarios: the UAS copies no Record-Route into its answers
# and the UAC sends ACK and BYE to sip:service@<proxy> without a Route.  The
# proxy must still carry them to the callee by the dialog (the ACK for the
# 2xx too: else the callee retransmits its 200 and the calls fail).
acks_fwd() {
	xr_ctl_json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["sip"]["acks_forwarded"])'
}
sip_register service u1
xr_ok "REGISTER service" [ $? -eq 0 ]
acks0=$(acks_fwd)
sipp_bg b uas-builtin -sn uas -i $B4 -p $SIP_UAS_PORT -t u1 -m 3
uas=$SIPP_BG_PID
sipp_fg a uac-builtin 20 -sn uac -i $A4 -p $SIP_UAC_PORT -t u1 -s service -m 3 -r 5 \
	-d 200 $RA4:5060
xr_eq "built-in uac/uas: 3 calls (caller's sipp exit)" "$?" 0
xr_eq "built-in uac/uas: successful calls" "$(sipp_stat uac-builtin 'SuccessfulCall(C)')" 3
sipp_reap "$uas"
xr_eq "built-in uas: every call ended as its scenario says (sipp exit)" "$?" 0
xr_ok "built-in uac/uas: no call left in the dialog table" sip_calls_empty
xr_eq "the 3 ACKs for the 2xx were forwarded, not absorbed" "$(($(acks_fwd) - acks0))" 3

xr_ok "xrelayd still running" kill -0 "$XR_DAEMON_PID"
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
