# SPDX-License-Identifier: GPL-2.0
# tests/e2e/lib.sh - the end-to-end testbed: hosts as network namespaces joined
# by veth pairs, the daemon started in the relay host, and TAP-ish checks.
# Sourced by tests/e2e/t_*.sh.  Everything a test creates (namespaces, pinned
# maps, processes by PID, temp files) is removed by the EXIT trap, even on
# failure.  Exit 77 means skipped (tests/run.sh counts it).
#
# Standard topology (xr_topology):
#
#   caller (a)              relay (r)                 callee (b)
#   eth0 10.11.1.2 ---- eth-a 10.11.1.1   eth-b 10.11.2.1 ---- eth0 10.11.2.2
#        fd11:1::2           fd11:1::1         fd11:2::1             fd11:2::2
#                            eth-m 10.11.3.1 ---- eth0 10.11.3.2  mallory (m)
#                                  fd11:3::1           fd11:3::2
#
# The relay routes nothing (ip_forward=0, IPv6 forwarding=0): only xrelay can
# carry a packet from one side to another.  GRO is on at the far ends so frames
# that XDP redirects into a veth are not dropped (DESIGN.md, Testbeds).

set -u
XR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
XR_BUILD=${XR_BUILD:-$XR_ROOT/${OUT:-build}}
XR_PFX="xr-$$-"
XR_TMP=$(mktemp -d "/tmp/xr-$$.XXXXXX")
XR_PIN="/sys/fs/bpf/xr-$$"
XR_CTL="$XR_TMP/ctl.sock"
XR_PIDS=()
XR_NETNS=()
XR_PASS=0
XR_FAIL=0
XR_DAEMON_PID=

# python3 on the PATH may be a version manager's shim that costs ~0.5 s a
# start; the tests start python many times between a scenario's steps, so
# they (and every helper they run) use the system's own interpreter.
if [ -x /usr/bin/python3 ] && [ "$(command -v python3)" != /usr/bin/python3 ]; then
	mkdir -p "$XR_TMP/bin" && ln -sf /usr/bin/python3 "$XR_TMP/bin/python3" &&
		PATH="$XR_TMP/bin:$PATH"
fi

# Standard addresses (see the picture above).
A4=10.11.1.2  RA4=10.11.1.1  B4=10.11.2.2  RB4=10.11.2.1  M4=10.11.3.2  RM4=10.11.3.1
A6=fd11:1::2  RA6=fd11:1::1  B6=fd11:2::2  RB6=fd11:2::1  M6=fd11:3::2  RM6=fd11:3::1

xr_log()  { printf '# %s\n' "$*"; }
xr_skip() { echo "SKIP: $*"; exit 77; }
xr_die()  { echo "FATAL: $*"; exit 1; }

xr_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	local p
	for p in "${XR_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${XR_PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	local ns
	# Whatever still runs inside this test's hosts is this test's (a child
	# of a killed wrapper included): ended by PID before its host goes.
	for ns in "${XR_NETNS[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	done
	for ns in "${XR_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$XR_PIN" 2>/dev/null
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -f "$XR_TMP/xrelayd.log" ]; then
		echo "---- xrelayd log (last 60 lines)"; tail -n 60 "$XR_TMP/xrelayd.log"
	fi
	# XR_KEEP_TMP=1: a copy of the scratch directory (logs, SIPp traces) in /tmp/kept-PID
	[ -n "${XR_KEEP_TMP:-}" ] && cp -r "$XR_TMP" "/tmp/kept-$$"
	rm -rf "$XR_TMP"
	exit "$rc"
}
trap xr_cleanup EXIT
trap 'exit 130' INT TERM

xr_need_root() {
	[ "$(id -u)" = 0 ] || xr_skip "needs root (network namespaces, XDP)"
	command -v ip >/dev/null || xr_skip "iproute2 missing"
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true
}

# xr_ns NAME CMD... : run CMD inside host NAME.  Only the network namespace
# is entered (not `ip netns exec`, which remounts /sys without bpffs): maps
# the daemon pins stay on the host's /sys/fs/bpf, visible and removable.
xr_ns() { local n=$1; shift; nsenter --net="/run/netns/${XR_PFX}$n" "$@"; }

# xr_ns_add NAME : a new host with lo up.
xr_ns_add() {
	ip netns add "${XR_PFX}$1" || xr_die "ip netns add ${XR_PFX}$1"
	XR_NETNS+=("${XR_PFX}$1")
	ip -n "${XR_PFX}$1" link set lo up
}

# xr_link NS1 IF1 NS2 IF2 : a veth pair between two hosts, both ends up.
xr_link() {
	ip link add "$2" netns "${XR_PFX}$1" type veth peer name "$4" netns "${XR_PFX}$3" \
		|| xr_die "veth $1/$2 - $3/$4"
	ip -n "${XR_PFX}$1" link set "$2" up
	ip -n "${XR_PFX}$3" link set "$4" up
}

# xr_addr NS IF ADDR/PLEN... : addresses (IPv6 without DAD).
xr_addr() {
	local ns=$1 ifc=$2; shift 2
	local a
	for a in "$@"; do
		case $a in
		*:*) ip -n "${XR_PFX}$ns" addr add "$a" dev "$ifc" nodad ;;
		*)   ip -n "${XR_PFX}$ns" addr add "$a" dev "$ifc" ;;
		esac
	done
}

# xr_topology : the standard four hosts (a, r, b, m) above.
xr_topology() {
	local h
	for h in a r b m; do xr_ns_add $h; done
	xr_link a eth0 r eth-a
	xr_link b eth0 r eth-b
	xr_link m eth0 r eth-m
	xr_addr a eth0 $A4/24 $A6/64
	xr_addr b eth0 $B4/24 $B6/64
	xr_addr m eth0 $M4/24 $M6/64
	xr_addr r eth-a $RA4/24 $RA6/64
	xr_addr r eth-b $RB4/24 $RB6/64
	xr_addr r eth-m $RM4/24 $RM6/64
	xr_ns a ip route add default via $RA4
	xr_ns b ip route add default via $RB4
	xr_ns m ip route add default via $RM4
	xr_ns a ip -6 route add default via $RA6
	xr_ns b ip -6 route add default via $RB6
	xr_ns m ip -6 route add default via $RM6
	xr_ns r sysctl -qw net.ipv4.ip_forward=0
	xr_ns r sysctl -qw net.ipv6.conf.all.forwarding=0
	# TX checksum offload off at the hosts: a veth hands a locally sent UDP
	# packet on with a partial checksum (CHECKSUM_PARTIAL); once XDP redirects
	# the frame the "to be completed" metadata is gone and the receiver drops
	# it (UdpInCsumErrors).  A real wire carries full checksums.
	for h in a b m; do
		xr_ns $h ethtool -K eth0 gro on >/dev/null 2>&1 || true
		xr_ns $h ethtool -K eth0 tx off >/dev/null 2>&1 || xr_die "ethtool -K eth0 tx off in $h"
	done
	# Neighbours resolved up front so the first packets do not race ARP/ND.
	xr_ns a ping -c1 -W1 -q $RA4 >/dev/null 2>&1 || true
	xr_ns b ping -c1 -W1 -q $RB4 >/dev/null 2>&1 || true
	xr_ns m ping -c1 -W1 -q $RM4 >/dev/null 2>&1 || true
	xr_ns a ping -6 -c1 -W1 -q $RA6 >/dev/null 2>&1 || true
	xr_ns b ping -6 -c1 -W1 -q $RB6 >/dev/null 2>&1 || true
	xr_ns m ping -6 -c1 -W1 -q $RM6 >/dev/null 2>&1 || true
}

# xr_bg NS LOGFILE CMD... : start CMD in host NS in the background, appending
# to LOGFILE; its PID is recorded (killed by the trap) and left in XR_LAST_PID.
xr_bg() {
	local ns=$1 log=$2; shift 2
	nsenter --net="/run/netns/${XR_PFX}$ns" -- "$@" >>"$log" 2>&1 &
	XR_LAST_PID=$!
	XR_PIDS+=("$XR_LAST_PID")
}

# xr_sipp_cp : a SIPp remote-control port (-cp) for the next SIPp, one of its
# own in the test (8000-9499 in turn, counted in a file so that a call from
# a subshell counts too): never a random one that a SIPp still running in
# the same host holds.
xr_sipp_cp() {
	local cp
	cp=$(cat "$XR_TMP/.sipp_cp" 2>/dev/null || echo 8000)
	echo $((cp >= 9499 ? 8000 : cp + 1)) > "$XR_TMP/.sipp_cp"
	echo "$cp"
}

# xr_wait_bound HOST PORT [ADDR] : wait (10 s) until a socket is bound to PORT
# (UDP, or TCP listening) in HOST, on ADDR if given: a receiver or a SIPp
# is ready before anyone sends to it.  1 (logged) on time-out.
xr_wait_bound() {
	local i f="sport = :$2"
	[ -n "${3:-}" ] && f="src $3 and sport = :$2"
	for i in $(seq 1 100); do
		xr_ns "$1" ss -Hlnut "$f" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	xr_log "nothing bound to port $2 in $1 after 10 s"
	return 1
}

# xr_daemon_start ARGS... : xrelayd in the relay host, foreground logging to
# (appending to) $XR_TMP/xrelayd.log, its own control socket and pin directory; waits until
# the control socket answers (10 s at most).
xr_daemon_start() {
	xr_bg r "$XR_TMP/xrelayd.log" "$XR_BUILD/xrelayd" -f --ctl "$XR_CTL" \
		--pin-dir "$XR_PIN" "$@"
	XR_DAEMON_PID=$XR_LAST_PID
	local i
	for i in $(seq 1 100); do
		if ! kill -0 "$XR_DAEMON_PID" 2>/dev/null; then
			cat "$XR_TMP/xrelayd.log"; xr_die "xrelayd exited at start"
		fi
		if [ -S "$XR_CTL" ] && xr_ctl status >/dev/null 2>&1; then
			# XR_PERF=FILE: profile the daemon (perf record, DWARF call graphs).
			if [ -n "${XR_PERF:-}" ]; then
				perf record -q --call-graph dwarf,16384 -F 499 -o "$XR_PERF" \
					-p "$XR_DAEMON_PID" >/dev/null 2>&1 &
				XR_PERF_PID=$!
			fi
			return 0
		fi
		sleep 0.1
	done
	cat "$XR_TMP/xrelayd.log"; xr_die "xrelayd control socket did not come up"
}

# xr_daemon_stop : SIGTERM and wait (5 s), then the exit status is checked.
xr_daemon_stop() {
	[ -n "$XR_DAEMON_PID" ] || return 0
	if [ -n "${XR_PERF_PID:-}" ]; then
		kill -INT "$XR_PERF_PID" 2>/dev/null; wait "$XR_PERF_PID" 2>/dev/null
		XR_PERF_PID=
	fi
	kill -TERM "$XR_DAEMON_PID" 2>/dev/null
	local rc=0 i
	for i in $(seq 1 50); do kill -0 "$XR_DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$XR_DAEMON_PID" 2>/dev/null; then
		kill -KILL "$XR_DAEMON_PID"; rc=137
	fi
	wait "$XR_DAEMON_PID" 2>/dev/null || rc=$?
	XR_DAEMON_PID=
	return $rc
}

# xr_redis_start : a fresh, empty redis-server (no persistence) on the unix
# socket $XR_REDIS_SOCK in the test's directory, for xrelayd --redis; waits
# (10 s) until it answers.  Killed by the trap like any process started here.
XR_REDIS_SOCK=$XR_TMP/redis.sock
xr_redis_start() {
	command -v redis-server >/dev/null || xr_skip "redis-server missing"
	redis-server --port 0 --unixsocket "$XR_REDIS_SOCK" --save "" --appendonly no \
		>>"$XR_TMP/redis.log" 2>&1 &
	XR_REDIS_PID=$!
	XR_PIDS+=("$XR_REDIS_PID")
	for _ in $(seq 1 100); do
		[ "$(redis-cli -s "$XR_REDIS_SOCK" ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.1
	done
	xr_die "redis-server did not come up"
}
# xr_redis_stop : stop it (SIGTERM) and reap it.
xr_redis_stop() {
	[ -n "${XR_REDIS_PID:-}" ] || return 0
	kill -TERM "$XR_REDIS_PID" 2>/dev/null
	wait "$XR_REDIS_PID" 2>/dev/null
	XR_REDIS_PID=
}

# xr_ctl ARGS... : xrelayctl against this test's daemon.
xr_ctl() { xr_ns r "$XR_BUILD/xrelayctl" -s "$XR_CTL" "$@"; }

# xr_ok DESC CMD... : one check; CMD's exit status decides.
xr_ok() {
	local desc=$1; shift
	if "$@"; then
		XR_PASS=$((XR_PASS + 1)); echo "ok - $desc"
	else
		XR_FAIL=$((XR_FAIL + 1)); echo "not ok - $desc"
	fi
}

# xr_eq DESC GOT WANT : equality check with both values shown on failure.
xr_eq() {
	if [ "$2" = "$3" ]; then
		XR_PASS=$((XR_PASS + 1)); echo "ok - $1"
	else
		XR_FAIL=$((XR_FAIL + 1)); echo "not ok - $1: got '$2', want '$3'"
	fi
}

# xr_ge DESC GOT MIN : numeric GOT >= MIN.
xr_ge() {
	if [ "${2:-0}" -ge "$3" ] 2>/dev/null; then
		XR_PASS=$((XR_PASS + 1)); echo "ok - $1 ($2 >= $3)"
	else
		XR_FAIL=$((XR_FAIL + 1)); echo "not ok - $1: got '$2', want >= $3"
	fi
}

# xr_done : the script's result line and exit status.
xr_done() {
	echo "# $XR_PASS passed, $XR_FAIL failed"
	[ "$XR_FAIL" -eq 0 ] && [ "$XR_PASS" -gt 0 ]
	exit $?
}
