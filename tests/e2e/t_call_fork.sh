#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_call_fork.sh - seed flow 2 with its media anchored (DESIGN.md "forking"):
# bob@example.com is registered from two callees, b (10.11.2.2, behind the
# relay's eth-b) and m (10.11.3.2, behind eth-m).  A call to bob forks to
# both: m answers 183 with SDP and sends early media, which reaches the
# caller; b rings, then answers 200; the proxy CANCELs m (200, 487, ACK).
# From then on RTP flows only between the caller and b, in the kernel: m's
# packets reach nobody and m's port receives nothing.  Each callee's INVITE
# names the relay address facing it (multi-homing); after the caller's BYE
# nothing is left behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/call_lib.sh"

cl_start b m
xr_eq "bob has two bindings" "$(xr_ctl --json regs | jpy 'sum(1 for r in (d["regs"] if isinstance(d, dict) else d) if r["aor"] == "bob@example.com")')" 2

N=200
LOSE_SSRC=0x105e0001
cl_uas win call_uas_ring.xml b 5100; win=$CL_PID
cl_uas lose call_uas_early_lose.xml m 6100; lose=$CL_PID
cl_uac uac call_uac.xml bob 4100; uac=$CL_PID

# ---- ringing: m's early media (183 with SDP) reaches the caller.
id=$(cl_first_call)
xr_ok "the call is listed while it rings" [ -n "$id" ]
ar= br= ear= ebr=
if [ -n "$id" ] && cl_wait_m "$id" 'm.get("callee") and m["callee"].get("remote") == r' 3 r="$M4:6100"; then
	ar=$(cl_m "$id" 'm["caller"]["relay"]'); br=$(cl_m "$id" 'm["callee"]["relay"]')
	ear=$ar ebr=$br
	xr_log "early: a sends to $ar, m sends to $br"
	cl_sink a "$A4:4100" "$XR_TMP/early.a.json"
	ml_rtp m "$XR_TMP/early.m.json" --bind "$M4:6100" --to "$br" --count 100 --rate 200 \
		--ssrc $LOSE_SSRC --wait 0.5
	ml_wait
	xr_eq "early media: the caller got m's 100 packets, from its relay port" \
		"$(jpy 'd["sources"].get(s, {}).get("ssrc_packets", {}).get(str(int(x, 0)), 0)' \
			s="$ar" x=$LOSE_SSRC <"$XR_TMP/early.a.json")" 100
else
	xr_ok "early media: the 183's SDP is applied (call show: callee at $M4:6100)" false
fi

# ---- b answers (when the test says so): caller <-> b only, m's packets go nowhere.
cl_go win sent '^SIP/2.0 180'
xr_ok "the call is confirmed" cl_wait_call confirmed 1 5 >/dev/null
id=$(cl_first_call)
if cl_wait_m "$id" 'm.get("callee") and m["callee"].get("remote") == r' 3 r="$B4:5100"; then
	sid=$(cl_m "$id" 'm["session"]')
	ar=$(cl_m "$id" 'm["caller"]["relay"]'); br=$(cl_m "$id" 'm["callee"]["relay"]')
	xr_log "answered: call $id, session $sid: a sends to $ar, b sends to $br"
	xr_eq "the caller's relay address faces a" "$(ml_host "$ar")" "$RA4"
	xr_eq "the winner's relay address faces b" "$(ml_host "$br")" "$RB4"
	xr_eq "call show: one stream" "$(cl_show "$id" | jpy 'len(d["media"])')" 1
	fwd0=$(ml_counter fwd_redirect)
	ka0=$(cl_kp "$sid" A); ua0=$(cl_up "$sid" A)
	kb0=$(cl_kp "$sid" B); ub0=$(cl_up "$sid" B)
	# m keeps sending to the port it was given, from its SDP port, meanwhile.
	ml_rtp m "$XR_TMP/late.m.json" --bind "$M4:6100" --to "$br" --count $N --rate 500 \
		--ssrc $LOSE_SSRC --delay 0.8 --wait 1
	cl_rtp answered "$A4:4100" "$ar" "$B4:5100" "$br" $N $N $N
	ml_wait
	xr_eq "the loser's port received nothing" "$(cl_rx "$XR_TMP/late.m.json")" 0
	xr_eq "the caller got none of m's packets after the answer" \
		"$(jpy 'sum(int(s["ssrc_packets"].get(str(int(x, 0)), 0)) for s in d["sources"].values())' \
			x=$LOSE_SSRC <"$XR_TMP/answered.a.json")" 0
	xr_eq "call show: both paths are the kernel" \
		"$(cl_m "$id" 'm["caller"]["path"] + " " + m["callee"]["path"]')" "kernel kernel"
	xr_eq "call show: the callee branch that won" \
		"$(cl_show "$id" | jpy '[b["code"] for b in d["branches"] if b["state"] != "cancelled" and b["code"] == 200]')" "[200]"
	ka=$(( $(cl_kp "$sid" A) - ka0 )); ua=$(( $(cl_up "$sid" A) - ua0 ))
	kb=$(( $(cl_kp "$sid" B) - kb0 )); ub=$(( $(cl_up "$sid" B) - ub0 ))
	xr_eq "the caller's $N packets relayed once each (kernel $ka + user $ua)" $((ka + ua)) $N
	xr_eq "b's $N packets relayed once each, m's none (kernel $kb + user $ub)" $((kb + ub)) $N
	xr_ok "userspace relayed at most the latching packets ($ua, $ub)" [ $((ua + ub)) -le 6 ]
	xr_ge "stats fwd_redirect: both directions in the kernel" \
		"$(( $(ml_counter fwd_redirect) - fwd0 ))" $((2 * N - 10))
	xr_eq "the losing branch's media is gone: one media session left" \
		"$(xr_ctl --json status | jpy 'd["sessions"]')" 1
	if [ -n "$ear" ] && [ "$ear" != "$ar" ]; then
		# The caller's early relay port (m's branch) relays nothing any more.
		cl_sink m "$M4:6100" "$XR_TMP/stale.m.json"
		cl_sink b "$B4:5100" "$XR_TMP/stale.b.json"
		ml_rtp a "$XR_TMP/stale.a.json" --bind "$A4:4100" --to "$ear" --count 30 --rate 200 --wait 0.5
		ml_wait
		xr_eq "RTP to the caller's early relay port $ear reaches neither callee" \
			"$(cl_rx "$XR_TMP/stale.m.json") $(cl_rx "$XR_TMP/stale.b.json")" "0 0"
	fi
else
	xr_ok "the answer moved the callee's media to b ($B4:5100)" false
fi

cl_go uac sent '^ACK'
cl_reap lose "$lose" 10
cl_reap uac "$uac" 20
cl_reap win "$win" 10
# The SDP each party got names the relay address that faces it.
xr_eq "the INVITE b got names the relay on eth-b (c=)" \
	"$(cl_sdp win received '^INVITE' | cut -d'|' -f2)" "$RB4"
xr_eq "the INVITE m got names the relay on eth-m (c=)" \
	"$(cl_sdp lose received '^INVITE' | cut -d'|' -f2)" "$RM4"
xr_eq "the 183 and 200 the caller got name the relay on eth-a (c=)" \
	"$(cl_sdp uac received '^SIP/2.0 (183|200)' | cut -d'|' -f2 | sort -u)" "$RA4"
[ -n "$ar" ] && xr_eq "... the caller's relay port" \
	"$(cl_sdp uac received '^SIP/2.0 200' | cut -d'|' -f3)" "$(ml_port "$ar")"
cl_check_clean "after the caller's BYE"
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
