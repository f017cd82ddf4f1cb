#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_media_xdp.sh - media relayed by the XDP fast path: a session made with
# `xrelayctl media create`, RTP and RTCP both ways over IPv4 and IPv6, exact
# payloads from the relay's own address and port, kernel counters accounting
# for all but the latching packet, forwarding that survives SIGSTOP of the
# daemon, IPv4 options dropped as the userspace relay drops them, RTP Bleed
# from a third host counted and dropped, nothing left in the kernel map after
# `media delete`.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/media_lib.sh"

ml_need
command -v bpftool >/dev/null || xr_skip "bpftool missing"
xr_topology
ml_scenarios xdp
xr_done
