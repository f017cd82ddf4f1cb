#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sec_limits.sh - the registration bounds of the access policy: per AOR
# (--max-contacts) for everyone, per untrusted source address over all AORs
# (--max-source-bindings, 503 + Retry-After), both changed by a SIGHUP, and
# a refused REGISTER leaves the bindings as they were.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sec_lib.sh"

sec_setup --max-contacts 2 --max-source-bindings 3

# reg_as USER PASSWORD PORT [HOST] : one binding sip:USER@HOST-address:PORT.
reg_as() {
	local h=${4:-a} ip=$A4
	[ "$h" = b ] && ip=$B4
	sec_send "$h" --method REGISTER --ruri sip:example.com --to "sip:$1@example.com" \
		--contact "<sip:$1@$ip:$3>" --header "Expires: 600" ${2:+--user "$1" --password "$2"}
}

r=$(reg_as bob "$SEC_PW_BOB" 6001)
xr_eq "bob's first contact: 200" "$(sec_get "$r" 'd["code"]')" 200
r=$(reg_as bob "$SEC_PW_BOB" 6002)
xr_eq "bob's second contact: 200" "$(sec_get "$r" 'd["code"]')" 200
r=$(reg_as bob "$SEC_PW_BOB" 6003)
xr_eq "bob's third contact, over --max-contacts 2: 503" "$(sec_get "$r" 'd["code"]')" 503
xr_eq "... bob keeps two bindings" "$(sec_bindings)" 2
r=$(reg_as alice "$SEC_PW_ALICE" 6004)
xr_eq "alice from the same address: 200 (3 bindings from it)" "$(sec_get "$r" 'd["code"]')" 200
r=$(reg_as alice "$SEC_PW_ALICE" 6005)
xr_eq "alice's second, the 4th binding from that address: 503" "$(sec_get "$r" 'd["code"]')" 503
xr_eq "... reason names the source bound" "$(sec_get "$r" 'd["reason"]')" \
	"Too Many Registrations From This Address"
xr_eq "... 3 bindings in all" "$(sec_bindings)" 3
r=$(reg_as bob "$SEC_PW_BOB" 6001)
xr_eq "a refresh of a binding it holds still works" "$(sec_get "$r" 'd["code"]')" 200
r=$(reg_as carol "" 7001 b)
xr_eq "the trusted gateway has no per-source bound" "$(sec_get "$r" 'd["code"]')" 200
r=$(reg_as dave "" 7002 b)
xr_eq "... nor a second" "$(sec_get "$r" 'd["code"]')" 200

# A reload raises the bound.
cat >"$XR_TMP/limits.conf" <<CONF
max-source-bindings = 10
CONF
sec_restart --max-contacts 2 -c "$XR_TMP/limits.conf"
r=$(reg_as bob "$SEC_PW_BOB" 6001); r=$(reg_as bob "$SEC_PW_BOB" 6002)
r=$(reg_as alice "$SEC_PW_ALICE" 6004)
r=$(reg_as alice "$SEC_PW_ALICE" 6005)
xr_eq "with max-source-bindings = 10: a 4th binding from one address is fine" \
	"$(sec_get "$r" 'd["code"]')" 200
echo "max-source-bindings = 4" >"$XR_TMP/limits.conf"
kill -HUP "$XR_DAEMON_PID"
for i in $(seq 1 50); do
	grep -q "reload: max-source-bindings: 10 -> 4" "$XR_TMP/xrelayd.log" && break
	sleep 0.1
done
xr_ok "SIGHUP: max-source-bindings 10 -> 4 applied" \
	grep -q "reload: max-source-bindings: 10 -> 4" "$XR_TMP/xrelayd.log"
r=$(sec_send a --method REGISTER --ruri sip:example.com --to sip:carol@example.com \
	--contact "<sip:carol@$A4:6006>" --user carol --password x)
xr_eq "carol (no credentials) cannot add one anyway: 401" "$(sec_get "$r" 'd["code"]')" 401
r=$(reg_as alice "$SEC_PW_ALICE" 6007)
xr_eq "alice's third contact: over --max-contacts (503)" "$(sec_get "$r" 'd["code"]')" 503
xr_eq "4 bindings in all" "$(sec_bindings)" 4
xr_done
