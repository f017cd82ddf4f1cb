#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench/run.sh - the media benchmark (`make bench`): one testbed, every case,
# several rounds each, medians in one table.  RTP from a live-frames generator
# crosses a relay host to an XDP sink through
#   xdp     xrelayd --xdp (the kernel path)
#   user    the same daemon without --xdp (its userspace relay)
#   limit   the host's XDP limit: rtpflood fwd, a minimal XDP forwarder (fixed
#           MAC rewrite, TTL-1, redirect; no lookup)
#   plain   Linux routing (ip_forward=1), not in the default set
#   rtpengine  rtpengine-daemon in userspace, sessions over its ng protocol
#           (added by PEERS=1; the package is installed with apt-get then)
#   bleed   xrelayd --xdp relaying BLEED_PPS (100000) packets a second of
#           legitimate flows while a second live-frames generator, on the
#           other CPU, floods the same relay ports from wrong source ports
#           (RTP Bleed) at its full rate: XDP drops the flood; the share of
#           the legitimate rate that still arrives is the ratio shown
# for each FLOWS (RTP streams, each to side A's RTP or RTCP port of a relayed
# session: two a session; see "What xrelayd can hold") and PAYLOADS
# (UDP payload bytes: 12-byte RTP header + RTP payload; G.711 20 ms is 172).
# No pass/fail: it reports.  See bench/README.md for the figures and knobs.
#
#   gen (g)                        relay (r)                         sink (s)
#   eth0 10.12.1.2 ------- eth-g 10.12.1.1   eth-s 10.12.2.1 ------- eth0 10.12.2.2
#   rtpflood gen --mode xdp        xrelayd / rtpflood fwd / ...      rtpflood sink --mode xdp
#
# Environment: FLOWS ("1 1000 100000 1000000"), PAYLOADS ("172 64"),
# ROUNDS (3), DURATION (s per round, 5), CASES ("limit xdp user", run in
# that order each round; bleed on demand), BLEED_PPS (the bleed case's legitimate rate, 100000), PEERS=1
# (adds rtpengine), GEN_CPU (1), RESULTS (JSON file, default
# bench/results/media-<UTC time>.json), BPF_STATS=1 (the relay XDP program's
# ns per packet from kernel.bpf_stats_enabled; costs ~20-40 ns a packet, so
# the pps figures of such a run are lower), MAXPOINT=0 (no extra flow count at
# xrelayd's capacity), KEEP=DIR (keep the rounds' JSON and the relays' logs),
# SHUFFLE=1 (the generator visits the flows in a random order, not in the
# order the sessions were made), SESSIONS_MAX (xrelayd's --max-sessions, its admission cap;
# default the sessions of the largest FLOWS, at least 4096),
# PROFILE=1 (perf record, cpu-clock, of the generator's CPU during every XDP
# round, the top symbols printed; it costs throughput, so not for the table),
# PRIME=0 (no unmeasured pass over the flows before each kernel-path round).
set -u
. "$(dirname "$0")/../tests/e2e/lib.sh"

FLOWS=${FLOWS:-1 1000 100000 1000000}
PAYLOADS=${PAYLOADS:-172 64}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CASES=${CASES:-limit xdp user}
PEERS=${PEERS:-0}
GEN_CPU=${GEN_CPU:-1}
STAMP=$(date -u +%Y%m%dT%H%MZ)
RESULTS=${RESULTS:-$XR_ROOT/bench/results/media-$STAMP.json}
[ "$PEERS" = 1 ] && case " $CASES " in *" rtpengine "*) ;; *) CASES="$CASES rtpengine" ;; esac
G4=10.12.1.2 RG4=10.12.1.1 S4=10.12.2.2 RS4=10.12.2.1
GPORT=5000 SPORT=6000
PORT_LO=1024 PORT_HI=65535	# the relay's media ports: 32256 pairs per address
NG=127.0.0.1:2223

xr_need_root
for b in xrelayd xrelayctl rtpflood sessbench; do
	[ -x "$XR_BUILD/$b" ] || xr_die "$XR_BUILD/$b missing: run make"
done
command -v python3 >/dev/null || xr_die "python3 missing (make deps)"
# Private copies: a `make` elsewhere in the tree must not swap a binary mid-run.
mkdir -p "$XR_TMP/bin"
for b in xrelayd xrelayctl rtpflood sessbench; do cp "$XR_BUILD/$b" "$XR_TMP/bin/"; done
XR_BUILD=$XR_TMP/bin
RF=$XR_BUILD/rtpflood
[ "$GEN_CPU" -lt "$(nproc)" ] 2>/dev/null || GEN_CPU=0
FLOOD_CPU=$(( GEN_CPU == 0 ? 1 : 0 ))	# the bleed case's flood generator
# rtpengine: 4 sockets a call (RTP and RTCP on both sides); xrelayd shares its sockets.
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
for p in $PAYLOADS; do
	[ "$p" -ge 36 ] && [ "$p" -le 1412 ] 2>/dev/null ||
		xr_die "PAYLOADS: $p is not a UDP payload of 36-1412 bytes (RTP header + stamp)"
done
for f in $FLOWS; do
	[ "$f" -ge 1 ] && [ "$f" -le 2000000 ] 2>/dev/null || xr_die "FLOWS: $f is not 1-2000000"
done
for c in $CASES; do
	case $c in xdp|user|limit|plain|rtpengine|bleed) ;; *) xr_die "CASES: unknown case $c" ;; esac
done

# What xrelayd can hold.  A flow is one stream the generator sends: side A's
# RTP or RTCP port of a session (two a session), relayed to side B's party
# on the sink.  Each session side takes a port pair (--ports: CAP_PAIRS a
# relay address) from the pool of the --media address the route to its
# party leaves from, so sessions are made in groups: group g's side A faces
# the party 10.14.g.2 (the relay's 10.14.g.1 on eth-g; the generator
# sends from 10.12.1.2 and --latch any latches it) and its side B the sink's
# 10.15.g.2 (the relay's 10.15.g.1 on eth-s), at most CAP_PAIRS sessions a
# group.  xrelayd takes at most MAX_MEDIA (XR_MAX_MEDIA, daemon/config.h)
# --media addresses, so MAX_MEDIA / 2 groups: 16 x 32,256 = 516,096 sessions,
# 1,032,192 flows.  The kernel flow table has an
# entry for every --media address and --ports port (4 used a session: RTP
# and RTCP of each side); --max-sessions, the admission cap, is given as the
# most sessions FLOWS asks for.  xrelayd's media sockets are
# shared (one per --media address): the open-files limit counts only for
# rtpengine (CAP_FDS).
MAX_MEDIA=32
CAP_PAIRS=$(((PORT_HI - PORT_LO + 1 - (PORT_LO & 1)) / 2))
CAP_GROUPS=$((MAX_MEDIA / 2))
sessions_of() { echo $((($1 + 1) / 2)); }
groups_of() { echo $((($(sessions_of "$1") + CAP_PAIRS - 1) / CAP_PAIRS)); }
MAX_FLOWS=$(printf '%s\n' $FLOWS | sort -n | tail -1)
MAX_SESSIONS=$(sessions_of "$MAX_FLOWS")
[ "$MAX_SESSIONS" -gt $((CAP_GROUPS * CAP_PAIRS)) ] && MAX_SESSIONS=$((CAP_GROUPS * CAP_PAIRS))
[ "$MAX_SESSIONS" -lt 4096 ] && MAX_SESSIONS=4096
# SESSIONS_MAX: --max-sessions given instead (the table's size; at least what FLOWS needs)
[ -n "${SESSIONS_MAX:-}" ] && [ "$SESSIONS_MAX" -gt "$MAX_SESSIONS" ] 2>/dev/null &&
	MAX_SESSIONS=$SESSIONS_MAX
CAP_KERNEL=$((MAX_SESSIONS * 2))
CAP_PORTS=$((CAP_GROUPS * CAP_PAIRS * 2))
CAP_FDS=$(($(ulimit -n) / 4 - 64))
NGROUPS=$(groups_of "$MAX_FLOWS")
[ "$NGROUPS" -gt "$CAP_GROUPS" ] && NGROUPS=$CAP_GROUPS

# The most sessions every case can hold: when FLOWS asks for more, that many
# (rounded down to a hundred) is measured too, so the scaling of each case
# shows up to where it can go (MAXPOINT=0: not).
CAP_ALL=$CAP_PORTS
[ "$CAP_KERNEL" -lt "$CAP_ALL" ] && CAP_ALL=$CAP_KERNEL
case " $CASES " in
*" rtpengine "*) [ "$CAP_FDS" -lt "$CAP_ALL" ] && CAP_ALL=$CAP_FDS ;;
esac
if [ "${MAXPOINT:-1}" = 1 ] && [ "$CAP_ALL" -ge 100 ]; then
	for f in $FLOWS; do
		if [ "$f" -gt "$CAP_ALL" ]; then
			FLOWS=$(printf '%s\n' $FLOWS $((CAP_ALL / 100 * 100)) | sort -n | uniq | xargs)
			break
		fi
	done
fi

if [ "$PEERS" = 1 ] && ! command -v rtpengine >/dev/null; then
	xr_log "PEERS=1: installing rtpengine-daemon (apt-get)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		rtpengine-daemon >/dev/null 2>&1 ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends rtpengine-daemon >/dev/null 2>&1; } ||
		xr_log "rtpengine-daemon does not install: the rtpengine case is skipped"
fi

# ---- testbed ----------------------------------------------------------------
for h in g r s; do xr_ns_add $h; done
xr_link g eth0 r eth-g
xr_link s eth0 r eth-s
xr_addr g eth0 $G4/24
xr_addr r eth-g $RG4/24
xr_addr r eth-s $RS4/24
xr_addr s eth0 $S4/24
xr_ns g ip route add default via $RG4
xr_ns s ip route add default via $RS4
xr_ns r sysctl -qw net.ipv4.ip_forward=0
# Frames XDP sends into a veth need NAPI on the far end (DESIGN.md, Testbeds).
xr_ns r ethtool -K eth-g gro on >/dev/null
xr_ns s ethtool -K eth0 gro on >/dev/null
xr_ns g ethtool -K eth0 gro on >/dev/null
# Full checksums from the warm-up's sockets (lib.sh: CHECKSUM_PARTIAL and XDP).
xr_ns g ethtool -K eth0 tx off >/dev/null 2>&1
xr_ns s ethtool -K eth0 tx off >/dev/null 2>&1
# The relay addresses of the session groups (see "What xrelayd can hold").
for g in $(seq 0 $((NGROUPS - 1))); do
	xr_addr r eth-g 10.14.$g.1/24
	xr_addr r eth-s 10.15.$g.1/24
	xr_addr s eth0 10.15.$g.2/24
done
xr_ns g ping -c1 -W1 -q $RG4 >/dev/null || xr_die "gen cannot reach the relay"
xr_ns s ping -c1 -W1 -q $RS4 >/dev/null || xr_die "sink cannot reach the relay"
RMAC=$(ip -n "${XR_PFX}r" -br link show eth-g | awk '{print $3}')
SMAC=$(ip -n "${XR_PFX}s" -br link show eth0 | awk '{print $3}')
: >"$XR_TMP/rounds.jsonl"
: >"$XR_TMP/notes.jsonl"

# note CASE FLOWS TEXT : a case not measured (or a remark), into the report.
note() {
	grep -qF "\"case\": \"$1\", \"flows\": $2," "$XR_TMP/notes.jsonl" && return 0
	xr_log "$1, $2 flows: $3"
	python3 -c 'import json,sys; print(json.dumps({"case": sys.argv[1], "flows": int(sys.argv[2]), "note": sys.argv[3]}))' \
		"$1" "$2" "$3" >>"$XR_TMP/notes.jsonl"
}

# busy_ticks : busy jiffies of all CPUs so far (user nice system irq softirq steal).
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
# proc_ticks PID : utime + stime of a process (0 without one).
proc_ticks() { [ -n "${1:-}" ] && awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# prog_stats : "run_time_ns run_cnt" of the XDP program on the relay's eth-g.
prog_stats() {
	local id
	id=$(ip -n "${XR_PFX}r" -j -d link show eth-g | python3 -c '
import json, sys
print(json.load(sys.stdin)[0].get("xdp", {}).get("prog", {}).get("id", ""))')
	[ -n "$id" ] || { echo "0 0"; return; }
	bpftool -j prog show id "$id" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d.get("run_time_ns", 0), d.get("run_cnt", 0))'
}

# round CASE FLOWS PAYLOAD N RELAY-PID GEN-ARGS... : one measured round: the
# XDP sink on s/eth0, the live-frames generator pinned to GEN_CPU for
# DURATION seconds, CPU counted around it; one JSON line into rounds.jsonl.
round() {
	local c=$1 f=$2 p=$3 n=$4 rpid=$5 sink b0 b1 r0 r1 t0 n0 t1 n1 ns=0 was perfpid flood=; shift 5
	local tag="$c-$f-$p-$n"
	# PRIME (1): the kernel-path cases (limit, xdp) first get one packet a
	# flow at full speed, not measured (the sink is not up: the kernel
	# drops them), so that a round measures flows that are already
	# flowing, as a carrier's are: each xdp flow's per-CPU slot and
	# next-hop cache are then of this 8.6 s window (XR_NH_STAMP), as they
	# stay while media flows, not of the warm-up's, tens of seconds before
	# at a million flows.  Not for the userspace relay: the pass would
	# still sit in its socket queues when the round starts.
	if [ "${PRIME:-1}" = 1 ] && { [ "$c" = xdp ] || [ "$c" = limit ]; }; then
		xr_ns g taskset -c "$GEN_CPU" "$RF" gen --mode xdp --dev eth0 --dst-mac "$RMAC" \
			--src $G4:$GPORT --flows "$f" --size $((p - 12)) --count "$f" \
			--duration 60 "$@" >/dev/null 2>"$XR_TMP/$tag.prime.err" ||
			xr_die "$tag: priming failed: $(cat "$XR_TMP/$tag.prime.err")"
	fi
	xr_bg s "$XR_TMP/$tag.sink.json" "$RF" sink --mode xdp --dev eth0 \
		--ports $SPORT-$((SPORT + 1)) --flows "$f" --duration $((DURATION + 60)) --json
	sink=$XR_LAST_PID
	# the sink is up when its program is on eth0 (a million flows take a moment)
	for _ in $(seq 1 100); do
		ip -n "${XR_PFX}s" -d link show eth0 | grep -q 'prog/xdp' && break
		sleep 0.1
	done
	if [ "${BPF_STATS:-0}" = 1 ] && [ "$c" != user ]; then
		was=$(sysctl -n kernel.bpf_stats_enabled)
		sysctl -qw kernel.bpf_stats_enabled=1
		read -r t0 n0 < <(prog_stats)
	fi
	perfpid=
	if [ "${PROFILE:-0}" = 1 ] && [ "$c" != user ] && command -v perf >/dev/null; then
		# software clock sampling (no PMU in a VM) of the generator's CPU,
		# where the whole chain runs in softirq; from a second in, when
		# the generator has read its flows (half a million lines: ~1 s)
		( sleep 1; exec perf record -q -e cpu-clock -F 4999 -a -C "$GEN_CPU" -g \
			-o "$XR_TMP/$tag.perf" -- sleep $((DURATION > 2 ? DURATION - 1 : 1)) \
			>/dev/null 2>&1 ) &
		perfpid=$!
	fi
	if [ "$c" = bleed ]; then
		# the flood: the same destinations from the source port of the next
		# flow (wrong for every relay port), on the other CPU, full rate
		xr_bg g "$XR_TMP/$tag.flood.json" taskset -c "$FLOOD_CPU" "$RF" gen --mode xdp \
			--dev eth0 --dst-mac "$RMAC" --src $G4:$((GPORT + 1)) --flows "$f" \
			--size $((p - 12)) --duration $((DURATION + 2)) --json "$@"
		flood=$XR_LAST_PID
		sleep 0.5
	fi
	local legit=()
	[ "$c" = bleed ] && legit=(--rate "${BLEED_PPS:-100000}")
	b0=$(busy_ticks) r0=$(proc_ticks "$rpid")
	xr_ns g taskset -c "$GEN_CPU" "$RF" gen --mode xdp --dev eth0 --dst-mac "$RMAC" \
		--src $G4:$GPORT --flows "$f" --size $((p - 12)) --duration "$DURATION" \
		--json "$@" ${legit[@]+"${legit[@]}"} >"$XR_TMP/$tag.gen.json" \
		2>"$XR_TMP/$tag.gen.err" ||
		xr_die "$tag: generator failed: $(cat "$XR_TMP/$tag.gen.err")"
	b1=$(busy_ticks) r1=$(proc_ticks "$rpid")
	if [ "${BPF_STATS:-0}" = 1 ] && [ "$c" != user ]; then
		read -r t1 n1 < <(prog_stats)
		sysctl -qw kernel.bpf_stats_enabled="$was"
		[ "$n1" -gt "$n0" ] && ns=$(((t1 - t0) / (n1 - n0)))
	fi
	if [ -n "$perfpid" ]; then
		wait "$perfpid"
		xr_log "$tag: perf (cpu-clock, CPU $GEN_CPU), symbols over 1 %:"
		perf report -i "$XR_TMP/$tag.perf" --stdio --no-children --sort sym -g none \
			--percent-limit 1 2>/dev/null | grep -E '^ +[0-9]' | head -40 | sed 's/^/#   /'
	fi
	if [ -n "$flood" ]; then
		kill -TERM "$flood" 2>/dev/null
		wait "$flood"
		xr_log "$tag: the wrong-source flood: $(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print("%d sent, %.0f pps" % (d["sent"], d["pps"]))' "$XR_TMP/$tag.flood.json" 2>/dev/null)"
	fi
	sleep 0.3	# what is still queued arrives (the userspace relay's queues)
	kill -TERM "$sink"
	wait "$sink" || xr_die "$tag: sink failed: $(cat "$XR_TMP/$tag.sink.json")"
	python3 - "$XR_TMP/$tag" "$c" "$f" "$p" "$n" $((b1 - b0)) $((r1 - r0)) \
		"$(getconf CLK_TCK)" "$ns" >>"$XR_TMP/rounds.jsonl" <<'EOF' || xr_die "$tag: bad JSON"
import json, sys
tag, c, f, p, n, busy, relay, hz, ns = sys.argv[1:]
g = json.load(open(tag + ".gen.json"))
s = json.load(open(tag + ".sink.json"))
hz = float(hz)
rx = s["received"]
print(json.dumps({
    "case": c, "flows": int(f), "payload": int(p), "round": int(n),
    "offered_pps": g["pps"], "pps": s["pps"], "sent": g["sent"], "received": rx,
    "loss_pct": 100.0 * max(g["sent"] - rx, 0) / g["sent"] if g["sent"] else 0.0,
    "seq_lost": s["lost"], "reordered": s["reordered"], "flows_seen": s["flows_seen"],
    "lat_p50_us": s["latency_us"]["p50"], "lat_p99_us": s["latency_us"]["p99"],
    "cpu_ms_per_mpkt": 1000.0 * int(busy) / hz / (rx / 1e6) if rx else None,
    "relay_cpu_ms_per_mpkt": 1000.0 * int(relay) / hz / (rx / 1e6) if rx and int(relay) else None,
    "xdp_ns_per_pkt": int(ns) or None,
}))
EOF
	tail -n 1 "$XR_TMP/rounds.jsonl" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print("# %(case)s %(flows)d flows %(payload)d B round %(round)d: %(pps).0f pps relayed of %(offered_pps).0f offered, loss %(loss_pct).2f %%, p50/p99 %(lat_p50_us).0f/%(lat_p99_us).0f us, %(flows_seen)d flows seen" % r)'
}

# rounds CASE FLOWS RELAY-PID GEN-ARGS... : round $ROUND of each payload.
rounds() {
	local c=$1 f=$2 rpid=$3 p; shift 3
	for p in $PAYLOADS; do round "$c" "$f" "$p" "$ROUND" "$rpid" "$@"; done
}

# warmup FLOWS : one packet per flow at 50 kpps so every side A latches (the
# first packet of a flow goes through the daemon), then a second pass.
warmup() {
	local f=$1
	xr_ns g "$RF" gen --mode udp --src $G4:$GPORT --dst-file "$XR_TMP/dsts" --flows "$f" \
		--count $((f * 2)) --rate 50000 --duration $((f / 20000 + 10)) >/dev/null ||
		xr_die "warm-up failed"
	sleep 1
}

# make_sessions CASE FLOWS : the sessions of FLOWS streams, spread evenly over
# the groups it needs (one build/sessbench run a group); dsts gets side A's
# RTP and RTCP port of each, FLOWS lines.  Returns 1 (after a note) on a
# failure.
make_sessions() {
	local c=$1 f=$2 n ng g k out secs=0 made=0 err=null
	n=$(sessions_of "$f") ng=$(groups_of "$f")
	: >"$XR_TMP/dsts"
	for g in $(seq 0 $((ng - 1))); do
		k=$(((n + g) / ng))	# n split in ng nearly equal parts
		out=$("$XR_BUILD/sessbench" -s "$XR_CTL" -o "$XR_TMP/dsts.$g" "$k" \
			10.14.$g.2:$GPORT 10.15.$g.2:$SPORT)
		xr_log "sessions, group $g: $out"
		read -r secs made err < <(python3 -c '
import json, sys
d = json.loads(sys.argv[1])
print(round(float(sys.argv[2]) + d["seconds"], 3), int(sys.argv[3]) + d["created"],
      json.dumps(d["error"]).replace(" ", "_"))' "$out" "$secs" "$made")
		awk -F: '{ print $1 ":" $2; print $1 ":" $2 + 1 }' "$XR_TMP/dsts.$g" >>"$XR_TMP/dsts"
		[ "$err" = null ] || break
	done
	python3 -c 'import json,sys; print(json.dumps({"case": sys.argv[1], "flows": int(sys.argv[2]), "sessions": int(sys.argv[3]), "groups": int(sys.argv[4]), "setup_s": float(sys.argv[5]), "created": int(sys.argv[6]), "error": json.loads(sys.argv[7].replace("_", " "))}))' \
		"$c" "$f" "$n" "$ng" "$secs" "$made" "$err" >>"$XR_TMP/setup.jsonl"
	xr_log "$made of $n sessions in $secs s ($ng group(s))"
	if [ "$made" -ne "$n" ]; then
		note "$c" "$f" "not measured: session setup failed: $err"
		return 1
	fi
	# SHUFFLE=1: the generator visits the flows in a random order (fixed for
	# the run), not in the order the sessions (and their stats slots) were made
	if [ "${SHUFFLE:-0}" = 1 ]; then
		head -n "$f" "$XR_TMP/dsts" | shuf --random-source=<(yes) >"$XR_TMP/dsts.all"
	else
		head -n "$f" "$XR_TMP/dsts" >"$XR_TMP/dsts.all"
	fi
	mv "$XR_TMP/dsts.all" "$XR_TMP/dsts"
}

# xrelay_case CASE FLOWS : xrelayd with or without --xdp, the sessions of
# FLOWS streams, rounds.
xrelay_case() {
	local c=$1 f=$2 cap why
	cap=$CAP_PORTS why="$CAP_GROUPS groups of 2 --media addresses (xrelayd takes $MAX_MEDIA), $CAP_PAIRS port pairs an address ($PORT_LO-$PORT_HI), 2 flows a session"
	if [ "$c" != user ] && [ "$CAP_KERNEL" -lt "$cap" ]; then
		cap=$CAP_KERNEL
		why="--max-sessions $MAX_SESSIONS"
	fi
	if [ "$f" -gt "$cap" ]; then
		note "$c" "$f" "not measured: xrelayd holds at most $cap flows here ($why): $(sessions_of "$f") sessions need $((($(sessions_of "$f") + CAP_PAIRS - 1) / CAP_PAIRS * 2)) --media addresses"
		return
	fi
	xr_log "case $c: xrelayd$([ "$c" != user ] && echo " --xdp eth-g --xdp eth-s"), $f flows, $(sessions_of "$f") sessions"
	if [ "$c" != user ]; then
		xr_daemon_start "${DAEMON_ARGS[@]}" --xdp eth-g --xdp eth-s
	else
		xr_daemon_start "${DAEMON_ARGS[@]}"
	fi
	grep -m1 -i "bytes" "$XR_TMP/xrelayd.log" | sed 's/^/# xrelayd: /'
	if ! make_sessions "$c" "$f"; then
		xr_daemon_stop
		return
	fi
	xr_log "xrelayd with $(sessions_of "$f") sessions: $(awk '/^VmRSS/ { print $2 / 1024 " MiB resident" }' \
		"/proc/$XR_DAEMON_PID/status"), $(free -m | awk '/^Mem/ { print $3 " MiB used on the host" }')"
	warmup "$f"
	rounds "$c" "$f" "$XR_DAEMON_PID" --dst-file "$XR_TMP/dsts"
	if [ "$c" != user ]; then
		xr_ctl --json stats >"$XR_TMP/stats.json" 2>/dev/null
		xr_log "kernel counters: $(python3 -c '
import json, sys
k = json.load(open(sys.argv[1])).get("kernel", {})
print(" ".join("%s=%s" % (n, v) for n, v in k.items() if v) or "none")' "$XR_TMP/stats.json" 2>/dev/null)"
	fi
	xr_daemon_stop || xr_log "xrelayd exit status $?"
}

# rtpengine_case FLOWS : rtpengine (userspace, no kernel module) in the relay.
rtpengine_case() {
	local f=$1 pid out i
	if ! command -v rtpengine >/dev/null; then
		note rtpengine "$f" "not measured: rtpengine-daemon is not installed"
		return
	fi
	# RTP and RTCP on each side: 2 ports per interface per call, 4 sockets.
	if [ "$f" -gt $(((PORT_HI - PORT_LO) / 2)) ] || [ "$f" -gt "$CAP_FDS" ]; then
		note rtpengine "$f" "not measured: more calls than $PORT_LO-$PORT_HI (2 ports a call a side) or RLIMIT_NOFILE $(ulimit -n) (4 sockets a call) hold"
		return
	fi
	xr_log "case rtpengine: rtpengine-daemon, $f calls over ng"
	xr_bg r "$XR_TMP/rtpengine.log" rtpengine --foreground --log-stderr --table=-1 \
		--interface=a/$RG4 --interface=b/$RS4 --listen-ng=$NG --port-min=$PORT_LO \
		--port-max=$PORT_HI --timeout=600 --silent-timeout=600 --delete-delay=0 \
		--pidfile="$XR_TMP/rtpengine.pid" --no-redis-required 2>/dev/null
	pid=$XR_LAST_PID
	for i in $(seq 1 50); do
		xr_ns r python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(0.2); h,p=sys.argv[1].split(":"); s.sendto(b"x d7:command4:pinge",(h,int(p))); s.recv(100)' \
			"$NG" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || { tail -5 "$XR_TMP/rtpengine.log"; xr_die "rtpengine exited"; }
		sleep 0.2
	done
	out=$(xr_ns r python3 "$XR_ROOT/bench/sessions.py" rtpengine "$NG" "$f" $G4:$GPORT \
		$S4:$SPORT "$XR_TMP/dsts")
	xr_log "sessions: $out"
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(json.dumps({"case": "rtpengine", "flows": d["wanted"], "setup_s": d["seconds"], "created": d["created"], "error": d["error"]}))' \
		"$out" >>"$XR_TMP/setup.jsonl"
	if [ "$(wc -l <"$XR_TMP/dsts")" -eq "$f" ]; then
		warmup "$f"
		rounds rtpengine "$f" "$pid" --dst-file "$XR_TMP/dsts"
	else
		note rtpengine "$f" "not measured: session setup failed: $out"
	fi
	kill -TERM "$pid"
	for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

DAEMON_ARGS=(--sip 127.0.0.1:5060 --media-timeout 0 --latch any
	--max-sessions "$MAX_SESSIONS" --max-media-sessions "$MAX_SESSIONS" --ports $PORT_LO-$PORT_HI)
for g in $(seq 0 $((NGROUPS - 1))); do DAEMON_ARGS+=(--media 10.14.$g.1 --media 10.15.$g.1); done
: >"$XR_TMP/setup.jsonl"
xr_log "testbed up: flows [$FLOWS], payloads [$PAYLOADS] B, cases [$CASES], $ROUNDS" \
	"rounds of ${DURATION}s, generator on CPU $GEN_CPU; xrelayd capacity: kernel" \
	"$CAP_KERNEL flows ($MAX_SESSIONS sessions), ports $CAP_PORTS flows ($NGROUPS group(s) of" \
	"addresses), rtpengine fds $CAP_FDS"

# Rounds interleave the cases (round 1 of each case, then round 2 of each...)
# so that a noisy stretch of a shared machine spreads over all of them; each
# case starts afresh every round (daemon, sessions, warm-up).  The limit runs
# just before xdp (the default order), and report.py takes each ratio round
# by round (xdp round n over limit round n, the median of those), so that a
# ratio compares rounds minutes apart, not the medians of the whole run.
for f in $FLOWS; do
	for ROUND in $(seq 1 "$ROUNDS"); do
	for c in $CASES; do
		case $c in
		xdp|user)
			xrelay_case "$c" "$f"
			;;
		bleed)
			if [ "$(nproc)" -lt 2 ]; then
				note bleed "$f" "not measured: the flood needs a CPU of its own"
			else
				xrelay_case bleed "$f"
			fi
			;;
		limit)
			xr_log "case limit: rtpflood fwd on the relay (eth-g -> eth-s, no lookups), $f flows"
			xr_bg r "$XR_TMP/limit.fwd.json" "$RF" fwd --dev eth-g --out eth-s \
				--dst-mac "$SMAC" --ports $SPORT-$SPORT --duration 86400 --json
			fwd=$XR_LAST_PID
			sleep 0.5
			rounds limit "$f" "" --dst $S4:$SPORT --dst-step 0
			kill -TERM "$fwd"
			wait "$fwd" || xr_die "rtpflood fwd failed: $(cat "$XR_TMP/limit.fwd.json")"
			;;
		plain)
			xr_log "case plain: Linux routing, ip_forward=1 on the relay, $f flows"
			xr_ns r sysctl -qw net.ipv4.ip_forward=1
			xr_ns r ping -c1 -W1 -q $S4 >/dev/null
			rounds plain "$f" "" --dst $S4:$SPORT --dst-step 0
			xr_ns r sysctl -qw net.ipv4.ip_forward=0
			;;
		rtpengine)
			rtpengine_case "$f"
			;;
		esac
	done
	done
done

# ---- report -------------------------------------------------------------------
# KEEP=DIR: every round's generator and sink JSON and the relays' logs kept there.
[ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp -r "$XR_TMP"/. "$KEEP"/ 2>/dev/null
mkdir -p "$(dirname "$RESULTS")"
python3 "$XR_ROOT/bench/report.py" media "$XR_TMP/rounds.jsonl" "$XR_TMP/notes.jsonl" \
	"$XR_TMP/setup.jsonl" "$RESULTS" "flows=$FLOWS" "payloads=$PAYLOADS" "rounds=$ROUNDS" \
	"duration=$DURATION" "gen_cpu=$GEN_CPU" "prime=${PRIME:-1}" "xr_flows_max=$((MAX_SESSIONS * 4))" || xr_die "report failed"
mkdir -p "$XR_ROOT/${OUT:-build}/bench" 2>/dev/null && cp "$RESULTS" "$XR_ROOT/${OUT:-build}/bench/results.json" 2>/dev/null
exit 0
