#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_call_load.sh - many anchored calls.
#  1. 100 concurrent calls (SIPp -l 100 -m 100), each offering its own RTP
#     port; once all are up, RTP both ways on every call at once from
#     rtp.py --multi (ports read back from `call show`): every packet arrives
#     exactly, at the right party, from the right relay port, the kernel
#     forwarded them; all 100 calls complete (SIPp's counters); nothing left.
#  2. Calls per second for each seed flow with the media anchored (SDP
#     rewritten, port pairs and kernel entries made and removed per call)
#     and RTP on every call (SIPp plays a 1 s RTP stream from its media port
#     after the ACK, the callee's SIPp echoes it back): simple, forking (a
#     second registered callee rings and is CANCELled), re-INVITE.  Rates
#     from XR_CALL_LOAD_RATES (calls/s, space separated; default "50": a
#     short run), XR_CALL_LOAD_SECS seconds at each (default 3); a rate
#     counts when every call succeeded (0 failed, 0 unexpected messages), the
#     relay dropped no RTP (all the daemon received was relayed, the rest went
#     through XDP) and at least half the nominal RTP arrived (an overloaded
#     SIPp sends less: the share is logged); calls a failed run left
#     are ended by the media timeout (8 s here) and must leave nothing.
#     One line per seed flow: "calls/s <flow>: <highest rate with 0 failures>".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/call_lib.sh"

# One SIPp host is the whole load: no per-source rate limit (--pike-rate).
CL_XARGS=(--pike-rate 0)
cl_start b

# ---- 1. 100 concurrent calls with RTP ------------------------------------------
C=100 NP=50
{ echo SEQUENTIAL; for i in $(seq 0 $((C - 1))); do echo "$((20000 + 2 * i));"; done; } \
	>"$XR_TMP/ports.a.csv"
{ echo SEQUENTIAL; for i in $(seq 0 $((C - 1))); do echo "$((22000 + 2 * i));"; done; } \
	>"$XR_TMP/ports.b.csv"
cl_sipp b many-uas 300 -sf "$CL_SCEN/call_uas_load.xml" -i "$B4" -p 5060 -t u1 \
	-inf "$XR_TMP/ports.b.csv" -m $C
uas=$CL_PID
xr_wait_bound b 5060
cl_sipp a many-uac 300 -sf "$CL_SCEN/call_uac_load.xml" -i "$A4" -p 5070 -t u1 \
	-rsa "$RA4:5060" -s bob -inf "$XR_TMP/ports.a.csv" -l $C -m $C -r 100 \
	-cid_str "many-uac-%u@%s" "$RA4:5060"
uac=$CL_PID
xr_ok "$C calls confirmed at once" cl_wait_call confirmed $C 8 >/dev/null
cl_media_all "$XR_TMP/media.txt"
xr_eq "call show: every call's media has both parties" \
	"$(awk '$2 != "null" && $4 != "null"' "$XR_TMP/media.txt" | wc -l)" $C
xr_eq "the media sessions: one per call" "$(xr_ctl --json status | jpy 'd["sessions"]')" $C
xr_eq "kernel flow map: 4 entries per call (bpftool)" "$(ml_map_count)" $((4 * C))
awk '{ print $2, $3 }' "$XR_TMP/media.txt" >"$XR_TMP/flows.a"
awk '{ print $4, $5 }' "$XR_TMP/media.txt" >"$XR_TMP/flows.b"
fwd0=$(ml_counter fwd_redirect)
ml_rtp a "$XR_TMP/many.a.json" --multi "$XR_TMP/flows.a" --count $NP --rate 25 --expect $NP \
	--delay 1 --wait 1.5
ml_rtp b "$XR_TMP/many.b.json" --multi "$XR_TMP/flows.b" --count $NP --rate 25 --expect $NP \
	--delay 1 --wait 1.5
ml_wait
# Per call: each party got exactly the other's NP packets, from its own relay port.
verdict=$(python3 - "$XR_TMP/many.a.json" "$XR_TMP/many.b.json" "$NP" <<'EOF'
import json, sys
a, b = (json.load(open(f))["flows"] for f in sys.argv[1:3])
n = int(sys.argv[3])
ok = bad = 0
for fa, fb in zip(a, b):
    good = True
    for me, peer in ((fa, fb), (fb, fa)):
        src = me["sources"]
        s = src.get(me["to"])
        if list(src) != [me["to"]] or not s or s["packets"] != n or s["missing"] or \
           s["bad_payload"] or s["dups"] or s["sha256"] != peer["sent_sha256"] or me["sent"] != n:
            good = False
            if bad < 3:
                print("bad flow %s -> %s: %s" % (me["bind"], me["to"],
                      {k: (v["packets"], v["missing"]) for k, v in src.items()}), file=sys.stderr)
    ok += good; bad += not good
print(ok, bad)
EOF
)
xr_eq "RTP on $C calls at once: every call got exactly what its peer sent, both ways (ok bad)" \
	"$verdict" "$C 0"
xr_ge "stats fwd_redirect: the kernel forwarded them but the latching packets" \
	"$(( $(ml_counter fwd_redirect) - fwd0 ))" $((2 * C * NP - 4 * C))
# The calls hang up now that the test is done with them.
cl_go many-uac sent '^ACK' $C $(for i in $(seq 1 $C); do echo "many-uac-$i@$A4"; done)
cl_reap many-uac "$uac" 30
cl_reap many-uas "$uas" 10
xr_eq "SIPp caller: successful calls" "$(sipp_stat many-uac 'SuccessfulCall(C)')" $C
xr_eq "SIPp caller: failed calls" "$(sipp_stat many-uac 'FailedCall(C)')" 0
cl_check_clean "after $C calls"

# ---- 2. calls per second for each seed flow ------------------------------------
RATES=${XR_CALL_LOAD_RATES:-50}
SECS=${XR_CALL_LOAD_SECS:-3}
# A 1 s RTP stream (50 PCMU packets, 20 ms apart) for SIPp's play_pcap_audio.
python3 - "$XR_TMP/rtp1s.pcap" <<'EOF'
import struct, sys
f = open(sys.argv[1], "wb")
f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
for i in range(50):
    rtp = struct.pack("!BBHII", 0x80, 0, i, i * 160, 0x5e110000) + bytes([0xff]) * 160
    udp = struct.pack("!HHHH", 6000, 6000, 8 + len(rtp), 0) + rtp
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + udp
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + ip
    f.write(struct.pack("<IIII", 1000, i * 20000, len(eth), len(eth)) + eth)
EOF

# rate_run FLOW RATE : SECS seconds of FLOW calls at RATE/s (2 s each, so the
# 1 s RTP stream ends before the BYE even when SIPp lags; plus
# the re-INVITE's exchange); 0 when every call succeeded.
rate_run() {
	local flow=$1 r=$2 n=$(( $2 * SECS )) uas lose= rc uacs uasf
	case $flow in
	simple)   uacs=call_uac_rate.xml;        uasf=call_uas_rate.xml ;;
	fork)     uacs=call_uac_rate.xml;        uasf=call_uas_rate.xml ;;
	reinvite) uacs=call_uac_rate_reinv.xml;  uasf=call_uas_rate_reinv.xml ;;
	esac
	# The callees take any number of calls (no -m): an overloaded run before
	# may leave the relay retransmitting BYEs to them for 32 s, which a
	# SIPp UAS counts as calls.  They are stopped once the caller is done;
	# the caller's counters decide.
	cl_sipp b "rate-$flow-$r-uas" $((SECS + 30)) -sf "$CL_SCEN/$uasf" -i "$B4" -p 5060 -t u1 \
		-mi "$B4" -mp 6000 -rtp_echo
	uas=$CL_PID
	if [ "$flow" = fork ]; then
		cl_sipp m "rate-$flow-$r-lose" $((SECS + 30)) -sf "$CL_SCEN/uas_fork_lose.xml" \
			-i "$M4" -p 5060 -t u1
		lose=$CL_PID
		xr_wait_bound m 5060
	fi
	xr_wait_bound b 5060
	# SIPp looks for the pcap in its working directory.
	CL_CWD=$XR_TMP cl_sipp a "rate-$flow-$r-uac" $((SECS + 30)) -sf "$CL_SCEN/$uacs" -i "$A4" \
		-p 5070 -t u1 -mi "$A4" -mp 6000 -rsa "$RA4:5060" -s bob -r "$r" -m "$n" \
		-l $((r * 6)) -d 2000 "$RA4:5060"
	local uac=$CL_PID
	sipp_reap "$uac" $((SECS + 40)); rc=$?
	sleep 0.5	# the last BYEs' 200s
	sipp_bg_stop "$uas"
	[ -n "$lose" ] && sipp_bg_stop "$lose"
	local ok fail
	ok=$(sipp_stat "rate-$flow-$r-uac" 'SuccessfulCall(C)')
	fail=$(sipp_stat "rate-$flow-$r-uac" 'FailedCall(C)')
	xr_log "$flow at $r calls/s: $ok of $n successful, ${fail:-?} failed (SIPp exit $rc)"
	if [ "$rc" -ne 0 ]; then
		xr_log "$flow at $r calls/s: the caller's SIPp said:"
		grep -v '^ *$' "$XR_TMP/rate-$flow-$r-uac.out" | tail -n 12 | sed 's/^/#   /'
		tail -n 6 "$XR_TMP/rate-$flow-$r-uac.err" 2>/dev/null | sed 's/^/#   /'
	fi
	[ "$rc" -eq 0 ] && [ "$ok" = "$n" ] && [ "$fail" = 0 ]
}

# A short media timeout from here on: calls an overloaded SIPp gave up on
# are ended by the relay (and must leave nothing behind either).
cl_restart --media-timeout 8
cl_register bob b
xr_ok "REGISTER bob from b again" [ $? -eq 0 ]
for flow in ${XR_CALL_LOAD_FLOWS:-simple fork reinvite}; do
	if [ "$flow" = fork ]; then
		cl_register bob m
		xr_ok "REGISTER bob from m too (forking)" [ $? -eq 0 ]
	fi
	best=0
	for r in $RATES; do
		k0=$(xr_ctl --json stats | jpy 'd.get("kernel") or {}')
		u0=$(xr_ctl --json stats | jpy 'd["media"]["userspace"]')
		f0=$(ml_counter fwd_redirect)
		rate_run "$flow" "$r"; rc=$?
		fw=$(( $(ml_counter fwd_redirect) - f0 ))
		# Where the rest went: every other kernel outcome and the daemon's
		# userspace counters that moved during the run.
		st=$(xr_ctl --json stats)
		xr_log "$flow at $r calls/s: kernel $(jpy '(lambda B: " ".join("%s+%d" % (k, v - B.get(k, 0))
			for k, v in sorted((d.get("kernel") or {}).items()) if v != B.get(k, 0) and
			k != "fwd_redirect"))(__import__("json").loads(b))' b="$k0" <<<"$st"); userspace $(jpy \
			'(lambda B: " ".join("%s+%d" % (k, v - B.get(k, 0)) for k, v in
			sorted(d["media"]["userspace"].items()) if v != B.get(k, 0)))(__import__("json").loads(b))' \
			b="$u0" <<<"$st")"
		xr_log "$flow at $r calls/s: $fw RTP packets forwarded by XDP ($(( r * SECS )) calls x 50 packets each way, echoed: $(( fw * 100 / (r * SECS * 100) ))%)"
		# The relay lost nothing it received: all it passed to userspace
		# (the latching packets) was relayed, nothing dropped there.
		read -r urx ufwd udrop < <(jpy '(lambda B: "%d %d %d" % (d["media"]["userspace"]["rx_packets"] -
			B["rx_packets"], d["media"]["userspace"]["forwarded_packets"] - B["forwarded_packets"],
			sum(d["media"]["userspace"][k] - B[k] for k in ("wrong_source_drops", "no_dest_drops",
			"other_drops"))))(__import__("json").loads(b))' b="$u0" <<<"$st")
		if [ $rc -eq 0 ] && [ "$urx" = "$ufwd" ] && [ "$udrop" = 0 ] &&
		   [ "$fw" -ge $(( r * SECS * 50 )) ]; then
			best=$r
		else
			xr_log "$flow: $r calls/s not sustained (calls failed, the relay dropped RTP ($urx in, $ufwd relayed, $udrop dropped in userspace), or under half the RTP arrived)"
			# What an overloaded run left behind goes at the media timeout;
			# its transactions (retransmitting to SIPps that gave up) end
			# within 64*T1: wait for both so the next flow starts clean.
			for _ in $(seq 1 160); do
				[ "$(cl_calls | jpy 'len(d)' 2>/dev/null)" = 0 ] &&
				[ "$(xr_ctl --json stats | jpy 'd["sip"]["transactions"]' 2>/dev/null)" = 0 ] && break
				sleep 0.25
			done
			xr_log "$flow: after the overload: $(cl_calls | jpy 'len(d)') calls, $(xr_ctl --json stats | jpy 'd["sip"]["transactions"]') transactions"
			break
		fi
	done
	echo "calls/s $flow: $best (with RTP anchored, 0 failures; rates tried: $RATES)"
	xr_ge "$flow: the first rate ran with 0 failures" "$best" "${RATES%% *}"
	cl_check_clean "after the $flow runs"
	if [ "$flow" = fork ]; then
		sip_unregister bob u1 >/dev/null
		cl_register bob b
		xr_ok "bob registered from b alone again" [ $? -eq 0 ]
	fi
done
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
