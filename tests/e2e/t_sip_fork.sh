#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sip_fork.sh - parallel forking (RFC 3261 §16.5, §16.7): bob@example.com
# registers two contacts (two SIPp UASs in the callee host, ports 5060 and
# 5062); a call to bob reaches both; one answers 200, the other only sent 100
# and must be CANCELled by the proxy (§16.7 step 10) and its 487 absorbed.
# Then the same with a static --route carol=URI,URI, and the choice of the
# best final response when no branch answers 2xx, with the challenges of
# several 401 branches merged into the one sent upstream.  Each SIPp's exit status
# (0 = its whole scenario ran) decides.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.sh"

sip_setup --route "carol=sip:carol@$B4:5060,sip:carol@$B4:5062" \
	--route "dave=sip:dave@$B4:5060,sip:dave@$B4:5062" --route "erin=sip:erin@$B4:5060" \
	--route "frank=sip:frank@$B4:5060,sip:frank@$B4:5062" \
	--route "gina=sip:gina@$B4:5060,sip:gina@$B4:5062,sip:gina@$B4:5064"

sip_register bob u1
xr_ok "REGISTER bob at :5060" [ $? -eq 0 ]
sipp_fg b reg-bob-5062 15 -sf "$SIP_SCEN/reg.xml" -s bob -i $B4 -p 5062 -t u1 -m 1 $RB4:5060
xr_ok "REGISTER bob at :5062" [ $? -eq 0 ]
xr_eq "bob has two bindings" \
	"$(xr_ctl_json regs | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin)["regs"] if r["aor"] == "bob@example.com"))')" 2

# fork NAME USER : one call to USER; the 5060 UAS wins, the 5062 one loses.
fork() {
	local win lose rc
	sip_uas "win-$1" uas.xml u1 -m 1
	win=$SIPP_BG_PID
	sipp_bg b "lose-$1" -sf "$SIP_SCEN/uas_fork_lose.xml" -i $B4 -p 5062 -t u1 -m 1
	lose=$SIPP_BG_PID
	sip_uac "uac-$1" uac.xml u1 20 -s "$2" -m 1 -d 200
	xr_eq "$1: the caller's call succeeds" "$?" 0
	# The loser's scenario ends by itself once CANCEL, 487 and ACK are through.
	sipp_reap "$lose"; rc=$?
	xr_eq "$1: the other branch was CANCELled, 487 and ACK (sipp exit)" "$rc" 0
	sipp_reap "$win"; rc=$?
	xr_eq "$1: the winning callee saw the whole call (sipp exit)" "$rc" 0
	sipp_bg_stop "$win"; sipp_bg_stop "$lose"
}
fork registered bob
fork static carol

# Three branches (more than a response context holds in itself,
# PX_INLINE_BRANCHES): 5060 answers, 5062 and 5064 are both CANCELled.
sip_uas win-3 uas.xml u1 -m 1
win=$SIPP_BG_PID
sipp_bg b lose-3a -sf "$SIP_SCEN/uas_fork_lose.xml" -i $B4 -p 5062 -t u1 -m 1
lose1=$SIPP_BG_PID
sipp_bg b lose-3b -sf "$SIP_SCEN/uas_fork_lose.xml" -i $B4 -p 5064 -t u1 -m 1
lose2=$SIPP_BG_PID
sip_uac uac-3 uac.xml u1 20 -s gina -m 1 -d 200
xr_eq "three branches: the caller's call succeeds" "$?" 0
sipp_reap "$lose1"; xr_eq "three branches: the 5062 branch was CANCELled, 487 and ACK (sipp exit)" "$?" 0
sipp_reap "$lose2"; xr_eq "three branches: the 5064 branch was CANCELled, 487 and ACK (sipp exit)" "$?" 0
sipp_reap "$win"; xr_eq "three branches: the winning callee saw the whole call (sipp exit)" "$?" 0
sipp_bg_stop "$win"; sipp_bg_stop "$lose1"; sipp_bg_stop "$lose2"

# Best response (§16.7 step 6): 486 on one branch and 603 on the other: 603;
# a lone 503 goes upstream as 500.
sip_uas busy uas_486.xml u1 -m 1
b1=$SIPP_BG_PID
sipp_bg b decline -sf "$SIP_SCEN/uas_603.xml" -i $B4 -p 5062 -t u1 -m 1
b2=$SIPP_BG_PID
sip_uac uac-603 uac_603.xml u1 20 -s dave -m 1
xr_eq "486 + 603 from two branches: the caller gets 603 (sipp exit)" "$?" 0
sipp_reap "$b1"; xr_eq "the 486 branch was ACKed (sipp exit)" "$?" 0
sipp_reap "$b2"; xr_eq "the 603 branch was ACKed (sipp exit)" "$?" 0
sip_uas unavail uas_503.xml u1 -m 1
b1=$SIPP_BG_PID
sip_uac uac-500 uac_500.xml u1 20 -s erin -m 1
xr_eq "a lone 503 reaches the caller as 500 (sipp exit)" "$?" 0
sipp_reap "$b1"; xr_eq "the 503 branch was ACKed (sipp exit)" "$?" 0
# §16.7 step 7: two branches challenge (401, realms alpha and beta): the
# caller gets one 401 with both WWW-Authenticate values.
sip_uas auth-a uas_401.xml u1 -m 1 -key realm alpha
b1=$SIPP_BG_PID
sipp_bg b auth-b -sf "$SIP_SCEN/uas_401.xml" -i $B4 -p 5062 -t u1 -m 1 -key realm beta
b2=$SIPP_BG_PID
sip_uac uac-401 uac_401.xml u1 20 -s frank -m 1
xr_eq "401 + 401 from two branches: one 401 with both challenges (sipp exit)" "$?" 0
sipp_reap "$b1"; xr_eq "the alpha branch was ACKed (sipp exit)" "$?" 0
sipp_reap "$b2"; xr_eq "the beta branch was ACKed (sipp exit)" "$?" 0
xr_ok "no call left in the dialog table" sip_calls_empty
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
