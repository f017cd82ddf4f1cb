#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/e2e/demo.sh - `make demo`: xrelay in four network namespaces, narrated.
#   act 1  a SIPp callee in b registers bob@example.com with xrelayd, a SIPp
#          caller in a calls it; RTP flows both ways to the ports the relay
#          wrote into the SDP, forwarded by XDP (skipped while the SIP side is
#          not built in, or when sipp is missing)
#   act 2  the media API alone: `xrelayctl media create`, RTP both ways, the
#          kernel counters rising, the daemon paused (SIGSTOP) while the kernel
#          keeps forwarding, a third host's packets refused, `media delete`
# Everything is torn down by lib.sh's trap; the run takes well under a minute.
# Exit 0 when every act that ran delivered what it should.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/media_lib.sh"

B='' D='' N=''
if [ -t 1 ]; then B=$'\033[1m' D=$'\033[2m' N=$'\033[0m'; fi
say()  { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
show() { printf '%s$ %s%s\n' "$D" "$*" "$N"; "$@"; }
ctl()  { show xrelayctl "$@" 2>&1 | sed 's/^/    /'; }
# xrelayctl, shown as the operator would type it.
xrelayctl() { xr_ctl "$@"; }
DEMO_FAIL=0
# rx_summary FILE : "N from ADDR:PORT, payloads intact: true" for rtp.py's output.
rx_summary() {
	jpy '"%d packets from %s, payloads intact: %s" % (d["received"], ",".join(sorted(d["sources"])),
		str(sum(s["bad_payload"] for s in d["sources"].values()) == 0).lower())' <"$1"
}
bad() { echo "!! $*"; DEMO_FAIL=1; }

ml_need
xr_topology
cat <<EOF

  caller (a)              relay (r): xrelayd            callee (b)
  $A4 ------ eth-a $RA4    eth-b $RB4 ------ $B4
                              eth-m $RM4 ------ $M4  third host (m)

  The relay host has ip_forward=0: only xrelay moves a packet between sides.
EOF

sip=0
if [ -f "$XR_ROOT/daemon/sip/sip.c" ] && [ -f "$XR_ROOT/daemon/proxy/proxy.c" ] &&
   command -v sipp >/dev/null; then
	sip=1
fi

say "Start xrelayd on r with the XDP fast path on eth-a, eth-b, eth-m"
args=("${ML_XDP_ARGS[@]}" --media "$RA4" --media "$RB4" --media "$RM4")
[ $sip = 1 ] && args+=(--sip "$RA4:5060" --sip "$RB4:5060" --domain example.com)
echo "    xrelayd -f ${args[*]}"
xr_daemon_start "${args[@]}"
ctl status

# ---- act 1: a SIP call through the relay ---------------------------------------
# The SIPp scenarios put [media_port] in their SDP and SIPp binds that port
# itself; copies with fixed ports let rtp.py be the media of the call.
sip_act() {
	source "$XR_ROOT/tests/e2e/sip_lib.sh"
	local scen=$XR_TMP/sipp
	mkdir -p "$scen"
	sed 's/\[media_port\]/4100/' "$SIP_SCEN/uac.xml" >"$scen/uac.xml"
	sed 's/\[media_port\]/5100/' "$SIP_SCEN/uas.xml" >"$scen/uas.xml"

	say "Act 1: bob@example.com registers from b (SIPp), alice calls from a (SIPp)"
	if ! sip_register bob u1 >/dev/null; then
		bad "REGISTER failed: see above"; return 1
	fi
	ctl regs
	sipp_bg b uas-demo -sf "$scen/uas.xml" -i "$B4" -p "$SIP_UAS_PORT" -t u1 -m 1
	local uas=$SIPP_BG_PID
	# The caller holds the call 7 s (-d), then sends BYE.
	timeout -k 5 30 ip netns exec "${XR_PFX}a" sipp -nostdin -sf "$scen/uac.xml" -i "$A4" \
		-p "$SIP_UAC_PORT" -t u1 -rsa "$RA4:5060" -s bob -m 1 -d 7000 -timeout 25s \
		-trace_err -error_file "$XR_TMP/uac-demo.err" "$RA4:5060" \
		>"$XR_TMP/uac-demo.out" 2>&1 &
	local uac=$!
	XR_PIDS+=("$uac")
	local i sess=
	for i in $(seq 1 30); do
		sess=$(xr_ctl --json media list 2>/dev/null | jpy 'd[0] if d else ""')
		[ -n "$sess" ] && [ "$(jpy 'd["b"]["remote"]' <<<"$sess")" != "null" ] &&
			[ "$(jpy 'd["b"]["remote"]' <<<"$sess" | sed 's/.*://')" != 0 ] && break
		sess=
		sleep 0.1
	done
	if [ -z "$sess" ]; then
		ctl calls
		echo "   (this build's proxy does not anchor the call's media yet: no SDP rewrite,"
		echo "    so no media session; act 2 shows the media path through the media API)"
		wait "$uac"; local rc=$?
		sipp_bg_stop "$uas"
		if [ $rc -eq 0 ]; then
			echo "    the call itself went INVITE/180/200/ACK ... BYE/200 through xrelayd"
		else
			bad "the SIPp caller reported a failure ($rc)"
			tail -n 5 "$XR_TMP/uac-demo.err" 2>/dev/null
		fi
		return 0
	fi
	ctl calls
	local ra rb
	ra=$(jpy 'd["a"]["relay"]' <<<"$sess"); rb=$(jpy 'd["b"]["relay"]' <<<"$sess")
	echo "    the SDPs xrelayd rewrote: a sends to $ra, b sends to $rb"
	say "RTP both ways during the call: a $A4:4100 -> $ra, b $B4:5100 -> $rb (100 pps, 4 s)"
	ml_rtp a "$XR_TMP/call.a.json" --bind "$A4:4100" --to "$ra" --count 400 --rate 100 --expect 400
	ml_rtp b "$XR_TMP/call.b.json" --bind "$B4:5100" --to "$rb" --count 400 --rate 100 --expect 400
	sleep 2.5
	ctl flows
	ml_wait
	ctl flows
	for side in a b; do
		f=$XR_TMP/call.$side.json
		echo "    $side received $(rx_summary "$f") (400 sent)"
		[ "$(jpy 'd["received"]' <"$f")" = 400 ] || bad "$side did not get all 400"
	done
	wait "$uac"; local rc=$?
	sipp_bg_stop "$uas"
	if [ $rc -eq 0 ]; then
		echo "    the call ended with BYE/200 (SIPp: all calls successful)"
	else
		bad "the SIPp caller reported a failure ($rc)"; tail -n 5 "$XR_TMP/uac-demo.err" 2>/dev/null
	fi
	sleep 0.5
	ctl flows
}
if [ $sip = 1 ]; then
	sip_act || echo "!! act 1 (SIP) did not complete; act 2 shows the media path alone"
else
	say "Act 1 skipped: the SIP side (daemon/sip, daemon/proxy) or sipp is missing"
fi

# ---- act 2: the media API --------------------------------------------------------
say "Act 2: a media session made by hand (no SIP)"
ctl media create "$A4:4000" "$B4:5000"
sess=$(xr_ctl --json media list | jpy '[x for x in d if x["a"]["remote"] == a][0]' a="$A4:4000")
ra=$(jpy 'd["a"]["relay"]' <<<"$sess"); rb=$(jpy 'd["b"]["relay"]' <<<"$sess")
say "RTP both ways for 5 s (100 pps): a -> $ra, b -> $rb; the daemon is paused for 2 s of it"
ml_rtp a "$XR_TMP/demo.a.json" --bind "$A4:4000" --to "$ra" --count 500 --rate 100 --expect 500
ml_rtp b "$XR_TMP/demo.b.json" --bind "$B4:5000" --to "$rb" --count 500 --rate 100 --expect 500
sleep 1.2
ctl flows
sleep 0.8
echo "    kill -STOP xrelayd (pid $XR_DAEMON_PID): userspace is frozen now"
kill -STOP "$XR_DAEMON_PID"
sleep 2
echo "    kill -CONT xrelayd"
kill -CONT "$XR_DAEMON_PID"
ctl flows
ml_wait
ctl flows
for side in a b; do
	f=$XR_TMP/demo.$side.json
	echo "    $side received $(rx_summary "$f") (500 sent)"
	[ "$(jpy 'd["received"]' <"$f")" = 500 ] || bad "$side did not get all 500"
done

say "A third host (m) sends 50 packets to a's relay port: refused (RTP Bleed)"
ml_rtp m "$XR_TMP/demo.m.json" --bind "$M4:4000" --to "$ra" --count 50 --rate 200
ml_wait
ctl stats
w=$(ml_counter pass_wrong_source)
[ "$w" -ge 50 ] || bad "pass_wrong_source is $w, expected >= 50"

say "Metrics (Prometheus), the XDP part"
xr_ctl metrics | grep -E '^xrelay_xdp_(fwd_redirect|pass_not_latched|pass_wrong_source)' | sed 's/^/    /'

say "Delete every session: no flow left in the kernel"
for id in $(xr_ctl --json media list | jpy '" ".join(str(x["id"]) for x in d)'); do ctl media delete "$id"; done
ctl flows
echo "    bpftool map dump pinned $XR_PIN/xr_flows: $(ml_map_count) entries"

say "Stop xrelayd (SIGTERM): XDP detached, maps unpinned"
xr_daemon_stop || bad "xrelayd did not exit 0"
echo "    interfaces with XDP on r: $(ml_xdp_ifaces)"

if [ $DEMO_FAIL = 0 ]; then
	say "Demo done: everything arrived where it should"
else
	say "Demo done, with the problems marked !! above"
fi
exit $DEMO_FAIL
