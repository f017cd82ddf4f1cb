#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sec_floods.sh - the bounds of issue 14 under floods from an attacker
# host (m, untrusted; --pike-rate 0 so the floods get past the rate limit):
# (a) INVITEs with 16 m= lines to a silent callee: 488 + Warning, no port
# held, descriptors stay bounded; (b) an INVITE flood over --max-calls: 503
# + Retry-After, counted, a legitimate call (a, untrusted, to bob at the
# trusted b) refused while the flood holds every call and completed with
# RTP through XDP once the flood's calls time out, then nothing left; (g)
# the same with 2 m= lines over --max-media-sessions-per-source: m's share
# is full, a's call during the flood completes with RTP through XDP; (h)
# --max-transactions lowered by a SIGHUP: a stateless 503; (c) a
# REGISTER flood over --max-registrations: 503 "Registrar Full" +
# Retry-After, bindings stay at the bound; (d) 30 KB INVITEs: VmRSS stays
# under a stated bound; (e) one INVITE to an AOR with 16 contacts reaches
# --max-branches (8) of them; (f) failed digest authentications: the source
# is banned (reason auth), in `ban list`, and XDP drops what it sends.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sec_lib.sh"		# b trusted; a and m are anybody
. "$(dirname "$0")/call_lib.sh"

FLOOD="$XR_ROOT/tests/e2e/sipflood.py"
SEC_CRED=$XR_TMP/credentials
{
	sec_cred_line alice "$SEC_PW_ALICE" MD5
	sec_cred_line bob "$SEC_PW_BOB" MD5
} >"$SEC_CRED"
# T1 100 ms: a silent callee's branch times out (Timer B) after 6.4 s.
echo "max-transactions = 50000" >"$XR_TMP/limits.conf"
cl_setup -c "$XR_TMP/limits.conf" --credentials "$SEC_CRED" --auth-algorithms MD5 --pike-rate 0 --sip-t1 100 \
	--max-calls 8 --max-streams 4 --max-branches 8 --max-registrations 24 \
	--max-media-sessions-per-source 12 \
	--auth-fail-ban 5 --auth-fail-window 60 --ban-time 60
cl_xdp_check

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
nfd() { ls "/proc/$XR_DAEMON_PID/fd" | wc -l; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$XR_DAEMON_PID/status"; }

# bob at b (a SIPp callee), "silent" at b:5999 (a socket nobody reads).
cl_register bob b
xr_ok "REGISTER bob from b" [ $? -eq 0 ]
xr_bg b "$XR_TMP/silent.log" /usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 5999)); time.sleep(120)' "$B4"
xr_wait_bound b 5999
r=$(sec_send b --method REGISTER --ruri sip:example.com --to sip:silent@example.com \
	--contact "<sip:silent@$B4:5999>" --header "Expires: 600")
xr_eq "REGISTER silent from b" "$(sec_get "$r" 'd["code"]')" 200

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
	cl_kernel_only "(b) legitimate call" "$CL_SID" 100
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
	cl_kernel_only "(g) a's call" "$CL_SID" 100
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

# ---- (d) 30 KB INVITEs (1 m= line): memory stays bounded.
rss0=$(rss_kb)
r=$(xr_ns m /usr/bin/python3 "$FLOOD" --local "$M4" --server "$RM4:5060" \
	--ruri sip:silent@example.com --count 300 --mlines 1 --pad 30000 --gap 0.005 --timeout 20)
rss1=$(rss_kb)
xr_log "(d) VmRSS $rss0 kB before, $rss1 kB after 300 INVITEs of 30 KB; $(jpy 'd["finals"]' <<<"$r")"
xr_eq "(d) every INVITE answered (8 x 408, the rest 503)" \
	"$(fin "$r" 408) $(fin "$r" 503)" "8 292"
xr_ok "(d) VmRSS grew by less than 48 MB ($(( (rss1 - rss0) / 1024 )) MB)" \
	[ $((rss1 - rss0)) -lt 49152 ]
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$XR_DAEMON_PID/status")
hwm_max=64	# MB; AddressSanitizer's shadow memory needs more (make SAN=1, XR_BUILD=build-san)
case $XR_BUILD in *-san) hwm_max=256 ;; esac
xr_ok "(d) peak VmRSS (VmHWM) of the whole test so far under $hwm_max MB ($((hwm / 1024)) MB)" \
	[ "$hwm" -lt $((hwm_max * 1024)) ]
cl_check_clean "(d) after the 30 KB flood"

# ---- (e) fork fan-out: 16 contacts, --max-branches 8.
sec_listen b "$B4" 5998 fan
cs=$(for i in $(seq 1 16); do printf '<sip:f%d@%s:5998>, ' "$i" "$B4"; done)
r=$(sec_send b --method REGISTER --ruri sip:example.com --to sip:fan@example.com \
	--contact "${cs%, }" --header "Expires: 600")
xr_eq "(e) fan@ registers 16 contacts" "$(sec_get "$r" 'd["code"]')" 200
r=$(flood m 1 1 0 fan)
xr_eq "(e) one INVITE from m to fan@: 486 (every branch answered it)" "$(fin "$r" 486)" 1
xr_eq "(e) ... it reached 8 of the 16 contacts" \
	"$(sec_each fan '"first": "INVITE' 'd["first"]' | wc -l)" 8
xr_eq "(e) branches_truncated counted" "$(px branches_truncated)" 1

# ---- (c) REGISTER flood over --max-registrations 24 (18 held: bob, silent, fan's 16).
reg() {
	sec_send m --method REGISTER --ruri sip:example.com --to "sip:$1@example.com" \
		--contact "<sip:$1@$M4:$2>" --header "Expires: 600" --user "$1" --password "$3" \
		--alg MD5
}
codes=
for p in $(seq 6001 6010); do
	r=$(reg alice "$p" "$SEC_PW_ALICE"); codes="$codes $(sec_get "$r" 'd["code"]')"
done
xr_eq "(c) 10 REGISTERs from m (alice, right password): 6 fit, 4 refused" \
	"$(tr ' ' '\n' <<<"$codes" | grep . | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')" \
	"200:6 503:4 "
xr_eq "(c) ... 503 Registrar Full" "$(sec_get "$r" 'd["reason"]')" "Registrar Full"
xr_eq "(c) bindings stay at the bound" "$(sec_bindings)" 24
xr_eq "(c) registrations_refused counted" "$(px registrations_refused)" 4
r=$(reg alice 6001 "$SEC_PW_ALICE")
xr_eq "(c) a refresh at the bound still works" "$(sec_get "$r" 'd["code"]')" 200

# ---- (f) failed digest authentications: banned in XDP.
for i in 1 2 3 4; do
	r=$(reg alice 6100 wrong-password)
done
xr_eq "(f) 4 failures: 401, not banned yet" "$(sec_get "$r" 'd["code"]') $(xr_ctl --json ban list | jpy 'len(d["bans"])')" "401 0"
r=$(reg alice 6100 wrong-password)
xr_eq "(f) the 5th failure (--auth-fail-ban 5): m banned for auth" \
	"$(xr_ctl --json ban list | jpy '[(b["prefix"], b["reason"]) for b in d["bans"]]')" \
	"[[\"$M4/32\",\"auth\"]]"
xr_eq "(f) auth_fail_bans counted" "$(px auth_fail_bans)" 1
xr_ge "(f) the access policy counted the failures" "$(sec_access auth_failures)" 5
d0=$(ml_counter drop_banned)
xr_eq "(f) m's 20 datagrams left its socket" "$(ml_udp m "$M4:7000" "$RM4:5060" 100 20)" 20
r=$(reg alice 6001 "$SEC_PW_ALICE")
xr_eq "(f) m's REGISTER with the right password gets no answer now" \
	"$(sec_get "$r" 'd.get("code") or 0')" 0
xr_ge "(f) XDP dropped them (drop_banned)" "$(( $(ml_counter drop_banned) - d0 ))" 21
r=$(flood a 1 1 0 fan 5)
xr_eq "(f) a is not banned: its INVITE to fan@ is answered" "$(fin "$r" 486)" 1

xr_ok "SIGTERM: xrelayd exits 0" xr_daemon_stop
xr_done
