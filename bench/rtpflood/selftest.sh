#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench/rtpflood/selftest.sh - rtpflood checked against itself on a veth pair
# between two namespaces: every generator mode into every sink mode with
# --count, exact packet and flow counts, zero loss, a latency that is there;
# then threads, a per-flow rate, reordering, 200000 flows, refused arguments,
# and the reference forwarder across a third namespace.  Exit 0 = all good,
# 1 = a check failed, 77 = skipped (not root).
set -u
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (namespaces, XDP)"; exit 77; }
RF=${RF:-$(cd "$(dirname "$0")/../.." && pwd)/build/rtpflood}
[ -x "$RF" ] || { echo "FATAL: $RF missing: make build/rtpflood"; exit 1; }
P=xr-$$
G=$P-g F=$P-f S=$P-s
TMP=$(mktemp -d "/tmp/$P.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ip netns del $G 2>/dev/null; ip netns del $F 2>/dev/null; ip netns del $S 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
fails=0 passes=0
check() {	# DESC EXPR (python, over g and s: the gen and sink JSON)
	if python3 - "$TMP/gen.json" "$TMP/sink.json" "$2" <<'EOF'
import json, sys
g = json.load(open(sys.argv[1])) if open(sys.argv[1]).read().strip() else {}
s = json.load(open(sys.argv[2]))
sys.exit(0 if eval(sys.argv[3]) else 1)
EOF
	then passes=$((passes + 1)); echo "ok - $1"
	else fails=$((fails + 1)); echo "not ok - $1: $2"; cat "$TMP/gen.json" "$TMP/sink.json"
	fi
}

for n in $G $F $S; do ip netns add $n; ip -n $n link set lo up; done
ip link add g0 netns $G type veth peer name s0 netns $S
ip -n $G addr add 10.13.0.1/24 dev g0
ip -n $S addr add 10.13.0.2/24 dev s0
ip -n $G link set g0 up
ip -n $S link set s0 up
ip netns exec $S ethtool -K s0 gro on >/dev/null
ip netns exec $G ping -c1 -W1 -q 10.13.0.2 >/dev/null || { echo "FATAL: no ping"; exit 1; }

# run SINK-ARGS -- GEN-ARGS : sink in S (background), generator in G.
run() {
	local sargs=() sink
	while [ "$1" != -- ]; do sargs+=("$1"); shift; done
	shift
	ip netns exec $S "$RF" sink "${sargs[@]}" --duration 8 --json >"$TMP/sink.json" &
	sink=$!
	PIDS+=("$sink")
	sleep 0.7
	ip netns exec $G "$RF" gen "$@" --json >"$TMP/gen.json" || echo '{}' >"$TMP/gen.json"
	wait "$sink"
}

MAC=$(ip -n $S -br link show s0 | awk '{print $3}')
run --bind 10.13.0.2:6000 --flows 7 --count 7000 -- --dst 10.13.0.2:6000 --dst-step 0 \
	--src 10.13.0.1:5000 --flows 7 --count 7000 --rate 50000
check "udp -> udp: 7000 sent" 'g["sent"] == 7000'
check "udp -> udp: 7000 received, 7 flows, no loss" \
	's["received"] == 7000 and s["flows_seen"] == 7 and s["lost"] == 0'
check "udp -> udp: latency measured" \
	's["latency_us"]["n"] == 7000 and s["latency_us"]["p99"] < 100000'

# Loss is seen as sequence gaps: a token bucket at 10 Mbit/s on the
# generator's side drops most of 50 kpps of 254-byte frames, in bursts.
ip netns exec $G tc qdisc add dev g0 root tbf rate 10mbit burst 20k latency 5ms
run --bind 10.13.0.2:6000 --flows 2 --duration 3 -- --dst 10.13.0.2:6000 --dst-step 0 \
	--src 10.13.0.1:5000 --flows 2 --count 20000 --rate 50000
ip netns exec $G tc qdisc del dev g0 root
check "loss: counted from sequence gaps" \
	's["lost"] > 0 and s["received"] > 0 and s["received"] + s["lost"] <= g["sent"]'

run --mode xdp --dev s0 --ports 6000-6100 --flows 50 --count 500000 -- --mode xdp --dev g0 \
	--dst-mac "$MAC" --dst 10.13.0.2:6000 --dst-step 2 --src 10.13.0.1:5000 --src-step 2 \
	--flows 50 --count 500000
check "xdp -> xdp: 500000 sent" 'g["sent"] == 500000'
check "xdp -> xdp: 500000 received over 50 flows on 50 ports, no loss" \
	's["received"] == 500000 and s["flows_seen"] == 50 and s["lost"] == 0'
check "xdp -> xdp: pps and latency" 's["pps"] > 0 and 0 < s["latency_us"]["p50"] < 10000'

run --bind 10.13.0.2:6000 --flows 3 --count 3000 -- --mode xdp --dev g0 --dst-mac "$MAC" \
	--dst 10.13.0.2:6000 --dst-step 0 --src 10.13.0.1:5000 --flows 3 --count 3000 --rate 20000
check "xdp -> udp: every frame reaches a socket" \
	's["received"] == 3000 and s["flows_seen"] == 3 and s["lost"] == 0'

# Threads: the flows split over 3 sending threads (udp) and 2 live-frames
# instances (xdp); every flow's count and sequence still exact.
run --bind 10.13.0.2:6000 --flows 6 --count 6000 -- --dst 10.13.0.2:6000 --dst-step 0 \
	--src 10.13.0.1:5000 --flows 6 --count 6000 --rate 60000 --threads 3
check "udp, 3 threads: 6000 sent and received over 6 flows, no loss, no reordering" \
	'g["sent"] == 6000 and g["threads"] == 3 and s["received"] == 6000 and s["flows_seen"] == 6 and s["lost"] == 0 and s["reordered"] == 0'
run --mode xdp --dev s0 --ports 6000-6100 --flows 10 --count 200000 -- --mode xdp --dev g0 \
	--dst-mac "$MAC" --dst 10.13.0.2:6000 --dst-step 2 --src 10.13.0.1:5000 --flows 10 \
	--count 200000 --threads 2
# Two CPUs filling one veth's ring at once can overflow it: what is missing
# must show as sequence gaps (but a lost last packet leaves none).
check "xdp, 2 threads: 200000 sent, 10 flows, >= 95 % received, gaps account for the rest" \
	'g["sent"] == 200000 and 190000 <= s["received"] <= 200000 and s["received"] + s["lost"] <= 200000 and s["flows_seen"] == 10'

# Rate per flow: 4 flows x 500 pps for 2 s is ~4000 packets at ~2000 pps.
run --bind 10.13.0.2:6000 --flows 4 --duration 4 -- --dst 10.13.0.2:6000 --dst-step 0 \
	--src 10.13.0.1:5000 --flows 4 --flow-rate 500 --duration 2
check "--flow-rate 500 x 4 flows: 3600-4400 packets at 1800-2200 pps" \
	'3600 <= s["received"] <= 4400 and 1800 <= s["pps"] <= 2200 and s["bps"] > 0'

# Reordering from the RTP sequence: every 5th packet swapped with the next
# of its flow (the generator's --reorder); nothing lost.
run --bind 10.13.0.2:6000 --flows 2 --count 2000 --per-flow -- --dst 10.13.0.2:6000 \
	--dst-step 0 --src 10.13.0.1:5000 --flows 2 --count 2000 --rate 20000 --reorder 5
check "reordering: ~1 in 5 packets counted as reordered, none lost" \
	'300 <= s["reordered"] <= 450 and s["lost"] == 0 and s["received"] == 2000'
check "--per-flow: each flow's received, lost and reordered" \
	'len(s["per_flow"]) == 2 and sum(f["received"] for f in s["per_flow"]) == 2000 and all(f["reordered"] > 0 for f in s["per_flow"])'

# Many flows: 200000 flows through the xdp sink (maps sized per run).
run --mode xdp --dev s0 --ports 6000-6000 --flows 200000 --count 400000 -- --mode xdp \
	--dev g0 --dst-mac "$MAC" --dst 10.13.0.2:6000 --dst-step 0 --src 10.13.0.1:5000 \
	--flows 200000 --count 400000
check "xdp, 200000 flows: every flow seen twice, no loss" \
	's["received"] == 400000 and s["flows_seen"] == 200000 and s["lost"] == 0'

# Absurd arguments: refused with exit 2 and a one-line reason, nothing sent.
refuse() {	# DESC ARGS...
	local desc=$1 out rc; shift
	out=$("$RF" "$@" 2>&1 >/dev/null); rc=$?
	if [ $rc -eq 2 ] && [ -n "$out" ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ]; then
		passes=$((passes + 1)); echo "ok - refuses $desc: $out"
	else
		fails=$((fails + 1)); echo "not ok - refuses $desc: exit $rc, '$out'"
	fi
}
refuse "a payload over the MTU" gen --dst 10.13.0.2:6000 --size 9000
refuse "a payload without room for the stamp" gen --dst 10.13.0.2:6000 --size 10
refuse "zero flows" gen --dst 10.13.0.2:6000 --flows 0
refuse "more flows than the maps hold" gen --dst 10.13.0.2:6000 --flows 99999999
refuse "a zero duration" gen --dst 10.13.0.2:6000 --duration 0
refuse "a duration over a day" gen --dst 10.13.0.2:6000 --duration 100000
refuse "a rate of 0" gen --dst 10.13.0.2:6000 --rate 0
refuse "both --rate and --flow-rate" gen --dst 10.13.0.2:6000 --rate 10 --flow-rate 10
refuse "a per-flow rate over 100 Mpps in all" gen --dst 10.13.0.2:6000 --flows 1000 --flow-rate 1000000
refuse "more threads than flows" gen --dst 10.13.0.2:6000 --flows 2 --threads 4
refuse "a port range past 65535" gen --dst 10.13.0.2:6000 --flows 40000 --dst-step 2
refuse "a payload type over 127" gen --dst 10.13.0.2:6000 --pt 200
refuse "a batch over 256" gen --dst 10.13.0.2:6000 --batch 1000
refuse "a bad mode" gen --dst 10.13.0.2:6000 --mode fast
refuse "gen without a destination" gen --flows 3
refuse "xdp gen without --dev" gen --mode xdp --dst 10.13.0.2:6000 --src 10.13.0.1:5000
refuse "an inverted port range" sink --mode xdp --dev s0 --ports 7000-6000
refuse "a sink with --threads" sink --bind 10.13.0.2:6000 --threads 2
refuse "a bad MAC" gen --mode xdp --dev g0 --dst 10.13.0.2:6000 --dst-mac 11:22
refuse "a stray argument" gen --dst 10.13.0.2:6000 now

# Stops by itself: no --count, --duration 1, exits within a few seconds.
t0=$(date +%s)
ip netns exec $S timeout 10 "$RF" sink --bind 10.13.0.2:6000 --duration 1 >/dev/null
rc=$?
t1=$(date +%s)
if [ $rc -eq 0 ] && [ $((t1 - t0)) -le 3 ]; then
	passes=$((passes + 1)); echo "ok - sink --duration 1 ends by itself ($((t1 - t0)) s)"
else
	fails=$((fails + 1)); echo "not ok - sink --duration 1: exit $rc after $((t1 - t0)) s"
fi

# Only the sink's ports count: of two flows (ports 6000, 6002) one is seen.
run --mode xdp --dev s0 --ports 6000-6000 --flows 2 --count 1000 -- --mode xdp --dev g0 \
	--dst-mac "$MAC" --dst 10.13.0.2:6000 --dst-step 2 --src 10.13.0.1:5000 --flows 2 \
	--count 2000
check "xdp sink counts only its ports" 's["received"] == 1000 and s["flows_seen"] == 1'

# The reference forwarder: G -> F (rtpflood fwd) -> S.
ip link del g0 2>/dev/null || ip -n $G link del g0
ip link add g0 netns $G type veth peer name f0 netns $F
ip link add f1 netns $F type veth peer name s0 netns $S
ip -n $G addr add 10.13.1.1/24 dev g0
ip -n $F addr add 10.13.1.2/24 dev f0
ip -n $F addr add 10.13.2.2/24 dev f1
ip -n $S addr add 10.13.2.1/24 dev s0
for l in "$G g0" "$F f0" "$F f1" "$S s0"; do set -- $l; ip -n $1 link set $2 up; done
ip netns exec $S ethtool -K s0 gro on >/dev/null
FMAC=$(ip -n $F -br link show f0 | awk '{print $3}')
SMAC=$(ip -n $S -br link show s0 | awk '{print $3}')
ip netns exec $F "$RF" fwd --dev f0 --out f1 --dst-mac "$SMAC" --ports 6000-6000 --duration 8 \
	--json >"$TMP/fwd.json" &
FWD=$!
PIDS+=("$FWD")
sleep 0.5
run --mode xdp --dev s0 --ports 6000-6000 --flows 4 --count 100000 -- --mode xdp --dev g0 \
	--dst-mac "$FMAC" --dst 10.13.2.1:6000 --dst-step 0 --src 10.13.1.1:5000 --src-step 2 \
	--flows 4 --count 100000
check "fwd: 100000 forwarded to the sink, no loss" \
	's["received"] == 100000 and s["flows_seen"] == 4 and s["lost"] == 0'
kill -TERM $FWD
wait $FWD
cp "$TMP/fwd.json" "$TMP/sink.json"
check "fwd: counts what it forwarded" 's["role"] == "fwd" and s["received"] == 100000'

echo "# $passes passed, $fails failed"
[ "$fails" -eq 0 ]
