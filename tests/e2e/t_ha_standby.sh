#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_ha_standby.sh - a standby host takes over live calls (README "Calls
# outlive the process", "Standby").  Two relay hosts on the same two
# networks (bridges in a switch host w), one Redis (unix socket in the
# test's directory), the service addresses 10.11.1.1 and 10.11.2.1 on the
# active host r; the standby s runs xrelayd --standby with the same
# options and no address of those networks:
#
#   a 10.11.1.2 --+-- [w: bridge bra] --+-- r eth-a (10.11.1.1 while active)
#                 |                     +-- s eth-a (10.11.1.1 after the move)
#   b 10.11.2.2 --+-- [w: bridge brb] --+-- r eth-b (10.11.2.1 while active)
#                                       +-- s eth-b (10.11.2.1 after the move)
#
#   S0  bob registers through r; the standby follows r's change log
#   S1  alice calls bob through r, RTP latches; the standby holds the
#       session pre-armed (same relay ports, latched, in its kernel map);
#       stopped (SIGSTOP) while r creates and deletes a session, it
#       catches up from the change log
#   S2  r dies mid-stream (kill -9, its links down) and the test moves the
#       service addresses to s, as VRRP would (a and b re-resolve them):
#       RTP resumes through s within 1 s of the move, in s's kernel path
#   S3  s takes the lease and serves: alice's re-INVITE moves her media,
#       RTP follows, her BYE ends the call
#   S4  a new call to bob (registered through r) works through s; nothing
#       is left on s
# Every wait is a bounded poll or a SIPp <recvCmd/> released by cl_go.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/call_lib.sh"

ml_need
command -v sipp >/dev/null || xr_skip "sipp (sip-tester) missing"
command -v bpftool >/dev/null || xr_skip "bpftool missing"
HA_NODE=edge
S_CTL=$XR_TMP/s.sock
S_PIN="$XR_PIN-s"
rcli() { redis-cli -s "$XR_REDIS_SOCK" "$@"; }
sctl() { xr_ns s "$XR_BUILD/xrelayctl" -s "$S_CTL" "$@"; }
# s_repl EXPR : EXPR over the standby's "replication" status; s_wait EXPR [SECONDS].
s_repl() { sctl --json status | jpy "(lambda r: $1)(d['replication'])"; }
s_wait() {
	for _ in $(seq 1 $((${2:-10} * 10))); do
		[ "$(s_repl "bool($1)" 2>/dev/null)" = true ] && return 0
		sleep 0.1
	done
	xr_log "standby replication: $(sctl --json status | jpy 'd.get("replication")' 2>&1)"
	return 1
}
s_map_count() { ml_pinned_flows "$S_PIN"; }

# ---- the two-host topology ------------------------------------------------------
for h in a b r s w; do xr_ns_add $h; done
xr_ns w ip link add bra type bridge
xr_ns w ip link add brb type bridge
xr_link a eth0 w a0
xr_link b eth0 w b0
xr_link r eth-a w ra
xr_link r eth-b w rb
xr_link s eth-a w sa
xr_link s eth-b w sb
for p in a0 ra sa; do xr_ns w ip link set $p master bra; done
for p in b0 rb sb; do xr_ns w ip link set $p master brb; done
xr_ns w ip link set bra up
xr_ns w ip link set brb up
xr_addr a eth0 $A4/24
xr_addr b eth0 $B4/24
xr_addr r eth-a $RA4/24
xr_addr r eth-b $RB4/24
xr_ns a ip route add default via $RA4
xr_ns b ip route add default via $RB4
for h in r s; do
	xr_ns $h sysctl -qw net.ipv4.ip_forward=0
	xr_ns $h sysctl -qw net.ipv6.conf.all.forwarding=0
done
# XDP redirects into the relays' veths: their far ends (in w) need NAPI (GRO).
for p in ra rb sa sb; do xr_ns w ethtool -K $p gro on >/dev/null 2>&1 || true; done
for h in a b; do
	xr_ns $h ethtool -K eth0 gro on >/dev/null 2>&1 || true
	xr_ns $h ethtool -K eth0 tx off >/dev/null 2>&1 || xr_die "ethtool -K eth0 tx off in $h"
done
xr_ns a ping -c1 -W1 -q $RA4 >/dev/null 2>&1 || true
xr_ns b ping -c1 -W1 -q $RB4 >/dev/null 2>&1 || true

xr_redis_start
ARGS=(--sip "$RA4:5060" --sip "$RB4:5060" --domain example.com --media "$RA4" --media "$RB4"
      --xdp eth-a --xdp eth-b "${SIP_TRUSTED_ARGS[@]}" --redis "unix:$XR_REDIS_SOCK"
      --node-id "$HA_NODE")
xr_daemon_start "${ARGS[@]}"
xr_bg s "$XR_TMP/standby.log" "$XR_BUILD/xrelayd" -f --ctl "$S_CTL" --pin-dir "$S_PIN" \
	"${ARGS[@]}" --standby
S_PID=$XR_LAST_PID
for _ in $(seq 1 100); do sctl status >/dev/null 2>&1 && break; sleep 0.1; done

# ---- S0 --------------------------------------------------------------------------------
cl_register bob b
xr_ok "S0: REGISTER bob through r" [ $? -eq 0 ]
xr_eq "S0: r is the active node" \
	"$(xr_ctl --json status | jpy 'd["replication"]["role"]')" active
xr_ok "S0: s is a standby following r's change log" s_wait \
	'r["role"] == "standby" and r["state"] == "following"'
xr_eq "S0: the lease is r's" "$(rcli get "xr:$HA_NODE:lease")" "$(hostname):$XR_PIN"
xr_eq "S0: the standby serves no SIP" "$(xr_ns s ss -Hlnu 'sport = :5060' | wc -l)" 0

# ---- S1 --------------------------------------------------------------------------------
cl_uas uas ha_uas.xml b 5100; uas=$CL_PID
cl_uac uac ha_uac.xml bob 4100 -key rtp_port2 4102; uac=$CL_PID
id=$(cl_wait_call confirmed)
xr_ok "S1: the call is confirmed on r" [ -n "$id" ]
if [ -z "$id" ] || ! cl_wait_media "$id"; then
	xr_ok "S1: the call's media is anchored" false
	xr_done
fi
ar=$CL_AR br=$CL_BR sid=$CL_SID
cl_rtp S1 "$A4:4100" "$ar" "$B4:5100" "$br" 100 100 100
xr_ok "S1: the standby holds the session pre-armed, both sides latched" s_wait \
	'r["pre_armed_sessions"] == 1' 10
latched() {
	sctl --json flows | jpy 'sorted("%s:%s:%s" % (r["side"], r["local"], r["latched"]) for r in d
		if r["session"] == int(i) and r["leg"] == "rtp")' i="$sid"
}
for _ in $(seq 1 50); do
	[ "$(latched)" = "[\"A:$ar:True\",\"B:$br:True\"]" ] && break
	sleep 0.1
done
xr_eq "S1: on s: session $sid, same relay ports, latched" "$(latched)" \
	"[\"A:$ar:True\",\"B:$br:True\"]"
xr_eq "S1: s's kernel map holds the 4 flows" "$(s_map_count)" 4

# S1b: the standby away (SIGSTOP) while the active creates and deletes a
# session: it reads on from its last entry of the log and catches up.
kill -STOP "$S_PID"
ml_create "$A4:7000" "$B4:7002"
xr_ok "S1b: (the standby is stopped) a session is created on r" [ -n "$ML_SID" ]
applied0=$(rcli xlen "xr:$HA_NODE:log")
kill -CONT "$S_PID"
xr_ok "S1b: the standby caught up: 2 sessions pre-armed" s_wait 'r["pre_armed_sessions"] == 2'
xr_eq "S1b: ... the new one with its relay ports" \
	"$(sctl --json media list | jpy 'sorted(str(x["id"]) for x in d)' | grep -c "\"$ML_SID\"")" 1
kill -STOP "$S_PID"
xr_ctl media delete "$ML_SID" >/dev/null
kill -CONT "$S_PID"
xr_ok "S1b: the delete reached it too: 1 session pre-armed" s_wait 'r["pre_armed_sessions"] == 1'
xr_ok "S1b: the log grew by the writes ($applied0 entries before the delete)" \
	test "$(rcli xlen "xr:$HA_NODE:log")" -gt "$applied0"

# ---- S2: r dies mid-stream, the addresses move ------------------------------------------
N=3000
ml_rtp a "$XR_TMP/S2.a.json" --bind "$A4:4100" --to "$ar" --count $N --rate 500 --delay 1 \
	--wait 2 --max-time 60
ml_rtp b "$XR_TMP/S2.b.json" --bind "$B4:5100" --to "$br" --count $N --rate 500 --delay 1 \
	--wait 2 --max-time 60
k0=$(cl_kp "$sid" A)
for _ in $(seq 1 100); do
	[ "$(cl_kp "$sid" A)" -ge $((k0 + 50)) ] && break
	sleep 0.1
done
xr_ge "S2: RTP flows through r's kernel path" "$(cl_kp "$sid" A)" $((k0 + 50))
t_kill=$(date +%s%N)
kill -KILL "$XR_DAEMON_PID"; wait "$XR_DAEMON_PID" 2>/dev/null; XR_DAEMON_PID=
xr_ns r ip link set eth-a down
xr_ns r ip link set eth-b down
xr_addr s eth-a $RA4/24
xr_addr s eth-b $RB4/24
xr_ns a ip neigh flush dev eth0
xr_ns b ip neigh flush dev eth0
t_move=$(date +%s%N)
# From here the RTP goes to s: the XDP flows it pre-armed carry it.
xr_ctl() { xr_ns s "$XR_BUILD/xrelayctl" -s "$S_CTL" "$@"; }
ml_wait
out_ms=$(( (t_move - t_kill) / 1000000 ))
for f in a b; do
	got=$(jpy 'd["received"]' <"$XR_TMP/S2.$f.json")
	lost=$((N - got))
	xr_log "S2: $f got $got of $N; r was gone $out_ms ms before the move"
	# Lost: what was sent while no host had the addresses, and at most 1 s after the move.
	xr_ok "S2: $f: media resumed within 1 s of the move (lost $lost <= $(( (out_ms + 1000) / 2 )))" \
		[ "$lost" -le $(( (out_ms + 1000) / 2 )) ]
	xr_eq "S2: $f: nothing duplicated or damaged" \
		"$(jpy '(str(sum(s["dups"] for s in d["sources"].values())) + "/" +
			str(sum(s["bad_payload"] for s in d["sources"].values())))' <"$XR_TMP/S2.$f.json")" "0/0"
done
xr_ge "S2: s forwarded side A's RTP in its kernel path" "$(cl_kp "$sid" A)" 1000
xr_ge "S2: s forwarded side B's RTP in its kernel path" "$(cl_kp "$sid" B)" 1000

# ---- S3: s is the active node ----------------------------------------------------------------
xr_ok "S3: s took the lease and is active" s_wait 'r["role"] == "active"' 10
xr_eq "S3: the lease is s's" "$(rcli get "xr:$HA_NODE:lease")" "$(hostname):$S_PIN"
xr_wait_bound s 5060 "$RA4"
xr_eq "S3: the call is on s, confirmed" "$(cl_wait_call confirmed)" "$id"
xr_ok "S3: bob's binding is on s" grep -q "bob@example.com" <<<"$(xr_ctl regs)"
cl_go uac received '^SIP/2.0 200' 1		# alice's re-INVITE to 4102, through s
xr_ok "S3: the re-INVITE through s moved alice's media to 4102" \
	cl_wait_m "$id" 'm["caller"]["remote"] == "'$A4':4102"' 6
cl_rtp S3 "$A4:4102" "$ar" "$B4:5100" "$br" 100 100 100 --pt 8
cl_go uac sent '^ACK' 2				# alice hangs up
cl_reap uac "$uac" 30
cl_reap uas "$uas" 10

# ---- S4: a new call through s ----------------------------------------------------------------
cl_uas uas2 call_uas.xml b 5100; uas=$CL_PID
cl_uac uac2 call_uac.xml bob 4100; uac=$CL_PID
id2=$(cl_wait_call confirmed)
xr_ok "S4: a new call to bob through s is confirmed" [ -n "$id2" ]
if [ -n "$id2" ] && cl_wait_media "$id2"; then
	cl_rtp S4 "$A4:4100" "$CL_AR" "$B4:5100" "$CL_BR" 100 100 100
fi
cl_go uac2 received '^SIP/2.0 200' 1
cl_reap uac2 "$uac" 20
cl_reap uas2 "$uas" 10
for _ in $(seq 1 30); do [ "$(cl_calls | jpy 'len(d)')" = 0 ] && break; sleep 0.1; done
xr_eq "S4: no call left on s" "$(cl_calls | jpy 'len(d)')" 0
xr_eq "S4: no session left on s" "$(xr_ctl --json status | jpy 'd["sessions"]')" 0
xr_eq "S4: s's kernel map is empty" "$(s_map_count)" 0
kill -TERM "$S_PID"
for _ in $(seq 1 50); do kill -0 "$S_PID" 2>/dev/null || break; sleep 0.1; done
wait "$S_PID" 2>/dev/null
xr_eq "s stops cleanly (exit status)" "$?" 0
xr_ok "s removed its pins" test ! -e "$S_PIN"
xr_redis_stop
xr_done
