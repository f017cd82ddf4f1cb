#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sip_dns.sh - host names are resolved off the SIP workers (issue 14).
# xrelayd runs ONE worker and asks a DNS server in m (tests/e2e/dns_stub.py)
# that answers callee.example.test, says NXDOMAIN for nx.example.test and
# never answers names under silent.example.test.  20 OPTIONS for 20 silent
# names are parked (16 lookups under way, --dns-max-pending 16; the other 4
# get 503 at once); while their lookups are pending an OPTIONS ping and a
# call over UDP on the same worker go through; then the 16 get 408 once
# --dns-timeout ends.  A static route to callee.example.test resolves and
# its call goes through (the second from the cache, no new query), a name
# that does not exist gets 604, one with no port goes where its SRV record
# says (RFC 3263 §4.2), a CANCEL of a parked INVITE gets its 487 at once,
# and the counters say so.  xrelayd stops
# cleanly, at once, with requests parked.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sec_lib.sh"	# sipc.py (sec_send, sec_get), jpy
SIP_TRUSTED_ARGS=(--trusted 10.11.0.0/16)

PY=/usr/bin/python3
DNS_TIMEOUT=15000
[ -x $PY ] || xr_skip "$PY missing"
sip_setup --workers 1 --dns-server $M4:53 --dns-timeout $DNS_TIMEOUT --dns-max-pending 16 \
	--route "carol=sip:carol@callee.example.test:5060" --route "dave=sip:dave@svc.example.test" \
	--route "erin=sip:erin@inv.silent.example.test:5060"
xr_bg m "$XR_TMP/dns.log" $PY "$XR_ROOT/tests/e2e/dns_stub.py" $M4 53 \
	--a "callee.example.test=$B4" --a "edge.example.test=$B4" --srv "_sip._udp.svc.example.test=10,5,5062,callee.example.test" \
	--silent silent.example.test --secs 120
xr_wait_bound m 53 || xr_die "dns_stub did not start"

px() { xr_ctl_json stats | jpy "d['sip']['$1']"; }
queries_for() { grep -c "\"name\": \"$1\", \"type\": ${2:-1}}" "$XR_TMP/dns.log"; }

# ---- a silent server costs the requests that need it, never the worker
for i in $(seq 1 20); do
	xr_bg a "$XR_TMP/silent-$i.out" $PY "$SEC_CLI" send --local $A4 --server $RA4:5060 \
		--method OPTIONS --ruri "sip:u$i@h$i.silent.example.test" \
		--to "sip:u$i@h$i.silent.example.test" --timeout 60
	eval "silent_pid_$i=$XR_LAST_PID"
done
for i in $(seq 1 200); do
	[ "$(px dns_parked)" -ge 20 ] 2>/dev/null && break
	sleep 0.1
done
xr_ge "20 requests parked waiting for DNS" "$(px dns_parked)" 20
xr_eq "over --dns-max-pending 16: 4 refused" "$(px dns_refused)" 4
for i in $(seq 1 50); do
	[ "$(grep -c 'silent.example.test", "type": 33' "$XR_TMP/dns.log")" -ge 16 ] && break
	sleep 0.1
done
xr_ge "the DNS server got the 16 SRV queries (no port in the URIs) and answers none" \
	"$(grep -c '_sip._udp.h[0-9]*.silent.example.test", "type": 33' "$XR_TMP/dns.log")" 16
r=$(sec_send a --method OPTIONS --ruri "sip:$RA4")
xr_eq "meanwhile an OPTIONS ping on the same worker: 200" "$(sec_get "$r" 'd["code"]')" 200
sip_register bob u1
xr_eq "meanwhile a REGISTER: 200" "$?" 0
sip_uas uas-1 uas.xml u1 -m 1
uas=$SIPP_BG_PID
sip_uac uac-1 uac.xml u1 30 -s bob -m 1 -d 100
xr_eq "meanwhile a call over UDP: sipp exit status" "$?" 0
sipp_reap "$uas"
xr_eq "... all while the lookups were still pending (none timed out yet)" \
	"$(px dns_timeouts)" 0
n408=0 n503=0
for i in $(seq 1 20); do
	p=silent_pid_$i
	for _ in $(seq 1 400); do kill -0 "${!p}" 2>/dev/null || break; sleep 0.1; done
	c=$(sec_get "$(tail -n 1 "$XR_TMP/silent-$i.out")" 'd["code"]')
	case $c in 408) n408=$((n408 + 1)) ;; 503) n503=$((n503 + 1)) ;; esac
done
xr_eq "the 16 parked requests: 408 once --dns-timeout ended" "$n408" 16
xr_eq "the 4 refused ones: 503" "$n503" 4
xr_ge "dns_timeouts counted" "$(px dns_timeouts)" 16

# A CANCEL of an INVITE parked for DNS: 487 at once, not when the lookup ends.
timeouts=$(px dns_timeouts)
sip_uac uac-cancel-parked uac_cancel_parked.xml u1 30 -s erin -m 1
xr_eq "CANCEL of a parked INVITE: 200, 487 (sipp exit status)" "$?" 0
xr_eq "... while its lookup was still pending" "$(px dns_timeouts)" "$timeouts"
xr_ok "... and no call record left" sip_calls_empty

# ---- a server that answers
sip_uas uas-2 uas.xml u1 -m 2
uas=$SIPP_BG_PID
sip_uac uac-2 uac.xml u1 30 -s carol -m 1 -d 100
xr_eq "a call to carol, routed to callee.example.test: sipp exit status" "$?" 0
xr_eq "... one A query for callee.example.test" "$(queries_for callee.example.test)" 1
hits=$(px dns_cache_hits)
sip_uac uac-3 uac.xml u1 30 -s carol -m 1 -d 100
xr_eq "a second call to carol: sipp exit status" "$?" 0
sipp_reap "$uas"
xr_eq "... answered from the cache: no new query" "$(queries_for callee.example.test)" 1
xr_ge "... cache hits counted" "$(px dns_cache_hits)" $((hits + 1))
# RFC 3263 §4.2: no port in the URI: SRV, then the target's address and the record's port.
sipp_bg b uas-srv -sf "$SIP_SCEN/uas.xml" -i $B4 -p 5062 -t u1 -m 1
uas=$SIPP_BG_PID
sip_uac uac-srv uac.xml u1 30 -s dave -m 1 -d 100
xr_eq "a call to dave, routed to svc.example.test (SRV: callee:5062): sipp exit status" "$?" 0
sipp_reap "$uas"
xr_eq "... the callee on port 5062 took it (sipp exit)" "$?" 0
xr_eq "... one SRV query for _sip._udp.svc.example.test" \
	"$(queries_for _sip._udp.svc.example.test 33)" 1
# A parked request with a Route set resumes with the same plan: our Route
# removed, the next one (a host name) followed and kept (loose routing).
sec_listen b $B4 5070 edge
r=$(sec_send a --method OPTIONS --ruri "sip:x@example.org" \
	--header "Route: <sip:$RA4;lr>, <sip:edge.example.test:5070;lr>" --timeout 10)
xr_eq "OPTIONS with Route: <us>, <edge.example.test>: the listener's 486" \
	"$(sec_get "$r" 'd["code"]')" 486
xr_eq "... it arrived with one Route, the edge's" \
	"$(grep '"first": "OPTIONS' "$XR_TMP/edge.jsonl" | tail -n 1 | jpy 'd["route"]')" \
	'["<sip:edge.example.test:5070;lr>"]'
r=$(sec_send a --method OPTIONS --ruri "sip:x@nx.example.test" --timeout 10)
xr_eq "a host name that does not exist: 604" "$(sec_get "$r" 'd["code"]')" 604
xr_ge "dns_failures counted" "$(px dns_failures)" 1
xr_ok "no call left in the dialog table" sip_calls_empty
prom=$(xr_ctl metrics)
xr_ge "metrics: xrelay_sip_dns_timeouts_total" \
	"$(awk '$1 == "xrelay_sip_dns_timeouts_total" { print $2 }' <<<"$prom")" 16

xr_ok "xrelayd still running" kill -0 "$XR_DAEMON_PID"

# SIGTERM with requests parked: no wait for their lookups, a clean exit.
parked=$(px dns_parked)
for i in 21 22; do
	xr_bg a "$XR_TMP/silent-$i.out" $PY "$SEC_CLI" send --local $A4 --server $RA4:5060 \
		--method INVITE --ruri "sip:u$i@h$i.silent.example.test" \
		--to "sip:u$i@h$i.silent.example.test" --timeout 30
done
for i in $(seq 1 100); do
	[ "$(px dns_parked)" -ge $((parked + 2)) ] 2>/dev/null && break
	sleep 0.1
done
xr_eq "two more requests parked (an INVITE among them)" "$(px dns_parked)" $((parked + 2))
xr_ok "xrelayd stops cleanly with requests parked" xr_daemon_stop
xr_done
