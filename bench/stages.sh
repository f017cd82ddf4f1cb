#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench/stages.sh - the XDP program's cost part by part (`make bench-stages`).
#
# The program is built once per stage with -DXR_STAGE_STOP=n
# (bpf/xrelay.bpf.c XR_STAGE()): it then ends at stage n as if the frame had
# been forwarded, so stage n's time less stage n-1's is what the code between
# them costs.  Each build's test_xdp times the same IPv4 hit as
# `test_xdp --bench` (BPF_PROG_TEST_RUN, RUNS runs of one 214-byte frame
# whose flow is latched and whose next hop is cached: xr_fast4()'s straight
# line); the builds are run in turn, ROUNDS times, so that a noisy stretch
# of this shared machine is spread over all of them, and the table gives
# each stage's median.  Stage 0 is the test run's own cost (the program
# returns at once); the last row is the program as shipped.  The figures
# are one frame hot in cache: a million flows add the misses of two lines
# (README "Performance"), which this does not show.
#
# Environment: ROUNDS (7), RUNS (1000000), RESULTS (the table's copy,
# default bench/results/stages-<UTC time>.txt), KEEP=DIR (keep the builds),
# OUT (the build directory to start from, build/ by default).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# The build to start from: build/, or make's OUT (relative to the tree).
case "${OUT:-build}" in
/*) B=$OUT ;;
*) B=$ROOT/${OUT:-build} ;;
esac
ROUNDS=${ROUNDS:-7}
RUNS=${RUNS:-1000000}
RESULTS=${RESULTS:-$ROOT/bench/results/stages-$(date -u +%Y%m%dT%H%MZ).txt}
[ "$(id -u)" = 0 ] || { echo "stages.sh: needs root (BPF_PROG_TEST_RUN, a private netns)" >&2; exit 1; }
[ -x "$B/tests/bpf/test_xdp" ] || { echo "stages.sh: $B missing: run make" >&2; exit 1; }

STAGES=(0 1 2 3 4 5 6 7 8 9 10 full)
declare -A NAME=(
	[0]="the test run's own cost (the program returns at once)"
	[1]="+ the outcome counter (xr_account)"
	[2]="+ xr_cfg, the blocklist flag, EtherType and IHL"
	[3]="+ lengths, fragment and protocol"
	[4]="+ port and address hash: the flow's index"
	[5]="+ the entry, read under its sequence counter"
	[6]="+ latch, source address and port, families"
	[7]="+ the packets' clock (jiffies)"
	[8]="+ this CPU's slot: next hop good, untagged"
	[9]="+ bpf_redirect_map()"
	[10]="+ MACs, IPv4 and UDP rewrite with checksums"
	[full]="+ the flow's counters: the program as shipped"
)

T=$(mktemp -d /tmp/xr-stages.XXXXXX)
trap 'rm -rf "$T"' EXIT
# One copy of build/ (timestamps kept) in which only the BPF object, its
# skeleton and what embeds it are made again for each stage.  The copy's
# dependency files name build/, not the copy, and the Makefile keeps
# intermediates (.SECONDARY: a missing one alone rebuilds nothing), so the
# object, the skeleton, the objects that include it (the loader in
# libxrelay.a, the BPF tests) and test_xdp are all removed before each make.
cp -a "$B" "$T/o"
mapfile -t embeds < <(grep -l 'xrelay\.skel\.h' -r "$T/o" --include='*.d' | sed 's/\.d$/.o/')
for n in "${STAGES[@]}"; do
	if [ "$n" = full ]; then
		cp "$B/tests/bpf/test_xdp" "$T/tx_$n"
		md5sum <"$B/bpf/xrelay.bpf.o" >>"$T/sums"
		continue
	fi
	rm -f "$T/o/bpf/xrelay.bpf.o" "$T/o/xrelay.skel.h" "$T/o/libxrelay.a" "${embeds[@]}" "$T/o/tests/bpf/test_xdp"
	make -s -C "$ROOT" OUT="$T/o" BPF_DEFS="-DXR_STAGE_STOP=$n" "$T/o/tests/bpf/test_xdp" >/dev/null
	cp "$T/o/tests/bpf/test_xdp" "$T/tx_$n"
	md5sum <"$T/o/bpf/xrelay.bpf.o" >>"$T/sums"
done
# Every stage is its own program (a cut the compiler folded away would time
# the same code twice).
[ "$(sort -u "$T/sums" | wc -l)" = "${#STAGES[@]}" ] ||
	{ echo "stages.sh: two stages built the same program" >&2; exit 1; }

# Each run's first line: "... %u ns/packet (wall N.NN)".  Stage 0 forwards
# nothing it counts, so its test_xdp says "not every run was a hit" after
# printing: the status is not looked at, the line is.
for r in $(seq "$ROUNDS"); do
	for n in "${STAGES[@]}"; do
		w=$("$T/tx_$n" --bench "$RUNS" 2>/dev/null | grep -o 'wall [0-9.]*' | head -1 | cut -d' ' -f2 || true)
		[ -n "$w" ] || { echo "stages.sh: stage $n printed no time" >&2; exit 1; }
		echo "$n $w"
	done
done >"$T/times"

{
	echo "# $(uname -r), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "xr_xdp_rx on one IPv4 hit, part by part: medians of $ROUNDS rounds of $RUNS runs (test_xdp --bench, wall ns a packet)"
	printf '%-6s %-56s %8s %8s\n' stage part ns +ns
	prev=
	for n in "${STAGES[@]}"; do
		m=$(awk -v s="$n" '$1 == s { print $2 }' "$T/times" | sort -n |
			awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
		if [ -z "$prev" ]; then
			printf '%-6s %-56s %8.2f %8s\n' "$n" "${NAME[$n]}" "$m" ""
			floor=$m
		else
			printf '%-6s %-56s %8.2f %+8.2f\n' "$n" "${NAME[$n]}" "$m" "$(awk -v a="$m" -v b="$prev" 'BEGIN { print a - b }')"
		fi
		prev=$m
	done
	printf '%-6s %-56s %8.2f\n' "" "the program (as shipped less stage 0)" "$(awk -v a="$prev" -v b="$floor" 'BEGIN { print a - b }')"
	for n in "${STAGES[@]}"; do
		echo "# stage $n, each round: $(awk -v s="$n" '$1 == s { printf "%s ", $2 }' "$T/times")"
	done
} | tee "$RESULTS"
echo "table: $RESULTS"
if [ -n "${KEEP:-}" ]; then
	mkdir -p "$KEEP" && cp "$T"/tx_* "$T/times" "$KEEP/"
fi
