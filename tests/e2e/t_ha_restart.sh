#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_ha_restart.sh - calls outlive the process (DESIGN.md "Calls outlive the
# process", README "Calls outlive the process"): xrelayd with --redis (a
# redis-server this test starts on a unix socket in its temp directory).
#   R0  bob registers, alice calls him; Redis holds the registration, the
#       call and its media session
#   R1  RTP both ways (5,000 packets each) while xrelayd is killed with
#       SIGKILL mid-stream: the kernel keeps forwarding while no daemon
#       runs (the pinned XDP links and maps), the restarted daemon adopts
#       them, restores the call, bob's binding and the session (same relay
#       ports), and every packet arrives: 0 lost
#   R2  Redis stopped mid-call: the call goes on (a re-INVITE moves alice's
#       media to a new port), the change waits in the queue; Redis comes
#       back empty: the daemon reconnects and re-syncs (the new port is in
#       Redis)
#   R3  a second kill -9 and restart (with another --max-sessions: the
#       flow table follows --media x --ports, not it, so it is adopted as
#       it is and the new cap applies at once): the call comes back with the moved
#       media (from the re-synced copy); RTP exact, in the kernel
#   R4  BYE through the restarted daemon: nothing left (calls, sessions,
#       flows, kernel map, ports; no call or media key in Redis)
#       (shared media sockets: the restart re-attaches the sk_lookup program
#       and claims the reserved range the killed daemon left)
#   R5  another call, silent, restarted with --media-timeout 3: the
#       timeout resumes and the relay BYEs both parties from the restored
#       dialog
# Each phase waits for the state it needs (bounded polls, cl_go), never a
# fixed pause.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/call_lib.sh"

unset XR_REDIS		# this test starts and stops Redis itself
HA_SOCK=$XR_REDIS_SOCK
HA_NODE=hatest
rcli() { redis-cli -s "$HA_SOCK" "$@"; }
# ha_keys KIND : this node's keys of KIND (call, media, reg), sorted.
ha_keys() { rcli --scan --pattern "xr:$HA_NODE:$1:*" | sort; }
# ha_repl EXPR : EXPR (Python) over the "replication" object of `status`.
ha_repl() { xr_ctl --json status | jpy "(lambda r: $1)(d['replication'])"; }
# ha_wait_repl EXPR [SECONDS] : wait (10 s) until EXPR is True.
ha_wait_repl() {
	for _ in $(seq 1 $((${2:-10} * 10))); do
		[ "$(ha_repl "bool($1)" 2>/dev/null)" = true ] && return 0
		sleep 0.1
	done
	xr_log "replication: $(xr_ctl --json status | jpy 'd.get("replication")' 2>&1)"
	return 1
}
# ha_kernel_pkts : packets the kernel forwarded, read from the pinned maps (no daemon needed).
ha_kernel_pkts() { "$XR_BUILD/tests/tools/xr_flows_count" --packets "$XR_PIN/xr_flows"; }
# ha_kill9 : SIGKILL xrelayd and reap it.
ha_kill9() {
	kill -KILL "$XR_DAEMON_PID"
	wait "$XR_DAEMON_PID" 2>/dev/null
	XR_DAEMON_PID=
}
ha_restart() { xr_daemon_start "${CL_ARGS[@]}" "${CL_XARGS[@]}" "$@"; }

out=$("$XR_BUILD/xrelayd" -f --standby --media 127.0.0.1 --ctl "$XR_TMP/x.sock" 2>&1)
xr_eq "--standby without --redis: exit 1" "$?" 1
xr_ok "--standby without --redis: says why" grep -q -- "--standby needs --redis" <<<"$out"

xr_redis_start
# --max-sessions 64: the admission cap (R3 restarts with another)
CL_XARGS=(--redis "unix:$HA_SOCK" --node-id "$HA_NODE" --max-sessions 64)
cl_start b

# ---- R0 ----------------------------------------------------------------------
xr_ok "R0: status shows the replication connected" ha_wait_repl 'r["state"] == "connected"'
cl_uas uas ha_uas.xml b 5100; uas=$CL_PID
cl_uac uac ha_uac.xml bob 4100 -key rtp_port2 4102; uac=$CL_PID
ar= br=
id=$(cl_wait_call confirmed)
xr_ok "R0: the call is confirmed" [ -n "$id" ]
if [ -z "$id" ] || ! cl_wait_media "$id"; then
	xr_ok "R0: the call's media is anchored" false
	xr_done
fi
ar=$CL_AR br=$CL_BR sid=$CL_SID
xr_log "call $id, session $sid: a sends to $ar, b sends to $br"
xr_ok "R0: Redis holds the call, its media session and bob's binding" ha_wait_repl \
	'r["queued"] == 0 and r["in_flight"] == 0 and r["lag_ms"] == 0'
xr_eq "R0: call key" "$(ha_keys call)" "xr:$HA_NODE:call:$id"
xr_eq "R0: media key" "$(ha_keys media)" "xr:$HA_NODE:media:$sid"
xr_eq "R0: registration key" "$(ha_keys reg)" "xr:$HA_NODE:reg:bob@example.com"
xr_ok "R0: the registration key expires on its own (TTL set)" \
	test "$(rcli pttl "xr:$HA_NODE:reg:bob@example.com")" -gt 0
xr_eq "R0: the call document names both tags and the callee's contact" \
	"$(rcli get "xr:$HA_NODE:call:$id" | jpy 'd["state"] + " " + str(bool(d["from_tag"]) and
		bool(d["to_tag"])) + " " + d["callee_contact"].split("@")[1].split(";")[0]')" \
	"confirmed True $B4:5060"

xr_ctl metrics >"$XR_TMP/m.txt"
xr_ok "R0: /metrics with the replication families parses strictly" \
	python3 "$XR_ROOT/tests/tools/promcheck.py" "$XR_TMP/m.txt"
xr_ok "R0: xrelay_ha_connected 1" grep -qx "xrelay_ha_connected 1" "$XR_TMP/m.txt"
xr_ok "R0: status (table) has the replication line" \
	grep -q "^replication: redis unix:$HA_SOCK as node $HA_NODE, connected" <<<"$(xr_ctl status)"

# ---- R1: kill -9 mid-stream ------------------------------------------------
N=5000
ml_rtp a "$XR_TMP/R1.a.json" --bind "$A4:4100" --to "$ar" --count $N --rate 500 --delay 1 \
	--expect $N --wait 2 --max-time 60
ml_rtp b "$XR_TMP/R1.b.json" --bind "$B4:5100" --to "$br" --count $N --rate 500 --delay 1 \
	--expect $N --wait 2 --max-time 60
for _ in $(seq 1 100); do
	[ "$(cl_kp "$sid" A)" -ge 50 ] && [ "$(cl_kp "$sid" B)" -ge 50 ] && break
	sleep 0.1
done
xr_ge "R1: media flows in the kernel before the kill (side A)" "$(cl_kp "$sid" A)" 50
ha_kill9
t_kill=$(date +%s%N)
xr_eq "R1: killed: XDP still on the three interfaces (pinned links)" "$(ml_xdp_ifaces)" 3
k0=$(ha_kernel_pkts)
for _ in $(seq 1 50); do
	[ "$(ha_kernel_pkts)" -ge $((k0 + 100)) ] && break
	sleep 0.1
done
xr_ge "R1: while no daemon runs, the kernel forwards (pinned stats)" "$(ha_kernel_pkts)" $((k0 + 100))
k1=$(ha_kernel_pkts)
ha_restart
xr_log "R1: no daemon for $(( ($(date +%s%N) - t_kill) / 1000000 )) ms; the kernel forwarded $((k1 - k0))+ packets meanwhile"
xr_ok "R1: the restart adopted the XDP links" \
	grep -q "XDP link on eth-a adopted" "$XR_TMP/xrelayd.log"
xr_ok "R1: the restart restored 1 call, 1 session, 1 AOR (log)" \
	grep -q "restored 1 call(s), 1 media session(s), 1 registered AOR(s); 0 kernel flow" \
	"$XR_TMP/xrelayd.log"
cl_xdp_check
xr_eq "R1: the call is back, same id, confirmed" "$(cl_wait_call confirmed)" "$id"
xr_eq "R1: its stream has the same session and relay ports" \
	"$(cl_m "$id" '"%s %s %s" % (m["session"], m["caller"]["relay"], m["callee"]["relay"])')" \
	"$sid $ar $br"
xr_eq "R1: both legs still latched" \
	"$(cl_m "$id" 'str(m["caller"]["latched"]) + " " + str(m["callee"]["latched"])')" \
	"True True"
xr_ok "R1: bob's binding is back" grep -q "bob@example.com" <<<"$(xr_ctl regs)"
xr_eq "R1: the kernel map holds the session's 4 flows" "$(ml_map_count)" 4
ml_wait
cl_rx_check R1 "$XR_TMP/R1.a.json" "$ar" $N "$XR_TMP/R1.b.json" "$br" $N

# ---- R2: Redis away, the call goes on, then re-sync ---------------------------
xr_redis_stop
xr_ok "R2: Redis stopped: status shows it" ha_wait_repl 'r["state"] == "disconnected"'
cl_go uac received '^SIP/2.0 200' 1		# alice's re-INVITE to 4102
xr_ok "R2: the re-INVITE moved alice's media to 4102 (Redis down)" \
	cl_wait_m "$id" 'm["caller"]["remote"] == "'$A4':4102"' 6
xr_ok "R2: the change waits in the queue" ha_wait_repl 'r["queued"] >= 1 and r["lag_ms"] >= 0' 5
cl_rtp R2 "$A4:4102" "$ar" "$B4:5100" "$br" 100 100 100 --pt 8
xr_redis_start
xr_ok "R2: Redis back: reconnected, re-synced, nothing queued" ha_wait_repl \
	'r["state"] == "connected" and r["resyncs"] >= 2 and r["queued"] == 0 and r["in_flight"] == 0' 15
xr_eq "R2: the empty Redis has the call again" "$(ha_keys call)" "xr:$HA_NODE:call:$id"
xr_eq "R2: ... and its media session, with alice's new port" \
	"$(rcli get "xr:$HA_NODE:media:$sid" | jpy '[s["remote"][1] for s in d["sides"]]')" \
	"[4102,5100]"
xr_eq "R2: ... and bob's binding" "$(ha_keys reg)" "xr:$HA_NODE:reg:bob@example.com"

# ---- R3: restart from the re-synced copy ------------------------------------------
ha_kill9
# Restarted with another --max-sessions: the flow table is sized by --media
# x --ports, not by it, so the pinned one is adopted as it is (no "cannot be
# adopted" in the log) and the new admission cap applies at once.
ha_restart --max-sessions 128
xr_ok "R3: another --max-sessions: the pinned table is adopted (log)" \
	grep -q "leftover flows\? kept for adoption" "$XR_TMP/xrelayd.log"
xr_ok "R3: ... not remade" bash -c "! grep -q 'cannot be adopted' '$XR_TMP/xrelayd.log'"
xr_ok "R3: ... and the new media capacity applies (log)" \
	grep -q "at most 128 media sessions (--max-sessions)" "$XR_TMP/xrelayd.log"
xr_eq "R3: the call is back" "$(cl_wait_call confirmed)" "$id"
xr_eq "R3: with the moved media" "$(cl_m "$id" 'm["caller"]["remote"]')" "$A4:4102"
ka=$(cl_kp "$sid" A) kb=$(cl_kp "$sid" B) ua=$(cl_up "$sid" A) ub=$(cl_up "$sid" B)
cl_rtp R3 "$A4:4102" "$ar" "$B4:5100" "$br" 100 100 100 --pt 8
# The latches came back with the call: no packet needs the daemon to latch again.
xr_eq "R3: all 100 a packets through the kernel (kernel, userspace)" \
	"$(( $(cl_kp "$sid" A) - ka )) $(( $(cl_up "$sid" A) - ua ))" "100 0"
xr_eq "R3: all 100 b packets through the kernel (kernel, userspace)" \
	"$(( $(cl_kp "$sid" B) - kb )) $(( $(cl_up "$sid" B) - ub ))" "100 0"

# ---- R4: BYE through the restarted daemon -------------------------------------------
cl_go uac sent '^ACK' 2				# alice hangs up
cl_reap uac "$uac" 30
cl_reap uas "$uas" 10
cl_check_clean "R4: after the BYE"
xr_ok "R4: Redis: no call or media key left" ha_wait_repl 'r["queued"] == 0 and r["in_flight"] == 0'
xr_eq "R4: no call key" "$(ha_keys call)" ""
xr_eq "R4: no media key" "$(ha_keys media)" ""
# ---- R5: media timeouts resume after a restart -----------------------------------------
# A second call, its media latched, then silent; the daemon killed and
# restarted with --media-timeout 3: the restored call's silence clock runs
# again and the relay ends it with a BYE to each party, built from what
# Redis kept (route sets, contacts, tags, CSeqs).
cl_uas to-uas call_uas.xml b 5100; uas=$CL_PID
cl_uac to-uac call_uac_wait.xml bob 4100; uac=$CL_PID
id2=$(cl_wait_call confirmed)
xr_ok "R5: the second call is confirmed" [ -n "$id2" ]
if [ -n "$id2" ] && cl_wait_media "$id2"; then
	cl_rtp R5 "$A4:4100" "$CL_AR" "$B4:5100" "$CL_BR" 100 100 100
	xr_ok "R5: Redis caught up" ha_wait_repl 'r["queued"] == 0 and r["in_flight"] == 0'
	ha_kill9
	ha_restart --media-timeout 3
	xr_eq "R5: the call is back" "$(cl_wait_call confirmed)" "$id2"
	t0=$(date +%s%N)
fi
cl_reap to-uac "$uac" 15
cl_reap to-uas "$uas" 5
if [ -n "${t0:-}" ]; then
	dt=$(( ($(date +%s%N) - t0) / 1000000 ))
	xr_log "R5: the BYE came ${dt} ms after the restart (--media-timeout 3)"
	xr_ok "R5: ended by the media timeout 2 to 8 s after the restart (${dt} ms)" \
		[ "$dt" -ge 2000 ] && [ "$dt" -le 8000 ]
fi
cl_check_clean "R5: after the media timeout"
xr_ok "R5: Redis caught up" ha_wait_repl 'r["queued"] == 0 and r["in_flight"] == 0'
xr_eq "R5: no call key" "$(ha_keys call)" ""
xr_eq "R5: no media key" "$(ha_keys media)" ""

xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_eq "after SIGTERM: XDP detached (no pinned link left)" "$(ml_xdp_ifaces)" 0
xr_eq "after SIGTERM: no link pin left" "$(ls "$XR_PIN" 2>/dev/null | grep -c '^link_')" 0
# The media range the first (killed) daemon reserved is given back by the
# last restarted one (README "Media sockets": --redis claims it).
xr_eq "after SIGTERM: the media ports are no longer reserved" \
	"$(xr_ns r cat /proc/sys/net/ipv4/ip_local_reserved_ports)" ""
xr_eq "after SIGTERM: bob's binding stays in Redis" "$(ha_keys reg)" "xr:$HA_NODE:reg:bob@example.com"
xr_redis_stop
xr_done
