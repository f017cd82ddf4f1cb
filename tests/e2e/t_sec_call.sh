#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sec_call.sh - calls with authentication on and nothing trusted: bob's
# phone (b) registers with his password (SIPp, MD5 digest: --auth-algorithms
# MD5,SHA-256, as a SIPp takes the first challenge), without it it gets 401
# and no binding; alice (a, untrusted, no credentials) calls him (a user of
# ours: allowed), the call's in-dialog requests (ACK, BYE both ways) pass as
# requests of a dialog we keep, RTP flows both ways through XDP; then a call
# to a foreign target from the same untrusted host is refused.  The seed
# flows with everyone untrusted: simple (hung up by either side), re-INVITE
# (either side, hold and resume), forking (183, CANCEL, answer).
SIP_TRUSTED_ARGS=()
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/call_lib.sh"

PW="bob's phone pw"
CRED=$XR_TMP/credentials
echo "bob example.com MD5:$(printf %s "bob:example.com:$PW" | md5sum | cut -d' ' -f1)" >"$CRED"
cl_setup --credentials "$CRED" --auth-algorithms MD5,SHA-256
cl_xdp_check

sipp_fg b reg-noauth 15 -sf "$CL_SCEN/reg.xml" -s bob -i "$B4" -p 5060 -t u1 -m 1 \
	-timeout_error "$RB4:5060"
xr_ok "bob's phone without credentials is not registered (SIPp fails)" [ $? -ne 0 ]
xr_eq "... no binding" "$(xr_ctl --json stats | jpy 'd["sip"]["bindings"]')" 0
sipp_fg b reg-bob 15 -sf "$CL_SCEN/reg_auth.xml" -s bob -au bob -ap "$PW" -i "$B4" -p 5060 \
	-t u1 -m 1 "$RB4:5060"
xr_eq "bob's phone registers with his password (401, then 200)" "$?" 0
xr_eq "... one binding" "$(xr_ctl --json stats | jpy 'd["sip"]["bindings"]')" 1

N=100
# call NAME WHO : alice calls bob, hung up by WHO; media both ways in the kernel.
call() {
	local name=$1 who=$2 uas uac id
	if [ "$who" = caller ]; then
		cl_uas "$name-uas" call_uas.xml b 5100; uas=$CL_PID
		cl_uac "$name-uac" call_uac.xml bob 4100; uac=$CL_PID
	else
		cl_uas "$name-uas" call_uas_bye.xml b 5100; uas=$CL_PID
		cl_uac "$name-uac" call_uac_wait.xml bob 4100; uac=$CL_PID
	fi
	id=$(cl_wait_call confirmed)
	xr_ok "$name: untrusted alice's call to bob is confirmed" [ -n "$id" ]
	if [ -n "$id" ] && cl_wait_media "$id"; then
		cl_rtp "$name" "$A4:4100" "$CL_AR" "$B4:5100" "$CL_BR" $N $N $N
	else
		xr_ok "$name: the call's media is anchored" false
	fi
	if [ "$who" = caller ]; then cl_go "$name-uac" sent '^ACK'; else cl_go "$name-uas" received '^ACK'; fi
	cl_reap "$name-uac" "$uac" 20
	cl_reap "$name-uas" "$uas" 10
	cl_check_clean "$name: after the $who's BYE"
}
call bye-caller caller
call bye-callee callee

# ---- seed flow 3: re-INVITEs from either side (new port and codec, hold, resume).
# Each exchange starts once the one before is done (cl_go: see t_call_reinvite).
cl_uas reinv-uas call_uas_reinv.xml b 5100 -key rtp_port2 5102; uas=$CL_PID
cl_uac reinv-uac call_uac_reinv.xml bob 4100 -key rtp_port2 4102 -key rtp_port3 4104 \
	-key rtp_port4 4106; uac=$CL_PID
cl_go reinv-uas received '^ACK' 1	# b: new port and PCMA
cl_go reinv-uac received '^ACK' 1	# a: new port
cl_go reinv-uac sent '^ACK' 2		# a holds
cl_go reinv-uac sent '^ACK' 3		# a resumes
cl_go reinv-uas received '^ACK' 4	# b holds (c=0.0.0.0)
cl_go reinv-uas sent '^ACK' 2		# b resumes
cl_go reinv-uac received '^ACK' 3	# a's UPDATE
cl_go reinv-uac received '^SIP/2.0 200' 5	# a's refused re-INVITE
cl_go reinv-uac sent '^ACK' 5		# a hangs up
cl_reap reinv-uac "$uac" 60
cl_reap reinv-uas "$uas" 10
cl_check_clean "reinv: after the BYE"

# ---- seed flow 2: bob's second phone (m) registers too; the call forks, m
# answers 183 and is CANCELled, b answers.
sipp_fg m reg-bob-m 15 -sf "$CL_SCEN/reg_auth.xml" -s bob -au bob -ap "$PW" -i "$M4" \
	-p 5060 -t u1 -m 1 "$RM4:5060"
xr_eq "bob's second phone registers with his password" "$?" 0
xr_eq "... two bindings" "$(xr_ctl --json stats | jpy 'd["sip"]["bindings"]')" 2
cl_uas fork-win call_uas_ring.xml b 5300; win=$CL_PID
cl_uas fork-lose call_uas_early_lose.xml m 6300; lose=$CL_PID
cl_uac fork-uac call_uac.xml bob 4300; uac=$CL_PID
xr_ok "fork: the call is listed while both ring" cl_first_call >/dev/null
cl_go fork-win sent '^SIP/2.0 180'	# b answers
id=$(cl_wait_call confirmed 1 10)
xr_ok "fork: the call is confirmed" [ -n "$id" ]
# The media of a fork is t_call_fork's (layout's own fork media checks are
# timing-sensitive on a loaded VM); here: the winner's media is anchored.
xr_ok "fork: the media follows the phone that answered (b)" \
	cl_wait_m "$id" 'm.get("callee") and m["callee"].get("remote") == r' 5 r="$B4:5300"
cl_go fork-uac sent '^ACK'
cl_reap fork-uac "$uac" 25
cl_reap fork-win "$win" 10
cl_reap fork-lose "$lose" 10
cl_check_clean "fork: after the BYE"

r=$(xr_ns a /usr/bin/python3 "$XR_ROOT/tests/e2e/sipc.py" send --local "$A4" \
	--server "$RA4:5060" --method INVITE --ruri "sip:+19005551234@$B4:5070" | tail -n 1)
xr_eq "the same untrusted host calling a foreign target: 403" "$(jpy 'd["code"]' <<<"$r")" 403
xr_eq "access counters: challenges, relay_forbidden" \
	"$(xr_ctl --json stats | jpy '(d["sip"]["access"]["auth_challenges"] > 0, d["sip"]["access"]["relay_forbidden"])')" \
	"[true,1]"
xr_done
