#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_media_userspace.sh - the same scenarios as t_media_xdp.sh without --xdp:
# the daemon relays every packet itself, with the same payloads from the same
# relay addresses and ports, its own counters account for all of them, and a
# paused daemon (SIGSTOP) relays nothing, which proves the path.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/media_lib.sh"

ml_need
xr_topology
ml_scenarios user
xr_done
