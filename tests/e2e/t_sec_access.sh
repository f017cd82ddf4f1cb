#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sec_access.sh - the access policy against the attacks of issue 13, from
# an untrusted host (a), each refused with its code and leaving no state (no
# binding, nothing sent onward, nothing reaching the internal host m or the
# relay's loopback), and the same requests working from the trusted gateway
# (b) or with digest credentials (SHA-256 and MD5): open relay with a forged
# P-Asserted-Identity, loopback, an internal Route, a TCP port scan,
# REGISTER hijack, `Contact: *` wipe, replayed credentials, SDP towards
# loopback or the internal network, Via maddr reflection; the counters in
# stats and /metrics; a SIGHUP that reloads the credentials.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sec_lib.sh"

sec_setup
FOREIGN="sip:+19005551234@$B4:5070"
FAKE_PAI='P-Asserted-Identity: <sip:+15551230000@pstn.example>'

# Listeners: the gateway (b:5070), the internal host (m:5071), the relay's own
# loopback (r 127.0.0.1:9999) and a phone's contact on a (a:5090).
sec_listen b "$B4" 5070 gw
sec_listen m "$M4" 5071 internal
sec_listen r 127.0.0.1 9999 loop
sec_listen a "$A4" 5090 phone --pai	# an untrusted phone: its answers assert an identity

# ---- open relay (toll fraud) ------------------------------------------------------
r=$(sec_send a --method INVITE --ruri "$FOREIGN" --header "$FAKE_PAI")
xr_eq "untrusted INVITE to a foreign number: 403" "$(sec_get "$r" 'd["code"]')" 403
xr_eq "... reason Relay forbidden" "$(sec_get "$r" 'd["reason"]')" "Relay forbidden"
r=$(sec_send a --method INVITE --ruri "$FOREIGN" --from sip:alice@example.com \
	--header "$FAKE_PAI")
xr_eq "the same with a From of our domain: 407" "$(sec_get "$r" 'd["code"]')" 407
xr_eq "... one Proxy-Authenticate per algorithm, SHA-256 first" \
	"$(sec_get "$r" '[c.split("algorithm=")[1].split(",")[0] for c in d["challenges"]]')" \
	'["SHA-256", "MD5"]'
xr_ok "... qop=auth offered" grep -q 'qop=\\"auth\\"' <<<"$r"
r=$(sec_send a --method INVITE --ruri "$FOREIGN" --from sip:alice@example.com \
	--user alice --password wrong --header "$FAKE_PAI")
xr_eq "... a wrong password: 407 again" "$(sec_get "$r" 'd["code"]')" 407
xr_eq "nothing reached the gateway" "$(sec_heard gw)" 0
for alg in SHA-256 MD5; do
	r=$(sec_send a --method INVITE --ruri "$FOREIGN" --from sip:alice@example.com \
		--user alice --password "$SEC_PW_ALICE" --alg $alg --header "$FAKE_PAI")
	xr_eq "alice's credentials ($alg): forwarded, the gateway's 486 comes back" \
		"$(sec_get "$r" 'd["code"]')" 486
done
xr_eq "the gateway got both INVITEs" "$(grep -c '"first": "INVITE' "$XR_TMP/gw.jsonl")" 2
xr_eq "... each with alice's asserted identity only (the forged one removed)" \
	"$(sec_each gw '"first": "INVITE' 'd["pai"]')" \
	'["<sip:alice@example.com>"]'
xr_eq "... and without our Proxy-Authorization" \
	"$(sec_each gw '"first": "INVITE' 'len(d["proxy_auth"])')" 0

# ---- loopback, internal networks, port scans ---------------------------------------------
r=$(sec_send a --ruri "sip:x@127.0.0.1:9999")
xr_eq "untrusted OPTIONS to the relay's loopback: 403 Relay forbidden" \
	"$(sec_get "$r" '"%s %s" % (d["code"], d["reason"])')" "403 Relay forbidden"
r=$(sec_send b --ruri "sip:x@127.0.0.1:9999")
xr_eq "... from the trusted gateway: 403 too (never towards loopback)" \
	"$(sec_get "$r" 'd["code"]')" 403
r=$(sec_send b --method REGISTER --ruri sip:example.com --to sip:eve@example.com \
	--contact "<sip:eve@$RA4:9999>")
xr_eq "the trusted gateway registers eve at the relay's own address: 200" \
	"$(sec_get "$r" 'd["code"]')" 200
r=$(sec_send b --method INVITE --ruri sip:eve@example.com)
xr_eq "... a call to eve is never sent there: 403" "$(sec_get "$r" 'd["code"]')" 403
r=$(sec_send b --method REGISTER --ruri sip:example.com --to sip:eve@example.com \
	--contact '*' --header "Expires: 0")
xr_eq "... eve removed by the gateway" "$(sec_get "$r" 'd["code"]')" 200
xr_eq "nothing reached the relay's loopback" "$(sec_heard loop)" 0
r=$(sec_send a --ruri "sip:bob@example.com" --header "Route: <sip:$M4:5071;lr>")
xr_eq "untrusted request for our domain with Route to an internal host: 403" \
	"$(sec_get "$r" 'd["code"]')" 403
r=$(sec_send a --ruri "sip:bob@example.com" --header "Route: <sip:$RA4;lr>, <sip:$M4:5071;lr>")
xr_eq "... a Route set naming us, then the internal host: 403" "$(sec_get "$r" 'd["code"]')" 403
r=$(sec_send b --ruri "sip:x@$M4:5071")
xr_eq "trusted gateway towards the --deny-dest network: 403" "$(sec_get "$r" 'd["code"]')" 403
xr_eq "nothing reached the internal host" "$(sec_heard internal)" 0
t0=$(date +%s%N)
r=$(sec_send a --ruri "sip:x@$M4:22;transport=tcp")
t1=$(date +%s%N)
xr_eq "TCP port scan through the relay: 403, not 500 from a connect" \
	"$(sec_get "$r" 'd["code"]')" 403
r=$(sec_send b --ruri "sip:x@$M4:23;transport=tcp")
xr_eq "... from the trusted gateway into the denied network: 403" "$(sec_get "$r" 'd["code"]')" 403

# ---- registrations ---------------------------------------------------------------------------
REG=(--method REGISTER --ruri sip:example.com --to sip:bob@example.com
     --contact "<sip:bob@$A4:5090>" --header "Expires: 600")
r=$(sec_send a "${REG[@]}")
xr_eq "REGISTER bob without credentials: 401" "$(sec_get "$r" 'd["code"]')" 401
xr_eq "... one WWW-Authenticate per algorithm" "$(sec_get "$r" 'len(d["challenges"])')" 2
xr_eq "... no binding" "$(sec_bindings)" 0
fails0=$(sec_access auth_failures)
r=$(sec_send a "${REG[@]}" --user bob --password "guess")
xr_eq "REGISTER bob, wrong password: 401" "$(sec_get "$r" 'd["code"]')" 401
xr_eq "... counted as an auth failure" "$(sec_access auth_failures)" $((fails0 + 1))
r=$(sec_send a "${REG[@]}" --user alice --password "$SEC_PW_ALICE")
xr_eq "REGISTER bob with alice's credentials: 403" "$(sec_get "$r" 'd["code"]')" 403
xr_eq "... no binding" "$(sec_bindings)" 0
r=$(sec_send a "${REG[@]}" --to sip:bob@evil.example --user bob --password "$SEC_PW_BOB")
xr_eq "REGISTER for a domain not ours through us: 403" "$(sec_get "$r" 'd["code"]')" 403
r=$(sec_send a "${REG[@]}" --user bob --password "$SEC_PW_BOB" --replay)
xr_eq "REGISTER bob with bob's credentials (SHA-256): 200, then the replay refused" \
	"$(sec_get "$r" 'd["first"]') $(sec_get "$r" 'd["code"]')" "401 401"
xr_eq "... the replayed nonce count gets stale=true" "$(sec_get "$r" 'd["replay_stale"]')" true
xr_eq "... one binding: bob's" "$(sec_bindings)" 1
r=$(sec_send a "${REG[@]}" --user bob --password "$SEC_PW_BOB" --alg MD5)
xr_eq "REGISTER bob again with MD5: 200" "$(sec_get "$r" 'd["code"]')" 200
r=$(sec_send a --method REGISTER --ruri sip:example.com --to sip:bob@example.com \
	--contact '*' --header "Expires: 0")
xr_eq "Contact: * from another Call-ID without credentials: 401" "$(sec_get "$r" 'd["code"]')" 401
xr_eq "... bob's binding stays" "$(sec_bindings)" 1

# ---- calls to our users; identity towards untrusted hops -----------------------------------------
r=$(sec_send a --method INVITE --ruri sip:bob@example.com --header "$FAKE_PAI")
xr_eq "untrusted INVITE to our registered user: forwarded (the phone's 486)" \
	"$(sec_get "$r" 'd["code"]')" 486
r=$(sec_send b --method INVITE --ruri sip:bob@example.com --header "$FAKE_PAI")
xr_eq "... and from the trusted gateway" "$(sec_get "$r" 'd["code"]')" 486
xr_eq "... its answer reached the gateway without the identity the phone asserted" \
	"$(sec_get "$r" 'd["pai"]')" "[]"
xr_eq "the phone (untrusted) never saw a P-Asserted-Identity" \
	"$(sec_each phone '"first": "INVITE' 'len(d["pai"])')" 0
r=$(sec_send a --method INVITE --ruri sip:nobody@example.com)
xr_eq "untrusted INVITE to an unknown user of ours: 404" "$(sec_get "$r" 'd["code"]')" 404

# ---- media towards loopback or the internal network ------------------------------------------------
sdp() { printf 'v=0\no=- 1 1 IN IP4 %s\ns=-\nc=IN IP4 %s\nt=0 0\nm=audio %s RTP/AVP 0\n' "$1" "$1" "$2"; }
for dst in 127.0.0.1 "$M4" "$RB4"; do
	r=$(sec_send a --method INVITE --ruri sip:bob@example.com --body "$(sdp "$dst" 9999)")
	xr_eq "offer with c=$dst: 488" "$(sec_get "$r" 'd["code"]')" 488
	xr_ok "... with a Warning naming the refusal" grep -q 'media destination' <<<"$r"
done
xr_eq "no call left" "$(xr_ctl --json calls | jpy 'len(d["calls"])')" 0
xr_eq "no media session" "$(xr_ctl --json stats | jpy 'd["sessions"]')" 0

# ---- responses: to the source, maddr ignored ----------------------------------------------------------
r=$(sec_send a --ruri "sip:$RA4" --via-params ";maddr=$M4")
xr_eq "OPTIONS with Via maddr=internal host: answered to the source" \
	"$(sec_get "$r" 'd["code"]')" 200
r=$(sec_send a --ruri "sip:$RA4" --via-params ";received=$M4")
xr_eq "... and with a forged received=" "$(sec_get "$r" 'd["code"]')" 200
xr_eq "nothing reached the internal host" "$(sec_heard internal)" 0

# ---- counters -------------------------------------------------------------------------------------------
for k in auth_challenges auth_failures relay_forbidden dest_denied identity_stripped; do
	xr_ge "stats: access.$k" "$(sec_access $k)" 1
done
xr_eq "stats: 2 users in the credentials file" \
	"$(xr_ctl --json stats | jpy 'd["sip"]["access"]["credentials_users"]')" 2
xr_eq "stats never shows a hash" "$(xr_ctl --json stats | grep -c "$(sec_ha1 MD5 bob example.com "$SEC_PW_BOB")")" 0
met=$(xr_ctl metrics)
for k in auth_challenges auth_failures relay_forbidden dest_denied; do
	xr_ok "metrics: xrelay_sip_${k}_total" grep -qE "^xrelay_sip_${k}_total [1-9]" <<<"$met"
done

# ---- SIGHUP re-reads the credentials ---------------------------------------------------------------------
sec_cred_line carol "carol pw" MD5 >>"$SEC_CRED"
kill -HUP "$XR_DAEMON_PID"
for i in $(seq 1 50); do
	[ "$(xr_ctl --json stats | jpy 'd["sip"]["access"]["credentials_users"]')" = 3 ] && break
	sleep 0.1
done
xr_eq "SIGHUP: the credentials file read again (3 users)" \
	"$(xr_ctl --json stats | jpy 'd["sip"]["access"]["credentials_users"]')" 3
r=$(sec_send a --method REGISTER --ruri sip:example.com --to sip:carol@example.com \
	--contact "<sip:carol@$A4:5091>" --user carol --password "carol pw" --alg MD5)
xr_eq "carol (MD5 only) registers after the reload" "$(sec_get "$r" 'd["code"]')" 200
echo "carol example.com MD5:1234" >>"$SEC_CRED"
kill -HUP "$XR_DAEMON_PID"
for i in $(seq 1 50); do
	grep -q "running credentials kept" "$XR_TMP/xrelayd.log" && break
	sleep 0.1
done
xr_ok "a broken credentials file on reload: logged, the running ones kept" \
	grep -q "running credentials kept" "$XR_TMP/xrelayd.log"
r=$(sec_send a --method REGISTER --ruri sip:example.com --to sip:bob@example.com \
	--contact "<sip:bob@$A4:5090>" --user bob --password "$SEC_PW_BOB")
xr_eq "... bob still registers" "$(sec_get "$r" 'd["code"]')" 200

xr_ok "xrelayd still running" kill -0 "$XR_DAEMON_PID"
xr_done
