#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_media_nexthop.sh - a routing change takes effect at once on media the XDP
# fast path forwards, not when the next hop each flow caches would expire
# (8.6 s): RTP from a to b flows through XDP, then b's MAC changes and the
# relay's neighbour entry is replaced, then b's MAC changes again and the
# entry is deleted (the kernel resolves it anew), then b's address moves
# behind a second link (a /32 route) and back; over IPv6, a MAC change.
# Each change is made early in the cache's clock window, so only the
# daemon's next-hop epoch can make the relay use the new next hop within the
# 3 s each check allows: packets reach b again (b's UDP InDatagrams), through
# the link the change says (its rx counter), forwarded by XDP (fwd_redirect,
# the flow's kernel packets), and `xrelayctl stats` counts the refresh under
# its cause.  NUD state changes alone (same MAC) refresh nothing.  A MAC
# change whose notification is lost (the daemon's netlink socket overrun
# while it is stopped) is caught by the resync that follows (ENOBUFS).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/media_lib.sh"

ml_need
command -v ethtool >/dev/null || xr_skip "ethtool missing"
xr_topology
# A second link to b for the route change: r eth-b2 ---- b eth1, no
# addresses; b takes redirected frames there (GRO) and from any source.
xr_link r eth-b2 b eth1
xr_ns b ethtool -K eth1 gro on >/dev/null 2>&1 || xr_die "ethtool -K eth1 gro on in b"
xr_ns b sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth1.rp_filter=0

NH_BOUND_MS=3000	# a change must show within this (the cache's window is 8,590 ms)
NH_LEFT_S=4.5		# a change is made with at least this left of the window

# b's UDP datagrams delivered to a socket, IPv4 and IPv6 (Udp: InDatagrams,
# Udp6InDatagrams).
nh_udp_in() {
	xr_ns b awk '/^Udp:/ { if (++n == 2) v += $2 } /^Udp6InDatagrams/ { v += $2 }
		     END { print v }' /proc/net/snmp /proc/net/snmp6
}
# Frames b received on IFACE.
nh_rx() { ip -n "${XR_PFX}b" -s -j link show "$1" | jpy 'd[0]["stats64"]["rx"]["packets"]'; }
# nh_rtp NS OUT ARGS... : rtp.py in host NS in the background, its own PID
# in NH_PID (nsenter execs it: the PID is python's, ended by kill).
nh_rtp() {
	local ns=$1 out=$2; shift 2
	nsenter --net="/run/netns/${XR_PFX}$ns" python3 "$ML_RTP" "$@" >"$out" 2>"$out.err" &
	NH_PID=$!
	XR_PIDS+=("$NH_PID")
}
# nh_end PID... : end those rtp.py by PID and reap them.
nh_end() { kill -TERM "$@" 2>/dev/null; wait "$@" 2>/dev/null; }
# How often the next hops were refreshed for CAUSE ("neighbour", "route", ...).
nh_refreshes() { xr_ctl --json stats | jpy 'd["next_hop"]["causes"][c]' c="$1"; }

# nh_align : return once the XDP program's clock window (CLOCK_MONOTONIC_COARSE
# >> 33, flow.h XR_NH_STAMP) has NH_LEFT_S seconds or more to run (waiting
# for the next one at most 4.5 s): a next hop cached in it would then
# outlive a check that ends within NH_BOUND_MS, unless the epoch is raised.
nh_align() {
	python3 -c '
import sys, time
w = 1 << 33
need = int(float(sys.argv[1]) * 1e9)
left = w - time.clock_gettime_ns(6) % w            # 6: CLOCK_MONOTONIC_COARSE
if left < need:
    time.sleep((left + 20000000) / 1e9)
' "$NH_LEFT_S"
}

# nh_wait_rx IFACE N MS [T0] : wait until, from now, b delivered N more
# datagrams and received N more frames on IFACE, MS milliseconds after T0
# (date +%s%N; default now) at most; prints the milliseconds since T0 it
# took, or "timeout".
nh_wait_rx() {
	local ifc=$1 n=$2 ms=$3 t0=${4:-$(date +%s%N)} in0 rx0 t
	in0=$(nh_udp_in) rx0=$(nh_rx "$ifc")
	while :; do
		t=$(( ($(date +%s%N) - t0) / 1000000 ))
		if [ $(( $(nh_udp_in) - in0 )) -ge "$n" ] && [ $(( $(nh_rx "$ifc") - rx0 )) -ge "$n" ]; then
			echo "$t"; return 0
		fi
		[ "$t" -ge "$ms" ] && { echo timeout; return 1; }
		sleep 0.05
	done
}

# nh_change DESC CAUSE IFACE MAXUSER CMD... : CMD changes b's next hop early
# in a cache window; within NH_BOUND_MS b gets 50 packets again through
# IFACE, XDP forwarded them, the daemon relayed at most MAXUSER meanwhile
# (0, or the few the stack resolves a deleted neighbour with), and the
# refresh is counted under CAUSE.
nh_change() {
	local desc=$1 cause=$2 ifc=$3 maxuser=$4; shift 4
	local c0 r0 k0 u0 t0 took user
	nh_align
	c0=$(nh_refreshes "$cause") r0=$(ml_counter fwd_redirect)
	k0=$(ml_kpkts "$SID" A rtp) u0=$(ml_upkts "$SID" A rtp)
	t0=$(date +%s%N)
	"$@" || xr_die "$desc: $*"
	took=$(nh_wait_rx "$ifc" 50 "$NH_BOUND_MS" "$t0")
	xr_ok "$desc: b gets the media again through $ifc within $NH_BOUND_MS ms ($took)" \
		test "$took" != timeout
	xr_ge "$desc: XDP forwarded it (fwd_redirect)" $(( $(ml_counter fwd_redirect) - r0 )) 50
	xr_ge "$desc: the flow's kernel packets" $(( $(ml_kpkts "$SID" A rtp) - k0 )) 50
	user=$(( $(ml_upkts "$SID" A rtp) - u0 ))
	xr_ok "$desc: the daemon relayed at most $maxuser meanwhile ($user)" \
		test "$user" -le "$maxuser"
	xr_ge "$desc: stats: next hops refreshed for a $cause change" \
		$(( $(nh_refreshes "$cause") - c0 )) 1
}

xr_daemon_start "${ML_XDP_ARGS[@]}" "${ML_MEDIA_ARGS[@]}" --log-level fastpath=debug
xr_eq "eth-b2 can take redirected frames (xr_tx_ports)" \
	"$(grep -c 'link eth-b2 .*tx port yes' "$XR_TMP/xrelayd.log")" 1
xr_eq "stats: the start counted as one resync" "$(nh_refreshes resync)" 1
xr_ok "media create $A4:4000 $B4:5000" ml_create "$A4:4000" "$B4:5000"
SID=$ML_SID

# b receives for the whole IPv4 part; a sends 250 packets a second (at most
# 100 s: ended by PID once done).
nh_rtp b "$XR_TMP/sink.json" --bind "$B4:5000" --wait 30 --max-time 120
SINK=$NH_PID
xr_wait_bound b 5000 "$B4"
nh_rtp a "$XR_TMP/src.json" --bind "$A4:4000" --to "$ML_RA" --count 25000 --rate 250 \
	--max-time 110
SRC=$NH_PID
took=$(nh_wait_rx eth0 50 5000)
xr_ok "RTP reaches b ($took ms)" test "$took" != timeout
xr_ge "it is forwarded by XDP" "$(ml_kpkts "$SID" A rtp)" 50

# ---- b's MAC changes, the relay's entry is replaced: a lladdr change.
MAC0=$(ml_mac b eth0)
nh_mac_replace() {
	xr_ns b ip link set dev eth0 address 02:00:5e:11:22:01 &&
		xr_ns r ip neigh replace "$B4" lladdr 02:00:5e:11:22:01 dev eth-b nud reachable
}
nh_change "MAC replaced" neighbour eth0 0 nh_mac_replace
xr_eq "b's MAC did change" "$(ml_mac b eth0)" 02:00:5e:11:22:01
xr_ok "b's old MAC was another ($MAC0)" test "$MAC0" != 02:00:5e:11:22:01

# ---- the entry only moves between valid states, same MAC (what a busy LAN
# does all the time): no refresh.  A route added and deleted after them
# marks when the daemon has read those notifications (they come in order).
c0=$(nh_refreshes neighbour) r0=$(nh_refreshes route)
for st in stale delay probe reachable stale reachable; do
	xr_ns r ip neigh change "$B4" lladdr 02:00:5e:11:22:01 dev eth-b nud $st ||
		xr_die "ip neigh change nud $st"
done
xr_ns r ip route add 198.51.100.0/24 dev eth-b2 && xr_ns r ip route del 198.51.100.0/24 dev eth-b2
for _ in $(seq 1 50); do [ "$(nh_refreshes route)" -gt "$r0" ] && break; sleep 0.1; done
xr_ok "the marker route was seen" test "$(nh_refreshes route)" -gt "$r0"
xr_eq "NUD state changes alone: no refresh for a neighbour" "$(nh_refreshes neighbour)" "$c0"

# ---- b's MAC changes again, the relay's entry is deleted: the kernel
# resolves b anew (the packets meanwhile go up to the daemon, which sends
# them through the stack: that asks ARP), then XDP carries on.
nh_mac_delete() {
	xr_ns b ip link set dev eth0 address 02:00:5e:11:22:02 &&
		xr_ns r ip neigh del "$B4" dev eth-b
}
nh_change "MAC, entry deleted" neighbour eth0 25 nh_mac_delete
xr_eq "the relay learnt b's new MAC" \
	"$(ip -n "${XR_PFX}r" -j neigh show "$B4" dev eth-b | jpy 'd[0]["lladdr"]')" \
	02:00:5e:11:22:02

# ---- b's address behind the second link: a /32 route on the relay (its
# neighbour entry there made first, so the route is the only change).
xr_ns r ip neigh replace "$B4" lladdr "$(ml_mac b eth1)" dev eth-b2 nud permanent ||
	xr_die "neighbour on eth-b2"
nh_change "route to b via eth-b2" route eth1 0 xr_ns r ip route add "$B4/32" dev eth-b2
nh_change "that route deleted" route eth0 0 xr_ns r ip route del "$B4/32" dev eth-b2

# ---- notifications lost: while xrelayd stands still (SIGSTOP) 12,000 new
# neighbour entries overrun its netlink socket (1 MB asked; the kernel then
# reports ENOBUFS), and only after that b's MAC changes with the relay's
# entry replaced: that notification is among the lost.  The ones that were
# queued raise nothing (a neighbour's first sight, once a dump has seeded
# the daemon's table), so only a resync (dumps again, the epoch raised)
# can send b's packets to its new MAC before the window ends.
nh_align
c0=$(nh_refreshes resync) r0=$(ml_counter fwd_redirect) k0=$(ml_kpkts "$SID" A rtp)
for i in $(seq 0 11999); do
	printf 'neigh add 10.250.%d.%d lladdr 02:00:5e:99:%02x:%02x dev eth-b2 nud permanent\n' \
		$((i / 250)) $((i % 250 + 1)) $((i / 256)) $((i % 256))
done >"$XR_TMP/neighs"
kill -STOP "$XR_DAEMON_PID"
ok=0
xr_ns r ip -batch "$XR_TMP/neighs" &&
	xr_ns b ip link set dev eth0 address 02:00:5e:11:22:04 &&
	xr_ns r ip neigh replace "$B4" lladdr 02:00:5e:11:22:04 dev eth-b nud reachable && ok=1
t0=$(date +%s%N)
kill -CONT "$XR_DAEMON_PID"
xr_eq "12,000 neighbours added and b's MAC replaced while xrelayd was stopped" "$ok" 1
# The resync's own epoch takes ~280 ms here; without it a later notification
# of b's entry (with the new MAC) raised one 1.8 s after SIGCONT (measured
# with the resync taken out): the bound tells them apart.
took=$(nh_wait_rx eth0 50 1200 "$t0")
xr_ok "notifications lost: b gets the media again within 1200 ms of SIGCONT ($took)" \
	test "$took" != timeout
xr_ge "notifications lost: XDP forwarded it (fwd_redirect)" \
	$(( $(ml_counter fwd_redirect) - r0 )) 50
xr_ge "notifications lost: the flow's kernel packets" $(( $(ml_kpkts "$SID" A rtp) - k0 )) 50
xr_ok "xrelayd logged the overrun" grep -q 'routing notifications overran, resynchronising' \
	"$XR_TMP/xrelayd.log"
xr_ge "stats: next hops refreshed for a resync" $(( $(nh_refreshes resync) - c0 )) 1

nh_end "$SRC" "$SINK"

# ---- IPv6: b's MAC changes, the relay's ND entry is replaced.  First that
# entry is brought up to date with the MAC changes above (IPv4's alone).
xr_ns r ip -6 neigh replace "$B6" lladdr "$(ml_mac b eth0)" dev eth-b nud reachable ||
	xr_die "ND entry of b"
xr_ok "media create [$A6]:4000 [$B6]:5000" ml_create "[$A6]:4000" "[$B6]:5000"
SID=$ML_SID
nh_rtp b "$XR_TMP/sink6.json" --bind "[$B6]:5000" --wait 30 --max-time 60
SINK=$NH_PID
xr_wait_bound b 5000 "$B6"
nh_rtp a "$XR_TMP/src6.json" --bind "[$A6]:4000" --to "$ML_RA" --count 12500 --rate 250 \
	--max-time 55
SRC=$NH_PID
took=$(nh_wait_rx eth0 50 5000)
xr_ok "v6: RTP reaches b ($took ms)" test "$took" != timeout
nh_mac6_replace() {
	xr_ns b ip link set dev eth0 address 02:00:5e:11:22:03 &&
		xr_ns r ip -6 neigh replace "$B6" lladdr 02:00:5e:11:22:03 dev eth-b nud reachable
}
nh_change "v6 MAC replaced" neighbour eth0 0 nh_mac6_replace
nh_end "$SRC" "$SINK"
xr_ge "xrelayd logged the refreshes (debug)" \
	"$(grep -c 'next hops asked afresh (epoch [0-9]*): .*changed' "$XR_TMP/xrelayd.log")" 4
xr_eq "metrics: the refreshes by cause" \
	"$(xr_ctl metrics | grep -c '^xrelay_xdp_nh_refresh_cause_total{cause="\(neighbour\|route\)"} [1-9]')" 2
xr_ok "SIGTERM: xrelayd exits 0" xr_daemon_stop
xr_done
