# SPDX-License-Identifier: GPL-2.0
# tests/e2e/sip_lib.sh - SIP helpers for the e2e scripts, on top of lib.sh:
# the relay started as proxy + registrar for example.com on both sides of the
# standard topology, and SIPp endpoints in the caller (a) and callee (b)
# hosts.  Every SIPp runs bounded (-m calls, -timeout seconds, and an outer
# `timeout`); background ones are killed by lib.sh's trap, by PID.
#
#   caller a 10.11.1.2 --- 10.11.1.1 xrelayd 10.11.2.1 --- 10.11.2.2 callee b
#
# Source lib.sh first.

SIP_SCEN=${SIP_SCEN:-$XR_ROOT/tests/e2e/sipp}
SIP_UAC_PORT=5070	# the caller's SIPp
SIP_UAS_PORT=5060	# the callee's SIPp (and the port in its Contact)

# The testbed's hosts are declared trusted peers (README "Access control"):
# the SIP and call tests register and call without credentials, as trunks
# and gateways do.  The access tests (t_sec_*) set SIP_TRUSTED_ARGS to what
# they trust (or to nothing) before sip_setup / cl_setup.
if ! declare -p SIP_TRUSTED_ARGS >/dev/null 2>&1; then
	SIP_TRUSTED_ARGS=(--trusted 10.11.0.0/16 --trusted fd11::/16)
fi

# sip_setup [xrelayd args...] : root, sipp, the topology, xrelayd serving
# example.com on 10.11.1.1:5060 (caller side) and 10.11.2.1:5060 (callee side),
# trusting SIP_TRUSTED_ARGS.
sip_setup() {
	xr_need_root
	command -v sipp >/dev/null || xr_skip "sipp (sip-tester) missing"
	[ -x "$XR_BUILD/xrelayd" ] || xr_skip "build/xrelayd missing (make)"
	xr_topology
	# XR_REDIS=1: the same test with the call state kept in Redis (--redis).
	if [ -n "${XR_REDIS:-}" ]; then
		xr_redis_start
		set -- "$@" --redis "unix:$XR_REDIS_SOCK"
	fi
	xr_daemon_start --sip $RA4:5060 --sip $RB4:5060 --domain example.com \
		--media $RA4 --media $RB4 "${SIP_TRUSTED_ARGS[@]}" "$@"
}

# sipp_fg HOST NAME SECONDS SIPP-ARGS... : run SIPp in HOST to completion (at
# most SECONDS, enforced by SIPp's -timeout and by timeout(1)); its screen,
# error trace and statistics go to $XR_TMP/NAME.*.  Returns SIPp's exit
# status: 0 only when every call succeeded (SIPp: "all calls were successful").
sipp_fg() {
	local host=$1 name=$2 secs=$3 rc; shift 3
	timeout -k 5 $((secs + 10)) ip netns exec "${XR_PFX}$host" sipp -nostdin \
		-timeout "${secs}s" -timeout_error -trace_err -error_file "$XR_TMP/$name.err" \
		-trace_stat -stf "$XR_TMP/$name.csv" -cp "$(xr_sipp_cp)" \
		"$@" >"$XR_TMP/$name.out" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		xr_log "sipp $name exited $rc; last lines of its error trace:"
		tail -n 20 "$XR_TMP/$name.err" 2>/dev/null | sed 's/^/#   /'
		tail -n 5 "$XR_TMP/$name.out" 2>/dev/null | sed 's/^/#   /'
	fi
	return $rc
}

# sipp_bg HOST NAME SIPP-ARGS... : SIPp in the background (a UAS); PID in
# SIPP_BG_PID.  Stop it with sipp_bg_stop.
sipp_bg() {
	local host=$1 name=$2 a prev= port=5060; shift 2
	for a in "$@"; do [ "$prev" = -p ] && port=$a; prev=$a; done
	xr_bg "$host" "$XR_TMP/$name.out" sipp -nostdin -trace_err \
		-error_file "$XR_TMP/$name.err" -cp "$(xr_sipp_cp)" "$@"
	SIPP_BG_PID=$XR_LAST_PID
	xr_wait_bound "$host" "$port"	# bound before a caller sends
}

# sipp_bg_stop PID : SIGTERM, then SIGKILL after 3 s; waits for it.
sipp_bg_stop() {
	local p=$1 i
	kill -TERM "$p" 2>/dev/null
	for i in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}

# sipp_reap PID [SECONDS] : wait (5 s by default) for a background SIPp to end
# by itself and return its exit status; one still running is killed (137).
sipp_reap() {
	local p=$1 n=$((${2:-5} * 10)) i
	for i in $(seq 1 $n); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
}

# sip_register USER TRANSPORT(u1|t1) : USER@example.com registers the callee's
# SIPp address (b, port SIP_UAS_PORT) through the relay's callee side.
sip_register() {
	sipp_fg b "reg-$1-$2" 15 -sf "$SIP_SCEN/reg.xml" -s "$1" -i $B4 -p $SIP_UAS_PORT \
		-t "$2" -m 1 $RB4:5060
}

# sip_unregister USER TRANSPORT : "Contact: *", Expires: 0.
sip_unregister() {
	sipp_fg b "unreg-$1-$2" 15 -sf "$SIP_SCEN/unreg.xml" -s "$1" -i $B4 -p $SIP_UAS_PORT \
		-t "$2" -m 1 $RB4:5060
}

# sip_uas NAME SCENARIO TRANSPORT [args] : the callee's SIPp UAS in b.
sip_uas() {
	local name=$1 scen=$2 tp=$3; shift 3
	sipp_bg b "$name" -sf "$SIP_SCEN/$scen" -i $B4 -p $SIP_UAS_PORT -t "$tp" "$@"
}

# sip_uac NAME SCENARIO TRANSPORT SECONDS [args] : the caller's SIPp in a,
# sending everything to the relay's caller side (-rsa).
sip_uac() {
	local name=$1 scen=$2 tp=$3 secs=$4; shift 4
	sipp_fg a "$name" "$secs" -sf "$SIP_SCEN/$scen" -i $A4 -p $SIP_UAC_PORT -t "$tp" \
		-rsa $RA4:5060 "$@" $RA4:5060
}

# sipp_stat NAME FIELD : the last value of FIELD (e.g. SuccessfulCall(C),
# FailedCall(C)) in NAME's -trace_stat file.
sipp_stat() {
	local f="$XR_TMP/$1.csv"
	[ -f "$f" ] || { echo ""; return; }
	awk -F';' -v want="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == want) c = i; next }
		c { v = $c } END { print v }' "$f"
}

# xr_ctl_json ARGS... : xrelayctl --json.
xr_ctl_json() { xr_ctl --json "$@"; }

# json_len EXPR : length of a JSON array read from stdin at python path EXPR (e.g. ["calls"]).
json_len() {
	python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(eval("d"+sys.argv[1])))' "$1"
}

# sip_calls_empty : no dialog record left (waits up to 3 s for the last BYEs).
sip_calls_empty() {
	local i n
	for i in $(seq 1 30); do
		n=$(xr_ctl_json calls 2>/dev/null | json_len '["calls"]' 2>/dev/null)
		[ "$n" = 0 ] && return 0
		sleep 0.1
	done
	xr_log "calls still listed: $(xr_ctl calls 2>&1 | head -5)"
	return 1
}
