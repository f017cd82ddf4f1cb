#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/e2e/demo.sh - `make demo`: xrelay carrying a real call, narrated.
#   Four hosts in network namespaces: alice's phone (a), the relay (r, with
#   ip_forward=0), bob's desk phone (b) and bob's softphone (m), each a SIPp.
#   xrelayd starts with its XDP fast path on the relay's three interfaces;
#   bob registers both phones; alice calls bob: the call forks to both, the
#   softphone rings and is CANCELled when the desk phone answers; RTP flows
#   both ways through the ports the relay wrote into the SDP, forwarded by
#   XDP (the kernel counters rise, and keep rising while the daemon is
#   paused); the softphone's stray RTP reaches nobody; alice re-INVITEs to a
#   new port and codec and the media follows; she hangs up and every map is
#   empty.  Before the call, access control: the phones' addresses are
#   --trusted, a second address on alice's side (10.11.1.3) is not: carol's
#   softphone there registers with her password (digest, SHA-256), a
#   stranger there is refused relaying and registering as bob.
#   Everything is torn down by lib.sh's trap.
# Exit 0 when every step delivered what it should, non-zero otherwise.
source "$(dirname "$0")/lib.sh"
# The phones' addresses are trusted; 10.11.1.3 (added on a below) is not.
SIP_TRUSTED_ARGS=(--trusted "$A4/32" --trusted 10.11.2.0/24 --trusted 10.11.3.0/24
		  --trusted fd11::/16)
source "$(dirname "$0")/call_lib.sh"

B='' D='' N=''
if [ -t 1 ]; then B=$'\033[1m' D=$'\033[2m' N=$'\033[0m'; fi
say()  { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
show() { printf '%s$ %s%s\n' "$D" "$*" "$N"; "$@"; }
ctl()  { show xrelayctl "$@" 2>&1 | sed 's/^/    /'; }
# xrelayctl, shown as the operator would type it.
xrelayctl() { xr_ctl "$@"; }
DEMO_FAIL=0
bad() { echo "!! $*"; DEMO_FAIL=1; }
# rx_summary FILE : "N packets from ADDR:PORT, payloads intact: true" for rtp.py's output.
rx_summary() {
	jpy '"%d packets from %s, payloads intact: %s" % (d["received"], ",".join(sorted(d["sources"])) or "-",
		str(sum(s["bad_payload"] + s["missing"] for s in d["sources"].values()) == 0).lower())' <"$1"
}
# expect_rx FILE N FROM WHO : rtp.py's FILE got exactly N packets, all from FROM.
expect_rx() {
	local got from
	got=$(jpy 'd["received"]' <"$1"); from=$(jpy '",".join(sorted(d["sources"]))' <"$1")
	echo "    $4 received $(rx_summary "$1")"
	if [ "$2" = 0 ]; then
		[ "$got" = 0 ] || bad "$4 should have received nothing"
	else
		[ "$got" = "$2" ] && [ "$from" = "$3" ] || bad "$4 should have received $2 from $3"
	fi
}

U4=10.11.1.3	# an untrusted address on alice's side
DEMO_CRED=$XR_TMP/credentials
carol_pw="demo password 7"
{
	echo "# USER REALM ALG:HA1 ...; HA1 = H(user:realm:password)"
	echo "carol example.com SHA-256:$(printf %s "carol:example.com:$carol_pw" | sha256sum |
		cut -d' ' -f1) MD5:$(printf %s "carol:example.com:$carol_pw" | md5sum | cut -d' ' -f1)"
} >"$DEMO_CRED"
cl_setup --credentials "$DEMO_CRED"
# sipc HOST-ADDR ARGS... : one request with tests/e2e/sipc.py from U4 on host a.
sipc() {
	xr_ns a /usr/bin/python3 "$XR_ROOT/tests/e2e/sipc.py" send --local "$U4" \
		--server "$RA4:5060" "$@" 2>/dev/null | tail -n 1
}
cat <<EOF

  alice (a)               relay (r): xrelayd             bob's desk phone (b)
  $A4 ------ eth-a $RA4    eth-b $RB4 ------ $B4
                              eth-m $RM4 ------ $M4  bob's softphone (m)

  The relay host has ip_forward=0: only xrelay moves a packet between sides.
  Every phone is a SIPp; RTP comes from tests/e2e/rtp.py at the port each
  phone's SDP names.
EOF

say "xrelayd is running on r: SIP proxy + registrar for example.com, media anchored, XDP on eth-a, eth-b, eth-m"
echo "    xrelayd -f ${CL_ARGS[*]}"
ctl status
[ "$(xr_ctl --json status | jpy '[x["ifname"] for x in d["xdp"] if x["mode"] != "userspace"]')" = \
  '["eth-a","eth-b","eth-m"]' ] || bad "XDP is not attached to all three interfaces"

say "Access control: alice ($A4) and bob's networks are --trusted; $U4 on alice's side is not"
ip -n "${XR_PFX}a" addr add "$U4/24" dev eth0
for i in $(seq 1 30); do xr_ns a ping -c1 -W1 -q "$RA4" >/dev/null 2>&1 && break; done
echo "    credentials file (--credentials $DEMO_CRED), HA1s only, no password:"
sed 's/^/      /' "$DEMO_CRED"
r=$(sipc --method REGISTER --ruri sip:example.com --to sip:carol@example.com \
	--contact "<sip:carol@$U4:5090>" --user carol --password "$carol_pw" --alg SHA-256)
echo "    carol's softphone at $U4 registers with her password:"
echo "      REGISTER -> $(jpy 'str(d["first"]) + " with " + ", ".join(c.split("algorithm=")[1].split(",")[0] for c in d["challenges"]) + " challenges"' <<<"$r")"
echo "      REGISTER + Authorization (SHA-256 digest) -> $(jpy '"%s %s" % (d["code"], d["reason"])' <<<"$r")"
[ "$(jpy 'd["code"]' <<<"$r")" = 200 ] || bad "carol could not register with her password"
r=$(sipc --method INVITE --ruri "sip:+19005551234@$B4:5070" \
	--header 'P-Asserted-Identity: <sip:+15551230000@pstn.example>')
echo "    a stranger at $U4 calls +1 900 555 1234 through the relay, with a forged identity:"
echo "      INVITE -> $(jpy '"%s %s" % (d["code"], d["reason"])' <<<"$r")"
[ "$(jpy 'd["code"]' <<<"$r")" = 403 ] || bad "the relay did not refuse to relay for a stranger"
r=$(sipc --method REGISTER --ruri sip:example.com --to sip:bob@example.com \
	--contact "<sip:bob@$U4:5090>" --header "Expires: 3600")
echo "    ... and registers as bob without his password:"
echo "      REGISTER -> $(jpy '"%s %s" % (d["code"], d["reason"])' <<<"$r")"
[ "$(jpy 'd["code"]' <<<"$r")" = 401 ] || bad "a REGISTER without credentials was not challenged"
ctl regs
ctl stats | grep -E 'auth_challenges|auth_failures|relay_forbidden|dest_denied|credentials_users'

say "bob registers his desk phone (b) and his softphone (m)"
cl_register bob b >/dev/null || bad "REGISTER from b failed"
cl_register bob m >/dev/null || bad "REGISTER from m failed"
ctl regs

say "alice calls bob: xrelayd forks the INVITE to both phones"
cl_uas desk call_uas_demo.xml b 5100; desk=$CL_PID
cl_uas soft uas_cancel.xml m 6100; soft=$CL_PID
cl_uac alice call_uac_demo.xml bob 4100 -key rtp_port2 4102; alice=$CL_PID
for _ in $(seq 1 100); do	# both phones ring (10 s at most)
	[ "$(cl_msgs desk sent '^SIP/2.0 180')" -ge 1 ] && [ "$(cl_msgs soft sent '^SIP/2.0 180')" -ge 1 ] && break
	sleep 0.1
done
ctl calls
id=$(cl_first_call) || bad "no call listed"
if [ -n "$id" ]; then
	echo "    two branches ring; each has its own relay port pair towards its phone:"
	ctl call show "$id" | sed -n '1,2p; /branches:/,$p'
fi

ar= br=
echo "    the desk phone answers"
cl_go desk sent '^SIP/2.0 180' >/dev/null || bad "the desk phone did not ring"
if [ -n "$id" ] && cl_wait_call confirmed 1 6 >/dev/null && cl_wait_media "$id" 3; then
	ar=$CL_AR br=$CL_BR sid=$CL_SID
	say "The desk phone answered; the softphone got CANCEL and answered 487"
	ctl call show "$id" | sed -n '1,2p; /branches:/,$p'
	echo "    the SDP alice got says: send to $(cl_sdp alice received '^SIP/2.0 200' | cut -d'|' -f2,3 | tr '|' :)"
	echo "    the SDP the desk phone got says: send to $(cl_sdp desk received '^INVITE' | head -n1 | cut -d'|' -f2,3 | tr '|' :)"
	echo "    so alice sends to $ar and bob to $br: the relay is in the middle"

	say "RTP both ways for 3 s (100 packets/s): alice $A4:4100 -> $ar, bob $B4:5100 -> $br"
	ml_rtp a "$XR_TMP/call.a.json" --bind "$A4:4100" --to "$ar" --count 300 --rate 100 --expect 300 --wait 1
	ml_rtp b "$XR_TMP/call.b.json" --bind "$B4:5100" --to "$br" --count 300 --rate 100 --expect 300 --wait 1
	# The softphone, cancelled, still sends to the port it was offered: nobody gets it.
	ml_rtp m "$XR_TMP/call.m.json" --bind "$M4:6100" --to "$br" --count 100 --rate 100 --wait 0.5
	sleep 1.5
	ctl flows
	echo "    kill -STOP xrelayd (pid $XR_DAEMON_PID): the daemon is frozen, the kernel keeps forwarding"
	k0=$(cl_kp "$sid" A)
	kill -STOP "$XR_DAEMON_PID"
	sleep 1.5	# (the control socket is frozen too: counters are read after)
	kill -CONT "$XR_DAEMON_PID"
	echo "    kill -CONT xrelayd"
	k1=$(cl_kp "$sid" A)
	echo "    kernel packets from alice while the daemon was stopped: $((k1 - k0))"
	[ $((k1 - k0)) -ge 50 ] || bad "the kernel did not forward while the daemon was stopped"
	ml_wait
	expect_rx "$XR_TMP/call.a.json" 300 "$ar" "alice"
	expect_rx "$XR_TMP/call.b.json" 300 "$br" "bob's desk phone"
	expect_rx "$XR_TMP/call.m.json" 0 - "bob's softphone (cancelled)"
	ctl flows
	ctl stats | grep -E 'fwd_redirect|pass_not_latched|pass_wrong_source|sessions' | head -6
	echo "    fwd_redirect: alice's and bob's packets, forwarded by XDP; the softphone's 100"
	echo "    stray packets came from no negotiated address: passed to the daemon and dropped"

	say "alice re-INVITEs: her media moves to port 4102 and PCMA; the relay ports stay"
	cl_go alice sent '^ACK' 1 >/dev/null || bad "alice is not in the call"
	if cl_wait_m "$id" 'm["caller"]["remote"] == r' 5 r="$A4:4102"; then
		nar=$(cl_m "$id" 'm["caller"]["relay"]'); nbr=$(cl_m "$id" 'm["callee"]["relay"]')
		echo "    the SDP bob got for the re-INVITE: $(cl_sdp desk received '^INVITE' 2>/dev/null | sed -n 2p | cut -d'|' -f2,3,4 | sed 's/|/:/; s/|/ codecs /')"
		echo "    relay ports now: alice -> $nar, bob -> $nbr (before: $ar, $br)"
		cl_sink a "$A4:4100" "$XR_TMP/old.a.json"
		ml_rtp a "$XR_TMP/re.a.json" --bind "$A4:4102" --to "$nar" --count 100 --rate 100 --expect 100 --pt 8 --wait 1
		ml_rtp b "$XR_TMP/re.b.json" --bind "$B4:5100" --to "$nbr" --count 100 --rate 100 --expect 100 --pt 8 --wait 1
		ml_wait
		expect_rx "$XR_TMP/re.a.json" 100 "$nar" "alice at her new port 4102"
		expect_rx "$XR_TMP/re.b.json" 100 "$nbr" "bob"
		expect_rx "$XR_TMP/old.a.json" 0 - "alice's old port 4100"
		ctl flows
	else
		bad "the re-INVITE did not reach the relay's media"
	fi
else
	bad "the call was not answered with its media anchored"
	ctl calls
fi

say "alice hangs up (BYE)"
cl_go alice sent '^ACK' 2 >/dev/null || bad "alice is not in the call"
sipp_reap "$alice" 15 || bad "alice's SIPp reported a failure: $(tail -n 3 "$XR_TMP/alice.err" 2>/dev/null)"
sipp_reap "$desk" 5 || bad "the desk phone's SIPp reported a failure"
sipp_reap "$soft" 5 || bad "the softphone's SIPp reported a failure"
echo "    all three SIPps ran their scenarios to the end"
for _ in $(seq 1 30); do [ "$(xr_ctl --json status | jpy 'd["sessions"]')" = 0 ] && break; sleep 0.1; done
ctl calls
ctl flows
# The table has an entry for every relay address and port: count its flows, not dump it.
printf "%s$ xr_flows_count %s%s\n" "$D" "$XR_PIN/xr_flows" "$N"
"$XR_BUILD/tests/tools/xr_flows_count" "$XR_PIN/xr_flows" 2>&1 | sed "s/^/    /"
n=$(ml_map_count)
echo "    kernel flow map: $n entries; port pairs in use: $(cl_ports_in_use)"
[ "$n" = 0 ] && [ "$(cl_ports_in_use)" = 0 ] && [ "$(xr_ctl --json status | jpy 'd["sessions"]')" = 0 ] ||
	bad "something was left behind"

say "Stop xrelayd (SIGTERM): XDP detached, maps unpinned"
xr_daemon_stop || bad "xrelayd did not exit 0"
echo "    interfaces with XDP on r: $(ml_xdp_ifaces)"

if [ $DEMO_FAIL = 0 ]; then
	say "Demo done: every packet went where it should, and nothing was left behind"
else
	say "Demo done, with the problems marked !! above"
fi
exit $DEMO_FAIL
