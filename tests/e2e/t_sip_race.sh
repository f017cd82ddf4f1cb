#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sip_race.sh - races at the edges of a call through xrelayd.
#  1. CANCEL racing 200 (RFC 3261 §9.1, §16.10): the caller CANCELs on 180
#     while the callee answers.  The caller's scenario accepts either legal
#     outcome (200 or 481 for the CANCEL; 487 for the INVITE, or 200, then
#     ACK and BYE), each callee's scenario says what reached it.  Three
#     callees: 180+200 at once (the brief's race), a 200 sent after the
#     proxy's CANCEL reached it (200 crossing CANCEL: the proxy must still
#     forward the 2xx, §16.7 step 5), and 200+487 (the other outcome).
#  2. A forked INVITE both branches answer 200 (§16.7 step 5): both 2xx go
#     upstream, the caller ACKs and BYEs each dialog.
#  3. BYE crossing BYE: both ends hang up at once (the callee sends its BYE
#     before answering the caller's, so both are in the proxy together);
#     each gets 200 (or 481) for its BYE and answers the other's.
# Also: a callee that answers the CANCEL but never the INVITE (as SIPp does
# for a CANCEL it did not expect) must not hold the call until Timer C.
# Every SIPp must exit 0 and the dialog table must end up empty.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.sh"

sip_setup --sip-t1 50

sip_register bob u1
xr_ok "REGISTER bob" [ $? -eq 0 ]

# race NAME UAS-SCENARIO CALLS : the CANCEL race against one callee.
race() {
	local uas rc
	sip_uas "uas-$1" "$2" u1 -m "$3"
	uas=$SIPP_BG_PID
	sip_uac "uac-$1" uac_cancel_race.xml u1 15 -s bob -m "$3" -r 10
	xr_eq "$1: the caller's calls all ended cleanly (sipp exit)" "$?" 0
	xr_eq "$1: successful calls" "$(sipp_stat "uac-$1" 'SuccessfulCall(C)')" "$3"
	sipp_reap "$uas"; rc=$?
	xr_eq "$1: the callee's side went as its scenario says (sipp exit)" "$rc" 0
	xr_ok "$1: no call left in the dialog table" sip_calls_empty
}
race cancel-200 uas_cancel_race.xml 5
race cancel-cross uas_cancel_cross.xml 3
race cancel-487 uas_cancel.xml 3

# A callee that answers the CANCEL and never the INVITE: the proxy gives the
# branch up 64*T1 = 3.2 s after its CANCEL (RFC 3261 §9.1) and the caller
# gets 487; Timer C (180 s here) must not be what ends it.
sip_uas uas-nofinal uas_cancel_nofinal.xml u1 -m 1
uas=$SIPP_BG_PID
t0=$(date +%s%N)
sip_uac uac-nofinal uac_cancel.xml u1 15 -s bob -m 1
xr_eq "CANCELled callee with no final: the caller gets 200 + 487 (sipp exit)" "$?" 0
ms=$((($(date +%s%N) - t0) / 1000000))
xr_ge "the 487 came 64*T1 = 3200 ms after the CANCEL, + 1 s timewait (ms)" "$ms" 4150
xr_ok "... and not at Timer C ($ms <= 6000 ms)" [ "$ms" -le 6000 ]
sipp_reap "$uas"
xr_eq "CANCELled callee with no final: its side as its scenario says (sipp exit)" "$?" 0
xr_ok "no call left in the dialog table" sip_calls_empty

# 3. BYE crossing BYE, a few times.
sip_uas uas-byex uas_bye_cross.xml u1 -m 5
uas=$SIPP_BG_PID
sip_uac uac-byex uac_bye_cross.xml u1 15 -s bob -m 5 -r 10
xr_eq "BYE crossing BYE: the caller's calls all ended (sipp exit)" "$?" 0
xr_eq "BYE crossing BYE: successful calls" "$(sipp_stat uac-byex 'SuccessfulCall(C)')" 5
sipp_reap "$uas"
xr_eq "BYE crossing BYE: the callee's side too (sipp exit)" "$?" 0
xr_ok "BYE crossing BYE: no call left in the dialog table" sip_calls_empty

# 2. Two contacts for bob that both answer 200 at once.
sipp_fg b reg-bob-5062 15 -sf "$SIP_SCEN/reg.xml" -s bob -i $B4 -p 5062 -t u1 -m 1 $RB4:5060
xr_ok "REGISTER bob at :5062 too" [ $? -eq 0 ]
sip_uas fork-a uas_fork_answer.xml u1 -m 3
ua=$SIPP_BG_PID
sipp_bg b fork-b -sf "$SIP_SCEN/uas_fork_answer.xml" -i $B4 -p 5062 -t u1 -m 3
ub=$SIPP_BG_PID
sip_uac uac-fork uac_fork_2x200.xml u1 15 -s bob -m 3 -r 5
xr_eq "two forks answer 200: the caller gets both, ACKs and BYEs each (sipp exit)" "$?" 0
xr_eq "two forks answer 200: successful calls" "$(sipp_stat uac-fork 'SuccessfulCall(C)')" 3
sipp_reap "$ua"
xr_eq "fork at :5060: ACKed and BYEd every time (sipp exit)" "$?" 0
sipp_reap "$ub"
xr_eq "fork at :5062: ACKed and BYEd every time (sipp exit)" "$?" 0
xr_ok "two forks answer 200: no call left in the dialog table" sip_calls_empty

xr_ok "xrelayd still running" kill -0 "$XR_DAEMON_PID"
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
