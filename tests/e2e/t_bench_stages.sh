#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_bench_stages.sh - `make bench-stages` with tiny parameters (one round of
# 20,000 runs a stage), so that the part-by-part benchmark cannot rot: every
# stage must build a program of its own (bench/stages.sh checks it), every
# row must have a figure, and the program as shipped must take longer than
# the one that returns at once.  No other timing is judged.  Skipped (77)
# without root, clang, bpftool or make.
. "$(dirname "$0")/lib.sh"

xr_need_root
command -v clang >/dev/null || xr_skip "clang missing"
command -v bpftool >/dev/null || xr_skip "bpftool missing"
command -v make >/dev/null || xr_skip "make missing"
[ -x "$XR_BUILD/tests/bpf/test_xdp" ] || xr_skip "$XR_BUILD/tests/bpf/test_xdp missing (make)"

OUTDIR=$(basename "$XR_BUILD")
t0=$(date +%s)
timeout -k 5 300 make -s --no-print-directory -C "$XR_ROOT" bench-stages OUT="$OUTDIR" \
	ROUNDS=1 RUNS=20000 RESULTS="$XR_TMP/stages.txt" >"$XR_TMP/stages.log" 2>&1
rc=$?
xr_log "make bench-stages: exit $rc in $(($(date +%s) - t0)) s"
[ $rc -eq 0 ] || tail -n 30 "$XR_TMP/stages.log"
xr_eq "make bench-stages exits 0" "$rc" 0
xr_eq "a row with a figure for each of the 12 stages" \
	"$(grep -cE '^(0|[1-9]|10|full) +.* [0-9]+\.[0-9][0-9]( |$)' "$XR_TMP/stages.txt")" 12
xr_ok "the program's own row is there" grep -q 'the program (as shipped less stage 0)' "$XR_TMP/stages.txt"
full=$(awk '$1 == "full" { print $(NF - 1) }' "$XR_TMP/stages.txt")
zero=$(awk '$1 == "0" { print $NF }' "$XR_TMP/stages.txt")
xr_log "stage 0 $zero ns, as shipped $full ns"
xr_ok "the program as shipped takes longer than stage 0 ($full > $zero ns)" \
	awk -v a="$full" -v b="$zero" 'BEGIN { exit !(a > b) }'
xr_done
