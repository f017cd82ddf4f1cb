#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/run.sh - run the test suites and print one summary line at the end.
#
#   tests/run.sh [check|unit|bpf|e2e|all] [NAME-FILTER]
#
# Each test is a program (build/tests/unit/test_*, build/tests/bpf/test_*) or
# a script (tests/e2e/t_*.sh).  Exit 0 = passed, 77 = skipped (reason on its
# last line), anything else = failed.  Output of every test goes to
# build/test-logs/NAME.log and is printed in full when it fails.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
suite=${1:-all}
filter=${2:-}
logs=$OUT/test-logs
mkdir -p "$logs"
pass=0 fail=0 skip=0
failed_names=()

run_one() {	# name, command...
	local name=$1; shift
	[ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && return
	local log=$logs/$name.log t0=$SECONDS rc
	mkdir -p "$(dirname "$log")"
	timeout --kill-after=10 "${TEST_TIMEOUT:-600}" "$@" >"$log" 2>&1
	rc=$?
	local dt=$((SECONDS - t0))
	case $rc in
	0)  pass=$((pass + 1)); printf '  PASS  %-40s %4ss\n' "$name" "$dt" ;;
	77) skip=$((skip + 1)); printf '  SKIP  %-40s %s\n' "$name" "$(tail -n 1 "$log")" ;;
	*)  fail=$((fail + 1)); failed_names+=("$name")
	    printf '  FAIL  %-40s %4ss (exit %d)\n' "$name" "$dt" "$rc"
	    sed 's/^/        | /' "$log" | tail -n 80 ;;
	esac
}

if [ "$suite" = check ] || [ "$suite" = all ]; then
	echo "== check"
	run_one "check/layering" tests/tools/layering.sh
fi
if [ "$suite" = unit ] || [ "$suite" = all ]; then
	echo "== unit"
	for t in "$OUT"/tests/unit/test_*; do
		[ -x "$t" ] || continue
		run_one "unit/$(basename "$t")" "$t"
	done
fi
if [ "$suite" = bpf ] || [ "$suite" = all ]; then
	echo "== bpf"
	for t in "$OUT"/tests/bpf/test_*; do
		[ -x "$t" ] || continue
		case $t in *.o|*.d) continue ;; esac
		run_one "bpf/$(basename "$t")" "$t"
	done
fi
if [ "$suite" = e2e ] || [ "$suite" = all ]; then
	echo "== e2e"
	for t in tests/e2e/t_*.sh; do
		[ -f "$t" ] || continue
		run_one "e2e/$(basename "$t" .sh)" bash "$t"
	done
fi

[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
