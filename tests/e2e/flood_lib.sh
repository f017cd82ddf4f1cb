# SPDX-License-Identifier: GPL-2.0
# tests/e2e/flood_lib.sh - what the flood tests (t_sec_floods*.sh) share, on
# top of lib.sh, sec_lib.sh and call_lib.sh (sourced here): xrelayd with XDP
# on every side, only b trusted, alice and bob with MD5 credentials, T1 100
# ms (a silent callee's branch times out, Timer B, after 6.4 s), no SIP rate
# limit (the floods must get past pike); m is the attacker.
# tests/e2e/sipflood.py sends the INVITE floods.  Source lib.sh first.
#
#   caller a 10.11.1.2 --- 10.11.1.1 xrelayd 10.11.2.1 --- 10.11.2.2 trusted b
#                                    10.11.3.1 --- 10.11.3.2 attacker m
. "$XR_ROOT/tests/e2e/sec_lib.sh"	# b trusted; a and m are anybody
. "$XR_ROOT/tests/e2e/call_lib.sh"

FLOOD="$XR_ROOT/tests/e2e/sipflood.py"

# fl_setup [xrelayd args...] : the credentials file, xrelayd as above with
# these arguments, XDP checked; bob registered from b (a SIPp callee) and
# "silent" at b:5999 (a socket nobody reads).
fl_setup() {
	SEC_CRED=$XR_TMP/credentials
	{
		sec_cred_line alice "$SEC_PW_ALICE" MD5
		sec_cred_line bob "$SEC_PW_BOB" MD5
	} >"$SEC_CRED"
	cl_setup --credentials "$SEC_CRED" --auth-algorithms MD5 --pike-rate 0 --sip-t1 100 "$@"
	cl_xdp_check
	cl_register bob b
	xr_ok "REGISTER bob from b" [ $? -eq 0 ]
	xr_bg b "$XR_TMP/silent.log" /usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 5999)); time.sleep(120)' "$B4"
	xr_wait_bound b 5999
	local r
	r=$(sec_send b --method REGISTER --ruri sip:example.com --to sip:silent@example.com \
		--contact "<sip:silent@$B4:5999>" --header "Expires: 600")
	xr_eq "REGISTER silent from b" "$(sec_get "$r" 'd["code"]')" 200
}

# px KEY : one proxy counter of `xrelayctl stats`.
px() { xr_ctl --json stats | jpy "d['sip']['$1']"; }
# flood HOST COUNT MLINES PAD USER [TIMEOUT] : sipflood.py from HOST to the
# relay address facing it, INVITEs for USER@example.com; its JSON line.
flood() {
	xr_ns "$1" /usr/bin/python3 "$FLOOD" --local "${CL_IP[$1]}" --server "${CL_RELAY[$1]}:5060" \
		--ruri "sip:$5@example.com" --count "$2" --mlines "$3" --pad "$4" --tag "f$RANDOM" \
		--timeout "${6:-10}"
}
# fin JSON CODE : calls of the flood that ended with CODE.
fin() { jpy "d['finals'].get('$2', 0)" <<<"$1"; }
# nfd : xrelayd's open descriptors.
nfd() { ls "/proc/$XR_DAEMON_PID/fd" | wc -l; }
# through_xdp DESC SID N : each side's RTP leg of session SID relayed N
# packets, at least 80 % of them in the kernel (the first ones latch in
# userspace; on a loaded host the kernel entry may take a few more).
through_xdp() {
	local side k u
	while read -r side k u; do
		xr_eq "$1: side $side rtp relayed once each (kernel $k + user $u)" "$((k + u))" "$3"
		xr_ok "$1: side $side rtp: XDP relayed at least 80 % ($k)" [ "$k" -ge $(($3 * 8 / 10)) ]
	done < <(xr_ctl --json flows | jpy '"\n".join("%s %d %d" % (s, sum((r["kernel"] or {}).get(
		"packets", 0) for r in d if r["session"] == int(i) and r["side"] == s and r["leg"] == "rtp"),
		sum((r["userspace"] or {}).get("packets", 0) for r in d if r["session"] == int(i) and
		r["side"] == s and r["leg"] == "rtp")) for s in "AB")' i="$2")
}
# rss_kb : xrelayd's VmRSS.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$XR_DAEMON_PID/status"; }
