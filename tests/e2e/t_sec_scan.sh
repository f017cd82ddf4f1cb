#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sec_scan.sh - Debian's sipvicious against xrelayd from an untrusted host:
# `svwar` (extension enumeration by REGISTER, OPTIONS and INVITE) finds no
# extension and leaves no binding; `svcrack` against a user that exists,
# with a dictionary that lacks the password, finds nothing and is counted
# as auth failures; the real password still works afterwards.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sec_lib.sh"

command -v svwar >/dev/null && command -v svcrack >/dev/null ||
	xr_skip "sipvicious (svwar, svcrack) missing"
sec_setup
export HOME=$XR_TMP	# sipvicious keeps its session files under ~/.sipvicious

# svwar: 100-140, the users that exist (alice, bob) and some that do not.
printf '%s\n' alice bob carol admin 1000 >"$XR_TMP/users.txt"
for meth in REGISTER OPTIONS INVITE; do
	timeout 120 ip netns exec "${XR_PFX}a" svwar -m $meth -e100-140 -t 0.02 \
		--maximumtime 10 "$RA4" >"$XR_TMP/svwar-$meth.out" 2>&1
	timeout 120 ip netns exec "${XR_PFX}a" svwar -m $meth -d "$XR_TMP/users.txt" \
		-t 0.02 --maximumtime 10 "$RA4" >>"$XR_TMP/svwar-$meth.out" 2>&1
	sed 's/^/# svwar: /' "$XR_TMP/svwar-$meth.out" | tail -n 6
	xr_ok "svwar -m $meth finds no extension" \
		bash -c "! grep -qE '^\| *(alice|bob|1[0-4][0-9]) +\|' '$XR_TMP/svwar-$meth.out'"
done
xr_ok "svwar -m REGISTER gives up: every name, real or not, is challenged alike" \
	grep -q "authentication request for an unknown extension" "$XR_TMP/svwar-REGISTER.out"
# Forced, it learns nothing either: what it lists, it lists for names that do
# not exist exactly as for those that do.
timeout 120 ip netns exec "${XR_PFX}a" svwar -m REGISTER --force -d "$XR_TMP/users.txt" \
	-t 0.02 --maximumtime 10 "$RA4" >"$XR_TMP/svwar-force.out" 2>&1
sed 's/^/# svwar --force: /' "$XR_TMP/svwar-force.out" | tail -n 12
st() { grep -E "^\| *$1 +\|" "$XR_TMP/svwar-force.out" | awk -F'|' '{print $3}' | tr -d ' '; }
xr_eq "svwar --force: bob (exists) and carol (does not) look the same" "$(st bob)" "$(st carol)"
xr_eq "svwar --force: alice (exists) and admin (does not) look the same" "$(st alice)" "$(st admin)"
xr_eq "no binding left by the scans" "$(sec_bindings)" 0
xr_ge "the REGISTER probes were challenged (svwar reuses transactions: retransmissions get the same 401)" "$(sec_access auth_challenges)" 2

# svcrack: bob exists; the dictionary does not hold his password.
printf '%s\n' 123456 password bob secret "correct horse" "battery staple" >"$XR_TMP/words.txt"
fails0=$(sec_access auth_failures)
timeout 120 ip netns exec "${XR_PFX}a" svcrack -u bob -d "$XR_TMP/words.txt" -t 0.05 \
	--maximumtime 10 "$RA4" >"$XR_TMP/svcrack.out" 2>&1
sed 's/^/# svcrack: /' "$XR_TMP/svcrack.out" | tail -n 6
xr_ok "svcrack finds no password" \
	bash -c "! grep -qiE 'password.*(found|cracked)|\| *bob +\| *[^ ]' '$XR_TMP/svcrack.out'"
xr_ge "each guess counted as an auth failure" "$(( $(sec_access auth_failures) - fails0 ))" 6
xr_eq "no binding left" "$(sec_bindings)" 0
r=$(sec_send a --method REGISTER --ruri sip:example.com --to sip:bob@example.com \
	--contact "<sip:bob@$A4:5090>" --user bob --password "$SEC_PW_BOB")
xr_eq "bob's own phone still registers" "$(sec_get "$r" 'd["code"]')" 200
xr_ok "xrelayd still running" kill -0 "$XR_DAEMON_PID"
xr_done
