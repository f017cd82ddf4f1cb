#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench/sip.sh - the signalling benchmark (`make bench-sip`): SIPp UAC ->
# proxy -> SIPp UAS in network namespaces, for each seed flow of DESIGN.md
#   simple    INVITE (SDP) / 100 / 180 / 200 (SDP) / ACK / hold / BYE / 200
#   fork      to an AOR with two registered contacts: one rings and answers,
#             the other rings and is CANCELled (200, 487, ACK)
#   reinvite  a simple call plus a re-INVITE with a new offer (port, codec)
# at stepped call rates, each step SECS seconds of calls held HOLD ms; a step
# passes when every call succeeded (SIPp exit 0, 0 failed calls).  Reported:
# the highest rate that passed, the setup latency (INVITE to 200 at the
# caller, SIPp's response time 1) percentiles at that rate, and the proxy's
# CPU per call.  The proxy is xrelayd (proxy + registrar, media anchored by
# it) and, with PEERS=1, on the same runs: Kamailio with bench/kamailio.cfg
# (signalling only) and Kamailio + rtpengine (the same config with
# -A WITH_RTPENGINE: media anchored by rtpengine, the same job as xrelayd);
# PEER_PKGS are installed with apt-get then.  It reports; nothing passes or
# fails.
#
#   caller a 10.11.1.2 --- 10.11.1.1 proxy 10.11.2.1 --- 10.11.2.2 callee(s) b
#
# Environment: SIP_FLOWS ("simple fork reinvite"), RATES (calls/s, ascending;
# default "250 500 1000 1500 2000 2500 3000 3500 4000 5000 6000 7000 8000"), SECS (5), HOLD
# (ms, 1000), PEERS=1 (adds kamailio and kamailio+rtpengine), PROXIES (instead:
# e.g. "xrelayd kamailio+rtpengine"),
# RESULTS (default bench/results/sip-<UTC time>.json), GAP (s between steps, 2),
# ALL_RATES=1 (go on after a failed step; default: stop the flow there),
# KEEP=DIR (keep every step's SIPp logs and the proxy's log there), PROFILE=1
# (perf record -e cpu-clock -g of the proxy during each step: top symbols and
# bench/perf_where.py's table of where the microseconds go, per call and per
# message, printed).  For xrelayd each step also records the SIP messages it
# read and sent per call (xrelayctl stats) and its resident size, with how much
# it grew per call over the step (rss_mb, rss_grew_kb_per_call).
# SIPP_BUF (the SIPp endpoints' socket buffers, bytes; 4 MB as the proxies').
# PREALLOC (xrelayd --prealloc-transactions N, default 0: the pools grow as
# the ramp needs them).
set -u
. "$(dirname "$0")/../tests/e2e/lib.sh"

SIP_FLOWS=${SIP_FLOWS:-simple fork reinvite}
RATES=${RATES:-250 500 1000 1500 2000 2500 3000 3500 4000 5000 6000 7000 8000}
SECS=${SECS:-5}
HOLD=${HOLD:-1000}
GAP=${GAP:-2}
PEERS=${PEERS:-0}
PROXIES=${PROXIES:-xrelayd$([ "$PEERS" = 1 ] && echo " kamailio kamailio+rtpengine")}
# The peers' Debian packages (bench only: no test needs them); Kamailio's
# rtpengine module is in the kamailio package itself.
PEER_PKGS="kamailio rtpengine-daemon"
STAMP=$(date -u +%Y%m%dT%H%MZ)
RESULTS=${RESULTS:-$XR_ROOT/bench/results/sip-$STAMP.json}
SCEN=$XR_ROOT/bench/sipp
UAC_PORT=5070
# The SIPp endpoints' socket buffers (SO_RCVBUF/SO_SNDBUF), as the proxies'
# (4 MB): with the default 208 KB the caller's socket overflowed while its
# one thread waited for a core (2,735 datagrams dropped in a 2,000 calls/s
# step with xrelayd), and the figures measured SIPp, not the proxy.
SIPP_BUF=${SIPP_BUF:-4194304}
# xrelayd's --prealloc-transactions (0: as deployed by default, the pools
# grow with the ramp and their first-touched memory is paid inside the
# steps, as Kamailio's shared memory is without shm_force_alloc).
PREALLOC=${PREALLOC:-0}

xr_need_root
command -v sipp >/dev/null || xr_skip "sipp (sip-tester) missing: make deps"
command -v python3 >/dev/null || xr_skip "python3 missing: make deps"
[ -x "$XR_BUILD/xrelayd" ] || xr_die "$XR_BUILD/xrelayd missing: run make"
mkdir -p "$XR_TMP/bin"
for b in xrelayd xrelayctl; do cp "$XR_BUILD/$b" "$XR_TMP/bin/"; done
XR_BUILD=$XR_TMP/bin
for f in $SIP_FLOWS; do
	case $f in simple|fork|reinvite) ;; *) xr_die "SIP_FLOWS: unknown flow $f" ;; esac
done
for r in $RATES; do
	[ "$r" -ge 1 ] && [ "$r" -le 100000 ] 2>/dev/null || xr_die "RATES: $r is not 1-100000"
done
[ "$SECS" -ge 1 ] && [ "$SECS" -le 3600 ] 2>/dev/null || xr_die "SECS: 1-3600"
[ "$HOLD" -ge 0 ] && [ "$HOLD" -le 600000 ] 2>/dev/null || xr_die "HOLD: 0-600000 ms"
for p in $PROXIES; do
	case $p in xrelayd|kamailio|kamailio+rtpengine) ;; *) xr_die "PROXIES: unknown proxy $p" ;; esac
done
if [[ " $PROXIES " == *" kamailio"* ]]; then
	missing=$(for p in $PEER_PKGS; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q 'ok installed' || echo "$p"; done)
	if [ -n "$missing" ]; then
		xr_log "PEERS=1: installing" $missing "(apt-get)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			$missing >/dev/null 2>&1 ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y \
				-qq --no-install-recommends $missing >/dev/null 2>&1; } ||
			xr_log "$missing: does not install: those runs are skipped"
	fi
fi
# a socket per held call's media (4 with the relay anchoring it), and SIPp's
ulimit -n "$(ulimit -Hn)" 2>/dev/null

xr_topology
: >"$XR_TMP/steps.jsonl"
PROXY_PID=
RTPE_PID=

# kamailio_start [kamailio args] : Kamailio in the relay host, tuned as
# bench/kamailio.cfg's header says; its PID in PROXY_PID.
kamailio_start() {
	mkdir -p "$XR_TMP/kam"
	sed "s/XR_LISTEN_A/$RA4/; s/XR_LISTEN_B/$RB4/" "$XR_ROOT/bench/kamailio.cfg" \
		>"$XR_TMP/kam/kamailio.cfg"
	xr_bg r "$XR_TMP/kamailio.log" kamailio -f "$XR_TMP/kam/kamailio.cfg" -DD -E \
		-m 4096 -M 32 -x tlsf -b 4194304 -Y "$XR_TMP/kam" -P "$XR_TMP/kam/kamailio.pid" \
		-w "$XR_TMP/kam" "$@"
	PROXY_PID=$XR_LAST_PID
	local i
	for i in $(seq 1 50); do
		ss -N "${XR_PFX}r" -uln 2>/dev/null | grep -q "$RB4:5060" && break
		kill -0 "$PROXY_PID" 2>/dev/null ||
			{ tail -20 "$XR_TMP/kamailio.log"; xr_die "kamailio exited at start"; }
		sleep 0.1
	done
	sleep 0.5	# its children are forked after the sockets are bound
}

# rtpengine_start : rtpengine in the relay host (userspace forwarding: no
# kernel module here), interface "a" on the caller side, "b" on the callee
# side, the ng control protocol on 127.0.0.1:2223; its PID in RTPE_PID.
# Media ports 10000-60000: never 5060 (rtpengine binds with SO_REUSEADDR, as
# Kamailio does, so a media port of 5060 took the SIP of the callee side).
rtpengine_start() {
	xr_bg r "$XR_TMP/rtpengine.log" rtpengine --config-file=none -f -E -L "${RTPE_LOG:-3}" \
		-i "a/$RA4" -i "b/$RB4" -n 127.0.0.1:2223 -m 10000 -M 60000 --table=-1 \
		--delete-delay=0 --num-threads=2 -p "$XR_TMP/rtpengine.pid"
	RTPE_PID=$XR_LAST_PID
	local i
	for i in $(seq 1 50); do
		ss -N "${XR_PFX}r" -uln 2>/dev/null | grep -q "127.0.0.1:2223" && return 0
		kill -0 "$RTPE_PID" 2>/dev/null ||
			{ tail -20 "$XR_TMP/rtpengine.log"; xr_die "rtpengine exited at start"; }
		sleep 0.1
	done
	xr_die "rtpengine: no ng socket after 5 s"
}

# stop_pid PID : SIGTERM, SIGKILL after 5 s, reaped.
stop_pid() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	local i
	for i in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# proxy_start NAME : xrelayd or kamailio in the relay host, on both sides.
proxy_start() {
	case $1 in
	xrelayd)
		# the widest port range: a held call takes a pair on each side; the
		# one SIPp host is the whole load: no per-source rate limit.
		# --max-transactions sized for the load, as README "Limits" says: a
		# call leaves ~4 transactions for up to 32 s each (RFC 3261 Timers
		# J, L, M), ~100 transaction-seconds, so the default 50,000 admits
		# ~500 calls/s sustained; at the default the steps above ~2,500
		# calls/s (and lower ones soon after a busy step) were refused with
		# stateless 503s and measured the limit, not the proxy.
		xr_daemon_start --sip $RA4:5060 --sip $RB4:5060 --domain example.com \
			--media $RA4 --media $RB4 --media-timeout 0 --ports 1024-65535 \
			--max-transactions 1000000 --max-calls 100000 \
			--prealloc-transactions "$PREALLOC" \
			--pike-rate 0 --trusted 10.11.0.0/16	# the SIPp hosts are trunks: no digest
		PROXY_PID=$XR_DAEMON_PID
		;;
	kamailio) kamailio_start ;;
	kamailio+rtpengine)
		rtpengine_start
		kamailio_start -A WITH_RTPENGINE
		;;
	esac
}

proxy_stop() {
	case $1 in
	xrelayd) xr_daemon_stop || xr_log "xrelayd exit status $?" ;;
	kamailio*)
		stop_pid "$PROXY_PID"
		stop_pid "$RTPE_PID"
		RTPE_PID=
		;;
	esac
	PROXY_PID=
}

# proxy_msgs : SIP messages xrelayd read and sent so far (its transport
# counters); empty for the other proxies.
proxy_msgs() {
	[ "$PROXY" = xrelayd ] || return 0
	xr_ctl --json stats 2>/dev/null | python3 -c '
import json, sys
t = json.load(sys.stdin)["sip"]["transport"]
print(t["rx_msgs"] + t["tx_msgs"])' 2>/dev/null
}

# proxy_rss : xrelayd's resident size in KB (VmRSS); empty for the other
# proxies (their shared memory is counted in every process that touched it).
# Its growth over a step is memory touched for the first time: new pool
# slabs and heap, the records the step's calls keep for RFC 3261's timers.
proxy_rss() {
	[ "$PROXY" = xrelayd ] && [ -n "$PROXY_PID" ] || return 0
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$PROXY_PID/status" 2>/dev/null
}

# proxy_ticks : user+system clock ticks of the proxy and its child processes
# (and of rtpengine's, when it runs); proxy_pids : their PIDs, comma-separated.
proxy_ticks() { proxy_procs ticks; }
proxy_pids() { proxy_procs pids; }
proxy_procs() {
	python3 - "$PROXY_PID $RTPE_PID" "$1" <<'EOF'
import os, sys
roots = set(sys.argv[1].split())
procs = {}
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            st = open("/proc/%s/stat" % p).read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        procs[p] = (st[1], int(st[11]) + int(st[12]))
want, total = set(roots), 0
changed = True
while changed:
    changed = False
    for p, (pp, _) in procs.items():
        if pp in want and p not in want:
            want.add(p)
            changed = True
if sys.argv[2] == "pids":
    print(",".join(sorted(p for p in want if p in procs)))
else:
    print(sum(procs[p][1] for p in want if p in procs))
EOF
}

# sipp_run HOST NAME SECONDS ARGS... : a SIPp to completion in its own
# directory (its -trace_rtt file lands there); bounded by -timeout and timeout(1).
sipp_run() {
	local host=$1 name=$2 secs=$3; shift 3
	mkdir -p "$XR_TMP/$name"
	(cd "$XR_TMP/$name" && timeout -k 5 $((secs + 15)) ip netns exec "${XR_PFX}$host" \
		sipp -nostdin -timeout "${secs}s" -timeout_error -trace_err \
		-error_file "$XR_TMP/$name/err.log" -trace_stat -stf "$XR_TMP/$name/stat.csv" \
		-cp $((8000 + RANDOM % 1000)) "$@" >"$XR_TMP/$name/screen.log" 2>&1)
}

# uas NAME PORT SCENARIO : a SIPp UAS in b on PORT, in the background.
uas() {
	mkdir -p "$XR_TMP/$1"
	xr_bg b "$XR_TMP/$1/screen.log" sipp -nostdin -sf "$SCEN/$3" -i $B4 -p "$2" -t u1 \
		-trace_err -error_file "$XR_TMP/$1/err.log" -cp $((9000 + RANDOM % 1000)) \
		-max_socket 4096 -l 15000 -buff_size $SIPP_BUF
	UAS_PIDS+=("$XR_LAST_PID")
}

# register AOR PORT : AOR@example.com -> b:PORT, through the proxy's callee side.
register() {
	sipp_run b "reg-$1-$2-$RANDOM" 10 -sf "$SCEN/reg.xml" -s "$1" -i $B4 -p "$2" -t u1 \
		-m 1 $RB4:5060 || xr_die "REGISTER $1 from port $2 through $PROXY failed"
}

# rcvbuf_errors : "caller,proxy,callee" UdpRcvbufErrors so far (each host's own
# counters, read absolute: nstat's history file is shared by the namespaces).
rcvbuf_errors() {
	local h
	for h in a r b; do
		xr_ns $h nstat -asz UdpRcvbufErrors 2>/dev/null |
			awk '$1 == "UdpRcvbufErrors" { n = $2 } END { printf "%d\n", n }'
	done | paste -sd,
}

# stat NAME FIELD : the last value of a -trace_stat column.
stat() {
	awk -F';' -v want="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == want) c = i; next }
		c { v = $c } END { print v }' "$XR_TMP/$1/stat.csv" 2>/dev/null
}

# step PROXY FLOW RATE : one stepped run; one JSON line into steps.jsonl.
step() {
	local proxy=$1 flow=$2 rate=$3 calls=$(($3 * SECS)) name="$1-$2-$3" scen svc rc
	local c0 c1 secs p drops drops0 perfpid m0 m1 mpc=0 rss0 rss1
	UAS_PIDS=()
	case $flow in
	simple)   scen=uac_simple.xml;   svc=bob;  uas "$name-uas" 5060 uas_simple.xml ;;
	reinvite) scen=uac_reinvite.xml; svc=bob;  uas "$name-uas" 5060 uas_reinvite.xml ;;
	fork)     scen=uac_simple.xml;   svc=fork
		  uas "$name-uas1" 5062 uas_simple.xml
		  uas "$name-uas2" 5064 uas_fork_lose.xml ;;
	esac
	sleep 0.3
	secs=$((SECS + HOLD / 1000 + 30))
	c0=$(proxy_ticks)
	m0=$(proxy_msgs)
	rss0=$(proxy_rss)
	drops0=$(rcvbuf_errors)
	perfpid=
	if [ "${PROFILE:-0}" = 1 ] && command -v perf >/dev/null; then
		# the proxy's processes, sampled by the clock, over the step's calls
		perf record -q -e cpu-clock -F 999 -g -o "$XR_TMP/$name.perf" \
			-p "$(proxy_pids)" \
			-- sleep "$SECS" >/dev/null 2>&1 &
		perfpid=$!
	fi
	sipp_run a "$name" "$secs" -sf "$SCEN/$scen" -s "$svc" -i $A4 -p $UAC_PORT -t u1 \
		-rsa $RA4:5060 -m "$calls" -r "$rate" -d "$HOLD" \
		-l $((rate * (HOLD / 1000 + 3) + 100)) -max_socket 4096 -buff_size $SIPP_BUF \
		-trace_rtt -rtt_freq 1 -default_behaviors all,-abortunexp $RA4:5060
	rc=$?
	c1=$(proxy_ticks)
	m1=$(proxy_msgs)
	rss1=$(proxy_rss)
	[ -n "$m0" ] && [ -n "$m1" ] && mpc=$(awk -v a="$m0" -v b="$m1" -v n="$calls" \
		'BEGIN { printf "%.2f", (b - a) / n }')
	if [ -n "$perfpid" ]; then
		wait "$perfpid"
		xr_log "$name: perf (cpu-clock) of $proxy, symbols over 1 %:"
		perf report -i "$XR_TMP/$name.perf" --stdio --no-children --sort dso,sym -g none \
			--percent-limit 1 2>/dev/null | grep -E '^ +[0-9]' | head -40 | sed 's/^/#   /'
		xr_log "$name: where the microseconds go ($mpc SIP messages a call):"
		perf script -i "$XR_TMP/$name.perf" -F comm,tid,ip,sym 2>/dev/null |
			python3 "$XR_ROOT/bench/perf_where.py" \
			"$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v n="$calls" \
				'BEGIN { printf "%.1f", 1e6 * t / hz / n }')" "$mpc" | sed 's/^/#   /'
	fi
	# datagrams dropped by full receive buffers during the step: caller, proxy, callee
	drops=$(awk -v a="$(rcvbuf_errors)" -v b="$drops0" 'BEGIN { split(a, x, ",");
		split(b, y, ","); printf "%d,%d,%d", x[1] - y[1], x[2] - y[2], x[3] - y[3] }')
	for p in "${UAS_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
		for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	python3 - "$XR_TMP/$name" "$proxy" "$flow" "$rate" "$calls" "$rc" \
		"$(stat "$name" 'SuccessfulCall(C)')" "$(stat "$name" 'FailedCall(C)')" \
		"$(stat "$name" 'Retransmissions(C)')" $((c1 - c0)) "$(getconf CLK_TCK)" "${drops:-0}" \
		"$mpc" "${rss0:-}" "${rss1:-}" >>"$XR_TMP/steps.jsonl" <<'EOF'
import glob, json, sys
d, proxy, flow, rate, calls, rc, ok, fail, retr, ticks, hz, drops, mpc, rss0, rss1 = sys.argv[1:]
num = lambda s: int(s) if s.strip().isdigit() else None
ok, fail, retr = num(ok), num(fail), num(retr)
rt = {1: [], 2: []}
for f in glob.glob(d + "/*_rtt.csv"):
    for line in open(f):
        p = line.strip().split(";")
        try:
            rt[int(p[2])].append(float(p[1]))
        except (ValueError, IndexError, KeyError):
            pass
def pct(v, q):
    if not v:
        return None
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]
r = {"proxy": proxy, "flow": flow, "rate": int(rate), "calls": int(calls),
     "sipp_exit": int(rc), "successful": ok, "failed": fail, "retransmissions": retr,
     "udp_rcvbuf_drops": dict(zip(("caller", "proxy", "callee"),
                                  [int(x) for x in drops.split(",")]))
                             if drops.count(",") == 2 else None,
     "ok": int(rc) == 0 and fail == 0 and ok == int(calls),
     "setup_n": len(rt[1]), "setup_p50_ms": pct(rt[1], .5), "setup_p90_ms": pct(rt[1], .9),
     "setup_p99_ms": pct(rt[1], .99), "reinvite_p50_ms": pct(rt[2], .5),
     "reinvite_p99_ms": pct(rt[2], .99),
     "cpu_us_per_call": 1e6 * int(ticks) / float(hz) / int(calls) if ok else None,
     "msgs_per_call": float(mpc) if float(mpc) > 0 else None,
     "rss_mb": int(rss1) // 1024 if rss1.isdigit() else None,
     "rss_grew_kb_per_call": round((int(rss1) - int(rss0)) / int(calls), 2)
                             if rss0.isdigit() and rss1.isdigit() else None}
print(json.dumps(r))
EOF
	tail -n 1 "$XR_TMP/steps.jsonl" | python3 -c '
import json, sys
r = json.load(sys.stdin)
f = lambda v: "-" if v is None else "%.1f" % v
print("# %s %s %d calls/s: %s ok, %s failed, %s retransmissions, full-socket drops %s, setup p50/p99 %s/%s ms, %s us CPU/call%s%s" % (
    r["proxy"], r["flow"], r["rate"], r["successful"], r["failed"], r["retransmissions"],
    "/".join(str(v) for v in (r["udp_rcvbuf_drops"] or {}).values()) + " (caller/proxy/callee)",
    f(r["setup_p50_ms"]), f(r["setup_p99_ms"]), f(r["cpu_us_per_call"]),
    "" if r.get("rss_mb") is None else ", resident %d MB (+%.2f KB a call)" % (
        r["rss_mb"], r["rss_grew_kb_per_call"]),
    "" if r["ok"] else "  <- FAILED"))'
	if ! tail -n 1 "$XR_TMP/steps.jsonl" | grep -q '"ok": true'; then
		# what SIPp said, counted by kind (its error trace runs lines together)
		grep -aoE "Aborting call on [a-zA-Z ]+|Dead call|timed out after|Continuing call on unexpected message" \
			"$XR_TMP/$name/err.log" 2>/dev/null | sort | uniq -c | sed 's/^ */#   /'
		[ "$proxy" = xrelayd ] && grep -aiE "too many open files|EMFILE|no free port" \
			"$XR_TMP/xrelayd.log" 2>/dev/null | tail -n 2 | sed 's/^/#   xrelayd: /'
		return 1
	fi
	return 0
}

xr_log "SIP benchmark: flows [$SIP_FLOWS], proxies [$PROXIES], rates [$RATES] calls/s," \
	"${SECS}s of calls per step, held ${HOLD} ms"
for PROXY in $PROXIES; do
	if [[ $PROXY == kamailio* ]] && ! command -v kamailio >/dev/null; then
		xr_log "$PROXY: kamailio not installed, skipped"
		continue
	fi
	if [ "$PROXY" = kamailio+rtpengine ] && ! command -v rtpengine >/dev/null; then
		xr_log "$PROXY: rtpengine not installed, skipped"
		continue
	fi
	for flow in $SIP_FLOWS; do
		# A fresh proxy per flow: no state left over from the previous one.
		proxy_start "$PROXY"
		case $flow in
		fork) register fork 5062; register fork 5064 ;;
		*)    register bob 5060 ;;
		esac
		for rate in $RATES; do
			if ! step "$PROXY" "$flow" "$rate" && [ "${ALL_RATES:-0}" != 1 ]; then
				break
			fi
			sleep "$GAP"
		done
		kill -0 "$PROXY_PID" 2>/dev/null || xr_log "$PROXY died during $flow"
		proxy_stop "$PROXY"
	done
done

# KEEP=DIR: every step's SIPp logs, error traces and the proxies' logs kept there.
[ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp -r "$XR_TMP"/. "$KEEP"/ 2>/dev/null
mkdir -p "$(dirname "$RESULTS")"
python3 "$XR_ROOT/bench/report.py" sip "$XR_TMP/steps.jsonl" "$RESULTS" "secs=$SECS" \
	"hold_ms=$HOLD" "rates=$RATES" "flows=$SIP_FLOWS" "proxies=$PROXIES" ||
	xr_die "report failed"
exit 0
