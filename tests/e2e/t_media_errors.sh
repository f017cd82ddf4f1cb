#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_media_errors.sh - the media API and the daemon's life cycle when things go
# wrong: configuration errors (-n), an exhausted port range (nothing
# half-allocated, usable again after a delete), bad addresses, unknown ids,
# a second daemon on the same socket or pin directory, an interface XDP cannot attach to (the
# userspace fallback), kill -9 and a restart on the same pin directory (no
# stale flows), and SIGTERM (XDP detached, pins and socket removed).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/media_lib.sh"

ml_need
# A low soft open-files limit, as a shell gives: the daemon must raise it.
ulimit -Sn 1024
command -v bpftool >/dev/null || xr_skip "bpftool missing"

# expect_fail DESC CODE TEXT CMD... : CMD exits CODE, one stderr line containing TEXT.
expect_fail() {
	local desc=$1 code=$2 text=$3; shift 3
	local err rc
	err=$("$@" 2>&1 >/dev/null); rc=$?
	xr_eq "$desc: exit status" "$rc" "$code"
	xr_ok "$desc: says '$text'" grep -qF -- "$text" <<<"$err"
	xr_eq "$desc: one line" "$(wc -l <<<"$err")" 1
}

# ---- configuration check, no daemon needed.
out=$("$XR_BUILD/xrelayd" -n --media 10.0.0.1 --ports 40000-40001); rc=$?
xr_eq "-n: valid config exits 0" "$rc" 0
xr_ok "-n: prints the normalised config" grep -qx 'ports = 40000-40001' <<<"$out"
expect_fail "-n: odd low port" 1 "xrelayd: --ports 30001-30010: the low port must be even" \
	"$XR_BUILD/xrelayd" -n --media 10.0.0.1 --ports 30001-30010
expect_fail "-n: no media address" 1 "xrelayd: --media: at least one relay address is needed" \
	"$XR_BUILD/xrelayd" -n
expect_fail "unknown option" 1 "xrelayd: --frobnicate: unknown option" \
	"$XR_BUILD/xrelayd" --frobnicate
expect_fail "xrelayctl without a daemon" 1 \
	"xrelayctl: cannot connect to $XR_TMP/nope.sock: No such file or directory" \
	"$XR_BUILD/xrelayctl" -s "$XR_TMP/nope.sock" status

xr_topology
xr_daemon_start "${ML_XDP_ARGS[@]}" "${ML_MEDIA_ARGS[@]}" --ports 30000-30003

# ---- the port range: one pair per session side, two pairs per address.
pairs_in_use() {	# ADDR
	xr_ctl --json stats | jpy '[p["pairs_in_use"] for p in d["media"]["ports"] if p["address"] == a][0]' a="$1"
}
xr_ok "session 1 fits" ml_create "$A4:4000" "$B4:5000"; s1=$ML_SID
xr_ok "session 2 fits" ml_create "$A4:4002" "$B4:5002"; s2=$ML_SID
expect_fail "session 3: port range exhausted" 1 \
	"xrelayctl: media.create: no free port pair: the port range 30000-30003 is exhausted" \
	xr_ctl media create "$A4:4004" "$B4:5004"
# Side A (towards m) can be had, side B (towards a) cannot: A must be given back.
expect_fail "session m<->a: side B exhausted" 1 "port range 30000-30003 is exhausted" \
	xr_ctl media create "$M4:4000" "$A4:4006"
xr_eq "nothing half-allocated: no pair in use on $RM4" "$(pairs_in_use "$RM4")" 0
xr_eq "nothing half-allocated: 2 pairs in use on $RA4" "$(pairs_in_use "$RA4")" 2
xr_eq "flows: two sessions x 4" "$(ml_nflows)" 8
xr_eq "kernel map: two sessions x 4" "$(ml_map_count)" 8
xr_eq "media list: two sessions" "$(xr_ctl --json media list | jpy 'len(d)')" 2
xr_ok "delete session 1" xr_ctl media delete "$s1"
xr_ok "after a delete, create works again" ml_create "$A4:4004" "$B4:5004"; s3=$ML_SID
xr_eq "kernel map: still two sessions x 4" "$(ml_map_count)" 8

# ---- bad requests.
expect_fail "address without port" 1 "'10.11.1.2' is not ADDR:PORT" \
	xr_ctl media create "$A4" "$B4:5000"
expect_fail "not an address" 1 "'host.example:5000' is not ADDR:PORT" \
	xr_ctl media create "$A4:4000" host.example:5000
expect_fail "wildcard address" 1 "the wildcard address" \
	xr_ctl media create 0.0.0.0:4000 "$B4:5000"
expect_fail "port 0" 1 "the RTP port must be 1-65534" \
	xr_ctl media create "$A4:0" "$B4:5000"
expect_fail "one endpoint only" 2 "usage: xrelayctl media create ADDR:PORT ADDR:PORT" \
	xr_ctl media create "$A4:4000"
expect_fail "delete of an unknown id" 1 "xrelayctl: media.delete: no session 42" \
	xr_ctl media delete 42
expect_fail "delete of a non-number" 1 "missing or bad \"id\"" \
	xr_ctl media delete abc
expect_fail "unknown command" 2 "unknown command 'media frob'" xr_ctl media frob
xr_eq "bad requests changed nothing" "$(ml_map_count)" 8

# ---- every read-only command answers one JSON document; metrics is valid
# Prometheus text (every sample's family announced once by # HELP and # TYPE).
json_doc() { local out; out=$(xr_ctl --json "$@") && jpy 'True' <<<"$out" >/dev/null; }
human() { local out; out=$(xr_ctl "$@") && [ -n "$out" ]; }
for c in status flows stats "media list" metrics; do
	# shellcheck disable=SC2086
	xr_ok "xrelayctl --json $c: one JSON document" json_doc $c
	# shellcheck disable=SC2086
	xr_ok "xrelayctl $c: human form" human $c
done
check_exposition() {
	python3 -c '
import re, sys
seen_help, seen_type, samples = set(), {}, 0
for ln in sys.stdin.read().splitlines():
    if ln.startswith("# HELP "):
        n = ln.split()[2]; assert n not in seen_help, "HELP twice: " + n; seen_help.add(n)
    elif ln.startswith("# TYPE "):
        _, _, n, t = ln.split(); assert t in ("counter", "gauge"), ln
        assert n not in seen_type, "TYPE twice: " + n; seen_type[n] = t
    else:
        m = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+]+)", ln)
        assert m, "bad sample line: " + ln
        n = m.group(1); assert n in seen_type and n in seen_help, "no HELP/TYPE: " + n
        assert seen_type[n] != "counter" or n.endswith("_total"), "counter name: " + n
        samples += 1
assert samples > 20, samples
'
}
xr_ok "metrics: valid exposition format" check_exposition <<<"$(xr_ctl metrics)"
xr_eq "metrics: XDP counters present" \
	"$(xr_ctl metrics | grep -c '^xrelay_xdp_.*_packets_total ')" \
	"$(grep -c '^XR_CNT(' "$XR_ROOT/include/xrelay/counters.def")"

# ---- 20 clients at once are all served.
pids=()
for i in $(seq 1 20); do
	xr_ctl --json flows >"$XR_TMP/par.$i" 2>&1 &
	pids+=($!)
done
nok=0
for i in $(seq 1 20); do
	wait "${pids[$((i - 1))]}" && [ "$(jpy 'len(d)' <"$XR_TMP/par.$i")" = 8 ] && nok=$((nok + 1))
done
xr_eq "20 concurrent xrelayctl clients all answered" "$nok" 20

# ---- a second daemon on the same control socket refuses to start.
nsenter --net="/run/netns/${XR_PFX}r" -- "$XR_BUILD/xrelayd" -f --ctl "$XR_CTL" \
	--pin-dir "$XR_PIN-second" --media "$RA4" --ports 31000-31001 >"$XR_TMP/second.log" 2>&1
xr_eq "second daemon on the same socket exits 1" "$?" 1
xr_ok "second daemon says why" grep -q "cannot listen on $XR_CTL" "$XR_TMP/second.log"
xr_ok "the first daemon still answers" human status

# ---- a second daemon on the same pin directory (another socket) refuses to
# start and leaves the first one's flows alone.
nsenter --net="/run/netns/${XR_PFX}r" -- "$XR_BUILD/xrelayd" -f --ctl "$XR_TMP/second.sock" \
	--pin-dir "$XR_PIN" --xdp eth-a --media "$RA4" --ports 31000-31001 \
	>"$XR_TMP/second-pin.log" 2>&1
xr_eq "second daemon on the same pin directory exits 1" "$?" 1
xr_ok "second daemon says the pin directory is in use" \
	grep -q "pin-dir $XR_PIN: in use by another running xrelayd" "$XR_TMP/second-pin.log"
xr_eq "second daemon flushed nothing: still 8 kernel flows" "$(ml_map_count)" 8
xr_eq "the first daemon still has its 8 flows" "$(ml_nflows)" 8
xr_ok "second daemon left no socket" test ! -e "$XR_TMP/second.sock"

# ---- kill -9: the program goes with the daemon, the pinned map stays ...
kill -KILL "$XR_DAEMON_PID"; wait "$XR_DAEMON_PID" 2>/dev/null; XR_DAEMON_PID=
xr_eq "kill -9: XDP gone with the daemon's links" "$(ml_xdp_ifaces)" 0
xr_eq "kill -9: the pinned flow map still holds 8 flows" "$(ml_map_count)" 8
xr_ok "kill -9: the control socket file is left behind" test -S "$XR_CTL"
# ... and a restart on the same pin directory forwards nothing it does not know.
xr_daemon_start "${ML_XDP_ARGS[@]}" "${ML_MEDIA_ARGS[@]}" --ports 30000-30003
xr_eq "restart: the kernel map is empty" "$(ml_map_count)" 0
xr_eq "restart: no flows" "$(ml_nflows)" 0
xr_ok "restart: the leftover flows were flushed (log)" \
	grep -q "8 leftover flows flushed" "$XR_TMP/xrelayd.log"
ml_exchange after-restart "$A4:4004" "10.11.1.1:30000" "$B4:5004" "10.11.2.1:30000" 20 0
xr_ok "restart: the whole range is free again" ml_create "$A4:4000" "$B4:5000"
xr_ok "restart: and a second session" ml_create "$A4:4002" "$B4:5002"
ml_exchange after-restart-new "$A4:4002" "$ML_RA" "$B4:5002" "$ML_RB" 50 50

# ---- SIGTERM: detached, flushed, unpinned, socket removed.
xr_ok "SIGTERM: xrelayd exits 0" xr_daemon_stop
xr_eq "SIGTERM: no XDP left on any interface" "$(ml_xdp_ifaces)" 0
xr_ok "SIGTERM: the pin directory is gone" test ! -e "$XR_PIN"
xr_ok "SIGTERM: the control socket is gone" test ! -e "$XR_CTL"

# ---- an interface XDP cannot attach to is relayed in userspace (fallback).
xr_daemon_start --xdp eth-a --xdp eth-b --xdp nosuch0 "${ML_MEDIA_ARGS[@]}"
xr_eq "fallback: modes per interface" \
	"$(xr_ctl --json status | jpy '["%s=%s" % (x["ifname"], str(x["mode"] != "userspace").lower()) for x in d["xdp"]]')" \
	'["eth-a=true","eth-b=true","nosuch0=false"]'
xr_ok "fallback: logged" grep -q "nosuch0: XDP attach failed" "$XR_TMP/xrelayd.log"
xr_ok "fallback: media still works" ml_create "$A4:4000" "$B4:5000"
ml_exchange fallback "$A4:4000" "$ML_RA" "$B4:5000" "$ML_RB" 50 50
kill -HUP "$XR_DAEMON_PID"
for _ in $(seq 1 50); do grep -q "reload: " "$XR_TMP/xrelayd.log" && break; sleep 0.1; done
xr_ok "SIGHUP: a reload with nothing changed, logged; the daemon carries on" \
	grep -q "reload: 0 change(s) applied, 0 ignored" "$XR_TMP/xrelayd.log"
xr_ok "SIGHUP: still answering" human status
# Four sockets a session: the daemon takes the whole hard open-files limit.
xr_eq "the open-files soft limit is raised to the hard one" \
	"$(awk '/^Max open files/ { print ($4 == $5) }' "/proc/$XR_DAEMON_PID/limits")" 1
kill -INT "$XR_DAEMON_PID"
rc=1
for i in $(seq 1 50); do kill -0 "$XR_DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
wait "$XR_DAEMON_PID"; rc=$?; XR_DAEMON_PID=
xr_eq "SIGINT: exits 0" "$rc" 0
xr_eq "SIGINT: no XDP left" "$(ml_xdp_ifaces)" 0
xr_ok "SIGINT: the control socket is gone" test ! -e "$XR_CTL"

xr_done
