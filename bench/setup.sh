#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench/setup.sh - the session set-up benchmark (`make bench-setup`): how many
# media sessions a second xrelayd makes and deletes over its control socket.
# build/sessbench pipelines `media.create` (then `media.delete`) requests,
# WINDOW in flight, and times them; the daemon runs as bench/run.sh runs it
# (relay namespace, --media on both sides, --ports 1024-65535), with --xdp
# (case xdp: four kernel flows a session) or without (case user).  Each round
# starts a fresh daemon and makes SESSIONS sessions twice: "cold" (a new
# daemon: its session memory and map entries are new) and "warm" (the same
# daemon after deleting the first set: memory and slots reused).  No
# pass/fail: it reports the medians over ROUNDS.
#
# Environment: SESSIONS (30000; at most 32,255: the port pairs of one --media
# address), ROUNDS (3), CASES ("xdp user"), WINDOW (256), RESULTS (JSON file,
# default bench/results/setup-<UTC time>.json), PROFILE=1 (perf record -e
# cpu-clock of xrelayd during the cold creation of each round, top symbols
# printed; it costs rate).
set -u
. "$(dirname "$0")/../tests/e2e/lib.sh"

SESSIONS=${SESSIONS:-30000}
ROUNDS=${ROUNDS:-3}
CASES=${CASES:-xdp user}
WINDOW=${WINDOW:-256}
STAMP=$(date -u +%Y%m%dT%H%MZ)
RESULTS=${RESULTS:-$XR_ROOT/bench/results/setup-$STAMP.json}
G4=10.12.1.2 RG4=10.12.1.1 S4=10.12.2.2 RS4=10.12.2.1

xr_need_root
for b in xrelayd xrelayctl sessbench; do
	[ -x "$XR_BUILD/$b" ] || xr_die "$XR_BUILD/$b missing: run make"
done
[ "$SESSIONS" -ge 1 ] && [ "$SESSIONS" -le 32255 ] 2>/dev/null ||
	xr_die "SESSIONS: $SESSIONS is not 1-32255 (one --media address a side)"
mkdir -p "$XR_TMP/bin"
for b in xrelayd xrelayctl sessbench; do cp "$XR_BUILD/$b" "$XR_TMP/bin/"; done
XR_BUILD=$XR_TMP/bin

for h in g r s; do xr_ns_add $h; done
xr_link g eth0 r eth-g
xr_link s eth0 r eth-s
xr_addr g eth0 $G4/24
xr_addr r eth-g $RG4/24
xr_addr r eth-s $RS4/24
xr_addr s eth0 $S4/24
xr_ns r sysctl -qw net.ipv4.ip_forward=0

# one CASE ROUND : a fresh daemon, a cold and a warm set, one JSON line each.
one() {
	local c=$1 n=$2 phase out perf=
	if [ "$c" = xdp ]; then
		xr_daemon_start "${ARGS[@]}" --xdp eth-g --xdp eth-s
	else
		xr_daemon_start "${ARGS[@]}"
	fi
	for phase in cold warm; do
		if [ "${PROFILE:-0}" = 1 ] && [ $phase = cold ]; then
			perf record -q -e cpu-clock -g -o "$XR_TMP/perf.$c.$n" -p "$XR_DAEMON_PID" \
				>/dev/null 2>&1 &
			perf=$!
			sleep 0.5
		fi
		out=$("$XR_BUILD/sessbench" -s "$XR_CTL" -w "$WINDOW" -d "$SESSIONS" \
			$G4:5000 $S4:6000) || xr_log "$c round $n $phase: $out"
		if [ -n "$perf" ]; then
			kill -INT "$perf"; wait "$perf" 2>/dev/null; perf=
			perf report -i "$XR_TMP/perf.$c.$n" --no-children --sort dso,sym --stdio \
				2>/dev/null | grep -E '^ +[0-9]' | head -15
		fi
		xr_log "$c round $n $phase: $out"
		/usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d.update(case=sys.argv[2], round=int(sys.argv[3]), phase=sys.argv[4]); print(json.dumps(d))' \
			"$out" "$c" "$n" "$phase" >>"$XR_TMP/setup.jsonl"
	done
	xr_daemon_stop || xr_log "xrelayd exit status $?"
}

ARGS=(--sip 127.0.0.1:5060 --media $RG4 --media $RS4 --media-timeout 0
	--max-sessions "$SESSIONS" --max-media-sessions "$SESSIONS" --ports 1024-65535)
: >"$XR_TMP/setup.jsonl"
xr_log "$SESSIONS sessions, cases [$CASES], $ROUNDS rounds, $WINDOW requests in flight;" \
	"$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $(seq 1 "$ROUNDS"); do
	for c in $CASES; do one "$c" "$n"; done
done

mkdir -p "$(dirname "$RESULTS")"
/usr/bin/python3 - "$XR_TMP/setup.jsonl" "$RESULTS" "$SESSIONS" "$WINDOW" <<'PY'
import json, os, platform, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
out = {"machine": {"cpus": os.cpu_count(), "kernel": platform.release()},
       "sessions": int(sys.argv[3]), "window": int(sys.argv[4]), "rounds": rows, "medians": []}
print("%-5s %-5s %12s %12s %16s  %s" % ("case", "set", "create/s", "delete/s",
                                       "client CPU us/s.", "rounds"))
for c in dict.fromkeys(r["case"] for r in rows):
    for ph in ("cold", "warm"):
        xs = [r for r in rows if r["case"] == c and r["phase"] == ph and not r.get("error")]
        if not xs:
            print("%-5s %-5s %12s" % (c, ph, "failed"))
            continue
        m = {"case": c, "phase": ph, "rounds": len(xs),
             "create_per_s": statistics.median(r["per_s"] for r in xs),
             "delete_per_s": statistics.median(r["delete_per_s"] for r in xs),
             "client_cpu_us": statistics.median(1e6 * r["client_cpu_s"] /
                                                (r["created"] + r["deleted"]) for r in xs)}
        out["medians"].append(m)
        print("%-5s %-5s %12.0f %12.0f %16.1f  %d" % (c, ph, m["create_per_s"],
              m["delete_per_s"], m["client_cpu_us"], len(xs)))
json.dump(out, open(sys.argv[2], "w"), indent=1)
print("results: %s" % sys.argv[2])
PY
