#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_ops_caps.sh - the capabilities dist/xrelayd.service grants are the ones
# xrelayd needs, and each of them is needed: with exactly the unit's
# bounding set (root's other capabilities gone, as under systemd) the XDP
# fast path loads and attaches natively and --ctl-group works; without
# CAP_BPF, CAP_PERFMON or CAP_NET_ADMIN the fast path is unavailable, and
# without CAP_CHOWN --ctl-group cannot be applied; the shared media sockets
# (sk_lookup, raw sockets) come up with the unit's set, and without
# CAP_NET_RAW the daemon falls back to a socket per port.  libbpf's messages
# about it reach the daemon's log (fastpath).
source "$(dirname "$0")/lib.sh"

xr_need_root
command -v setpriv >/dev/null || xr_skip "setpriv (util-linux) missing"
[ -x "$XR_BUILD/xrelayd" ] && [ -x "$XR_BUILD/xrelayctl" ] || xr_skip "build first (make)"
getent group nogroup >/dev/null || xr_skip "no group 'nogroup' for --ctl-group"

UNIT_CAPS=$(sed -n 's/^CapabilityBoundingSet=//p' "$XR_ROOT/dist/xrelayd.service")
[ -n "$UNIT_CAPS" ] || xr_die "no CapabilityBoundingSet in dist/xrelayd.service"
xr_ns_add r
xr_ns_add a
xr_link a eth0 r eth-a
xr_addr r eth-a 10.11.1.1/24
xr_addr a eth0 10.11.1.2/24

# run_caps NAME CAPS... -- XRELAYD-ARGS : xrelayd in r with only CAPS (e.g.
# CAP_BPF) in its bounding set; once it answers, or has exited, stop it;
# the log is $XR_TMP/NAME.log.
run_caps() {
	local name=$1 set="-all" c; shift
	while [ "$1" != -- ]; do
		c=${1#CAP_}; set="$set,+${c,,}"; shift
	done
	shift
	local log=$XR_TMP/$name.log sock=$XR_TMP/$name.sock
	xr_bg r "$log" setpriv --bounding-set="$set" --inh-caps=-all -- \
		"$XR_BUILD/xrelayd" -f --ctl "$sock" --pin-dir "$XR_PIN" --media 10.11.1.1 \
		--ports 42300-42399 --xdp eth-a "$@"
	local pid=$XR_LAST_PID i
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		"$XR_BUILD/xrelayctl" -s "$sock" status >/dev/null 2>&1 && break
		sleep 0.1
	done
	RUN_GROUP=$(stat -c %G "$sock" 2>/dev/null)
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	RUN_RC=$?
	rm -rf "$XR_PIN"
}

# without CAP : the unit's set minus CAP.
without() { local c; for c in $UNIT_CAPS; do [ "$c" = "$1" ] || echo "$c"; done; }

# shellcheck disable=SC2086
run_caps unit $UNIT_CAPS -- --ctl-group nogroup
xr_eq "the unit's set: xrelayd ran and stopped cleanly" "$RUN_RC" 0
xr_ok "the unit's set: XDP attached natively" grep -q 'XDP attached to eth-a (ifindex [0-9]*) in native mode' "$XR_TMP/unit.log"
xr_ok "the unit's set: fast path on 1 of 1 interface(s)" grep -q 'XDP fast path on 1 of 1 interface' "$XR_TMP/unit.log"
xr_eq "the unit's set: the socket belongs to --ctl-group" "$RUN_GROUP" nogroup
xr_eq "the unit's set: nothing refused" "$(grep -ciE 'not permitted|permission denied' "$XR_TMP/unit.log")" 0
xr_ok "the unit's set: one shared media socket" \
	grep -q 'media ports 42300-42399 on 10.11.1.1: one shared socket' "$XR_TMP/unit.log"
# shellcheck disable=SC2046
run_caps no-raw $(without CAP_NET_RAW) --
xr_eq "without CAP_NET_RAW: xrelayd ran and stopped cleanly" "$RUN_RC" 0
xr_ok "without CAP_NET_RAW: a socket per port instead, logged" \
	grep -q 'shared media sockets unavailable (Operation not permitted): one socket per port' \
	"$XR_TMP/no-raw.log"

for c in CAP_BPF CAP_PERFMON CAP_NET_ADMIN; do
	# shellcheck disable=SC2046
	run_caps "no-$c" $(without $c) --
	xr_ok "without $c: the fast path is unavailable" \
		grep -qE 'XDP fast path unavailable|XDP attach failed' "$XR_TMP/no-$c.log"
done
# libbpf's own complaint goes through the daemon's log, under fastpath.
xr_ok "without CAP_BPF: libbpf's message is logged under fastpath" \
	grep -qE '^[0-9:.]+ info  fastpath libbpf: [a-z]' "$XR_TMP/no-CAP_BPF.log"
xr_eq "libbpf's messages are prefixed once" \
	"$(cat "$XR_TMP"/no-*.log | grep -c 'libbpf: libbpf:')" 0
# shellcheck disable=SC2046
run_caps no-chown $(without CAP_CHOWN) -- --ctl-group nogroup
xr_ok "without CAP_CHOWN: --ctl-group cannot be applied (start-up fails, rc $RUN_RC)" \
	[ "$RUN_RC" -ne 0 ]
xr_ok "without CAP_CHOWN: ... with 'Operation not permitted'" \
	grep -q 'Operation not permitted' "$XR_TMP/no-chown.log"
# shellcheck disable=SC2046
run_caps no-chown-nogroup $(without CAP_CHOWN) --
xr_ok "without CAP_CHOWN and --ctl-group: runs, XDP attached" \
	grep -q 'XDP fast path on 1 of 1 interface' "$XR_TMP/no-chown-nogroup.log"
xr_done
