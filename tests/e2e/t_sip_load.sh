#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sip_load.sh - call load through xrelayd: a SIPp UAC in the caller host
# makes XR_SIP_LOAD_CALLS (1000) simple calls (INVITE/100/180/200/ACK/BYE/200,
# XR_SIP_LOAD_HOLD_MS (1000) ms each) at XR_SIP_LOAD_RATE (100) calls/s to a
# SIPp UAS registered as bob@example.com; every call must succeed (SIPp exit
# 0, FailedCall 0).  With XR_SIP_LOAD_RATES="200 400 ..." it then tries each
# rate in turn (XR_SIP_LOAD_SECS, default 10 s of calls each) and reports the
# highest one with 0 failed calls: that part is a measurement, not a check
# (XR_SIP_LOAD_GAP seconds of rest before each, XR_SIP_LOAD_TP=t1 for TCP).
# The daemon preallocates 8 transactions a call (at least 8,192): the
# calls' (about 4 a call, kept up to 32 s) must map no more memory.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.sh"

CALLS=${XR_SIP_LOAD_CALLS:-1000}
RATE=${XR_SIP_LOAD_RATE:-100}
HOLD=${XR_SIP_LOAD_HOLD_MS:-1000}
SECS=${XR_SIP_LOAD_SECS:-10}
TP=${XR_SIP_LOAD_TP:-u1}

# One SIPp host is the whole load: no per-source rate limit (--pike-rate).
# The transactions' memory for the whole load is touched at start
# (--prealloc-transactions): the load then maps none (checked below).
# --max-transactions (default 50,000) bounds it: raised with a large CALLS.
PREALLOC=$(( CALLS * 8 > 8192 ? CALLS * 8 : 8192 ))
sip_setup --pike-rate 0 --prealloc-transactions $PREALLOC \
	--max-transactions $(( PREALLOC > 50000 ? PREALLOC : 50000 ))
# sip_stat FIELD : a field of xrelayctl stats' "sip" part.
sip_stat() {
	xr_ctl --json stats | python3 -c 'import json, sys; print(json.load(sys.stdin)["sip"][sys.argv[1]])' "$1"
}
xr_ok "log: $PREALLOC transactions preallocated" \
	grep -q "$PREALLOC transactions preallocated" "$XR_TMP/xrelayd.log"
SLOTS0=$(sip_stat transaction_slots)
xr_ok "stats: room for $PREALLOC transactions before any call ($SLOTS0)" \
	test "${SLOTS0:-0}" -ge $PREALLOC
ulimit -n 65536 2>/dev/null || true
sip_register bob "$TP"
xr_ok "REGISTER bob" [ $? -eq 0 ]

# xrelayd's user+system CPU time so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$XR_DAEMON_PID/stat"; }

# run_load NAME RATE CALLS : one SIPp run; prints successful/failed counts.
run_load() {
	local name=$1 rate=$2 calls=$3 uas rc t0 secs cpu0 cpu1
	secs=$((calls / rate + HOLD / 1000 + 40))
	sip_uas "uas-$name" uas.xml "$TP" -m "$calls" -max_socket 4096 -l 100000
	uas=$SIPP_BG_PID
	t0=$(date +%s.%N)
	cpu0=$(cpu_ticks)
	sip_uac "$name" uac.xml "$TP" "$secs" -s bob -m "$calls" -r "$rate" -d "$HOLD" \
		-l $((rate * (HOLD / 1000 + 2) + 100)) -max_socket 4096
	rc=$?
	LOAD_SECS=$(echo "$(date +%s.%N) - $t0" | bc)
	cpu1=$(cpu_ticks)
	sipp_bg_stop "$uas"
	LOAD_OK=$(sipp_stat "$name" 'SuccessfulCall(C)')
	LOAD_FAIL=$(sipp_stat "$name" 'FailedCall(C)')
	LOAD_RETRANS=$(sipp_stat "$name" 'Retransmissions(C)')
	xr_log "$name: $calls calls at $rate/s over $TP: ${LOAD_OK:-?} ok, ${LOAD_FAIL:-?} failed," \
		"${LOAD_RETRANS:-?} retransmissions, sipp exit $rc, ${LOAD_SECS}s," \
		"xrelayd VmRSS $(awk '/^VmRSS/ { print $2 }' /proc/$XR_DAEMON_PID/status) kB," \
		"xrelayd CPU $(( (cpu1 - cpu0) * 1000000 / $(getconf CLK_TCK) / calls )) us/call"
	return $rc
}

run_load load "$RATE" "$CALLS"
xr_eq "$CALLS calls at $RATE/s: sipp exit status" "$?" 0
xr_eq "$CALLS calls at $RATE/s: successful" "$LOAD_OK" "$CALLS"
xr_eq "$CALLS calls at $RATE/s: failed" "$LOAD_FAIL" 0
xr_ok "no call left in the dialog table" sip_calls_empty
xr_eq "the load's transactions came from the preallocated memory (none mapped)" \
	"$(sip_stat transaction_slots)" "$SLOTS0"

best=$RATE
for r in ${XR_SIP_LOAD_RATES:-}; do
	sleep "${XR_SIP_LOAD_GAP:-0}"	# e.g. 40: the previous run's transactions end first
	run_load "load-$r" "$r" $((r * SECS)) && [ "$LOAD_FAIL" = 0 ] && \
		[ "$LOAD_OK" = $((r * SECS)) ] && best=$r
done
[ -n "${XR_SIP_LOAD_RATES:-}" ] && xr_log "highest rate with 0 failed calls: $best calls/s"
xr_ok "xrelayd still running" kill -0 "$XR_DAEMON_PID"
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
