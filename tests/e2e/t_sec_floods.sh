#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sec_floods.sh - the call and media bounds of issue 14 under INVITE
# floods from an attacker host (m, untrusted; flood_lib.sh): (a) INVITEs
# with 16 m= lines to a silent callee: 488 + Warning, no port held,
# descriptors stay bounded; (b) an INVITE flood over --max-calls: 503 +
# Retry-After, counted, a legitimate call (a, untrusted, to bob at the
# trusted b) refused while the flood holds every call and completed with
# RTP through XDP once the flood's calls time out, then nothing left; (g)
# the same with 2 m= lines over --max-media-sessions-per-source: m's share
# is full, a's call during the flood completes with RTP through XDP; (h)
# --max-transactions lowered by a SIGHUP: stateless 503s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/flood_lib.sh"

echo "max-transactions = 50000" >"$XR_TMP/limits.conf"
fl_setup -c "$XR_TMP/limits.conf" --max-calls 8 --max-streams 4 \
	--max-media-sessions-per-source 12

# ---- (a) 16 m= lines: 488 with a Warning, no port held, fds bounded.
fd0=$(nfd)
r=$(flood m 100 16 0 silent)
xr_eq "(a) 100 INVITEs with 16 m= lines: 488 each" "$(fin "$r" 488)" 100
xr_ok "(a) ... the Warning names --max-streams" grep -q -- "--max-streams" <<<"$(jpy 'd["warning"]' <<<"$r")"
xr_eq "(a) streams_refused counted" "$(px streams_refused)" 100
xr_eq "(a) no port pair held" "$(cl_ports_in_use)" 0
xr_eq "(a) no call left" "$(cl_calls | jpy 'len(d)')" 0
xr_ok "(a) descriptors bounded: $(nfd) now, $fd0 before" [ "$(nfd)" -le $((fd0 + 8)) ]

# ---- (b) INVITE flood over --max-calls 8 (silent callee, 1 m= line each).
fl=$XR_TMP/flood-b.json
xr_bg m "$fl" /usr/bin/python3 "$FLOOD" --local "$M4" --server "$RM4:5060" \
	--ruri sip:silent@example.com --count 40 --mlines 1 --tag fb --timeout 20
fpid=$XR_LAST_PID
for i in $(seq 1 50); do [ "$(px calls_refused)" -ge 32 ] && break; sleep 0.1; done
xr_eq "(b) the flood holds --max-calls (8) calls" "$(cl_calls | jpy 'len(d)')" 8
xr_eq "(b) the other 32 INVITEs: calls_refused" "$(px calls_refused)" 32
xr_eq "(b) 8 media sessions (1 a call), no more" "$(xr_ctl --json status | jpy 'd["sessions"]')" 8
r=$(flood a 1 1 0 bob 3)
xr_eq "(b) a legitimate call during the flood: 503 (the bound is global)" "$(fin "$r" 503)" 1
xr_eq "(b) ... with Retry-After" "$(jpy 'd["retry_after"]' <<<"$r")" 1
xr_ok "(b) the flood ends (its calls time out)" sipp_reap "$fpid" 20
r=$(tail -n 1 "$fl")
xr_eq "(b) flood: 32 x 503" "$(fin "$r" 503)" 32
xr_eq "(b) flood: ... each with Retry-After; 8 x 408" "$(jpy 'd["retry_after"]' <<<"$r") $(fin "$r" 408)" "32 8"
xr_ok "(b) /metrics family xrelay_sip_calls_refused_total" \
	grep -q '^xrelay_sip_calls_refused_total 33$' <<<"$(xr_ctl metrics)"
cl_check_clean "(b) after the flood"
cl_uas floods-uas call_uas.xml b 5100; uas=$CL_PID
cl_uac floods-uac call_uac.xml bob 4100; uac=$CL_PID
id=$(cl_wait_call confirmed)
xr_ok "(b) the legitimate call is confirmed now" [ -n "$id" ]
if [ -n "$id" ] && cl_wait_media "$id"; then
	cl_rtp floods "$A4:4100" "$CL_AR" "$B4:5100" "$CL_BR" 100 100 100
	through_xdp "(b) legitimate call" "$CL_SID" 100
fi
cl_go floods-uac sent '^ACK'
cl_reap floods-uac "$uac" 20
cl_reap floods-uas "$uas" 20
cl_check_clean "(b) after the legitimate call"

# ---- (g) --max-media-sessions-per-source 12: m's 10 INVITEs with 2 m= lines
# each; 6 calls hold m's 12 sessions, 4 get 503; a's call is not bound by it.
fl=$XR_TMP/flood-g.json
xr_bg m "$fl" /usr/bin/python3 "$FLOOD" --local "$M4" --server "$RM4:5060" \
	--ruri sip:silent@example.com --count 10 --mlines 2 --tag fg --timeout 20
fpid=$XR_LAST_PID
for i in $(seq 1 50); do [ "$(px media_source_refused)" -ge 4 ] && break; sleep 0.1; done
xr_eq "(g) 4 offers over m's share: media_source_refused" "$(px media_source_refused)" 4
xr_eq "(g) m holds 6 calls, 12 sessions" \
	"$(cl_calls | jpy 'len(d)') $(xr_ctl --json status | jpy 'd["sessions"]')" "6 12"
cl_uas floods-g-uas call_uas.xml b 5100; uas=$CL_PID
cl_uac floods-g-uac call_uac.xml bob 4100; uac=$CL_PID
for i in $(seq 1 50); do	# the one confirmed call among m's ringing ones
	id=$(cl_calls | jpy '" ".join(str(c["id"]) for c in d if c["state"] == "confirmed")')
	[ -n "$id" ] && break
	sleep 0.1
done
xr_ok "(g) a's call during m's flood is confirmed" [ -n "$id" ]
if [ -n "$id" ] && cl_wait_media "$id"; then
	cl_rtp floods-g "$A4:4100" "$CL_AR" "$B4:5100" "$CL_BR" 100 100 100
	through_xdp "(g) a's call" "$CL_SID" 100
fi
cl_go floods-g-uac sent '^ACK'
cl_reap floods-g-uac "$uac" 20
cl_reap floods-g-uas "$uas" 20
xr_ok "(g) m's flood ends (its calls time out)" sipp_reap "$fpid" 20
r=$(tail -n 1 "$fl")
xr_eq "(g) flood: 4 x 503 with Retry-After, 6 x 408" \
	"$(fin "$r" 503) $(jpy 'd["retry_after"]' <<<"$r") $(fin "$r" 408)" "4 4 6"
xr_ok "(g) ... the Warning names the bound" grep -q -- "--max-media-sessions-per-source" \
	<<<"$(jpy 'd["warning"]' <<<"$r")"
cl_check_clean "(g) after the flood"

# ---- (h) --max-transactions 16 by a SIGHUP: the flood's 41st transaction
# on gets a stateless 503 (nothing kept); 8 INVITEs hold 16 (server + client).
set_txn() {
	echo "max-transactions = $2" >"$XR_TMP/limits.conf"
	kill -HUP "$XR_DAEMON_PID"
	for i in $(seq 1 50); do
		grep -q "reload: max-transactions: $1 -> $2" "$XR_TMP/xrelayd.log" && return 0
		sleep 0.1
	done
	return 1
}
xr_ok "(h) SIGHUP: max-transactions 50000 -> 16" set_txn 50000 16
t0=$(px transactions_refused) c0=$(px calls_refused)
r=$(flood m 40 1 0 silent 20)
n503=$(fin "$r" 503) n408=$(fin "$r" 408)
t1=$(( $(px transactions_refused) - t0 )) c1=$(( $(px calls_refused) - c0 ))
xr_log "(h) $n503 x 503: $t1 over --max-transactions (stateless), $c1 over --max-calls; $n408 x 408"
xr_eq "(h) 40 INVITEs: each a 503 or (through, then timed out) a 408" "$((n503 + n408))" 40
xr_ok "(h) ... 1 to 8 got through ($n408; earlier phases' transactions may still count)" \
	[ "$n408" -ge 1 -a "$n408" -le 8 ]
xr_eq "(h) every 503 carried Retry-After" "$(jpy 'd["retry_after"]' <<<"$r")" "$n503"
xr_eq "(h) every 503 was one of the two bounds" "$((t1 + c1))" "$n503"
xr_ge "(h) ... most of them stateless, before any transaction" "$t1" 24
xr_ok "(h) SIGHUP: max-transactions 16 -> 50000" set_txn 16 50000
cl_check_clean "(h) after the flood"

xr_ok "SIGTERM: xrelayd exits 0" xr_daemon_stop
xr_done
