#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_bench_smoke.sh - `make bench` and `make bench-sip` with tiny parameters
# (one round of 1 s, 1 and 50 flows, 172-byte payloads; one 1 s step of 20
# calls/s per SIP flow), so the benchmarks cannot rot: both must finish and
# write well-formed JSON with a non-zero figure for every case.  No timing is
# judged.  Skipped (77) without root, sipp, python3 or bpftool.
. "$(dirname "$0")/lib.sh"

xr_need_root
command -v sipp >/dev/null || xr_skip "sipp (sip-tester) missing"
command -v python3 >/dev/null || xr_skip "python3 missing"
command -v bpftool >/dev/null || xr_skip "bpftool missing"
command -v make >/dev/null || xr_skip "make missing"
[ -x "$XR_BUILD/rtpflood" ] || xr_skip "$XR_BUILD/rtpflood missing (make)"

# The tree's own build directory (build/ or build-san/ under SAN=1).
OUTDIR=$(basename "$XR_BUILD")

# check FILE PYTHON-EXPR : EXPR over the parsed document d is true.
check() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2])
if not ok:
    print("# failed on: %s" % json.dumps(d.get("results"))[:2000])
sys.exit(0 if ok else 1)
EOF
}

t0=$(date +%s)
timeout -k 5 150 make -s --no-print-directory -C "$XR_ROOT" bench OUT="$OUTDIR" \
	FLOWS="1 50" PAYLOADS=172 ROUNDS=1 DURATION=1 CASES="xdp user limit" MAXPOINT=0 \
	RESULTS="$XR_TMP/media.json" >"$XR_TMP/bench.log" 2>&1
rc=$?
xr_log "make bench: exit $rc in $(($(date +%s) - t0)) s"
[ $rc -eq 0 ] || tail -n 30 "$XR_TMP/bench.log"
xr_eq "make bench exits 0" "$rc" 0
xr_ok "make bench prints the table" grep -q "xrelayd --xdp" "$XR_TMP/bench.log"
xr_ok "media JSON: machine, params and 6 results (3 cases x 2 flow counts)" \
	check "$XR_TMP/media.json" \
	'd["kind"] == "media" and d["machine"]["cores"] > 0 and len(d["results"]) == 6'
xr_ok "media JSON: every case relayed packets of every flow, with latency and CPU" \
	check "$XR_TMP/media.json" \
	'all(r["pps"] > 0 and r["lat_p50_us"] > 0 and r["cpu_ms_per_mpkt"] > 0 for r in d["results"]) and all(x["flows_seen"] == x["flows"] for x in d["rounds"])'
xr_ok "media JSON: ratios to the limit and to userspace" \
	check "$XR_TMP/media.json" \
	'all(r["ratio_to_limit"] > 0 and r["ratio_to_user"] > 0 for r in d["results"])'
xr_ok "media JSON: the kernel-path rounds were primed (PRIME defaults to 1)" \
	check "$XR_TMP/media.json" 'd["params"]["prime"] == "1"'
xr_ok "media JSON: session setup recorded" \
	check "$XR_TMP/media.json" \
	'len(d["setup"]) == 4 and all(s["created"] == s.get("sessions", s["flows"]) and not s["error"] for s in d["setup"])'

t0=$(date +%s)
timeout -k 5 120 make -s --no-print-directory -C "$XR_ROOT" bench-sip OUT="$OUTDIR" \
	SIP_FLOWS="simple fork reinvite" RATES=20 SECS=1 HOLD=100 GAP=0 PEERS=0 \
	RESULTS="$XR_TMP/sip.json" >"$XR_TMP/sip.log" 2>&1
rc=$?
xr_log "make bench-sip: exit $rc in $(($(date +%s) - t0)) s"
[ $rc -eq 0 ] || tail -n 30 "$XR_TMP/sip.log"
xr_eq "make bench-sip exits 0" "$rc" 0
xr_ok "make bench-sip prints the table" grep -q "calls/s" "$XR_TMP/sip.log"
xr_ok "SIP JSON: the three flows through xrelayd, each 20 calls/s with 0 failed" \
	check "$XR_TMP/sip.json" \
	'd["kind"] == "sip" and sorted(r["flow"] for r in d["results"]) == ["fork", "reinvite", "simple"] and all(r["proxy"] == "xrelayd" and r["best_cps"] == 20 for r in d["results"])'
xr_ok "SIP JSON: setup latency measured for every call, CPU per call counted" \
	check "$XR_TMP/sip.json" \
	'all(s["ok"] and s["setup_n"] == s["calls"] and s["setup_p99_ms"] is not None and s["cpu_us_per_call"] is not None for s in d["steps"])'
xr_ok "SIP JSON: xrelayd's resident size and its growth a call recorded for every step" \
	check "$XR_TMP/sip.json" \
	'all(s["rss_mb"] > 0 and s["rss_grew_kb_per_call"] is not None for s in d["steps"])'
xr_done
