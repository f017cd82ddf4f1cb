#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench/run.sh - the media benchmark (`make bench`): one testbed, three passes,
# one report.  RTP from a live-frames generator crosses a relay host to an XDP
# sink through (a) xrelayd --xdp, (b) xrelayd relaying in userspace, (c) plain
# Linux routing (ip_forward=1), (d) a minimal XDP forwarder (rtpflood fwd: MAC
# rewrite and redirect, no lookups), and the pps of each and the ratios are printed.
# No pass/fail: it reports.  See bench/README.md for figures and knobs.
#
#   gen (g)                        relay (r)                         sink (s)
#   eth0 10.12.1.2 ------- eth-g 10.12.1.1   eth-s 10.12.2.1 ------- eth0 10.12.2.2
#   rtpflood gen --mode xdp        xrelayd / ip_forward=1            rtpflood sink --mode xdp
#
# Environment: FLOWS (sessions, default 100), DURATION (s per pass, default 10),
# SIZE (RTP payload bytes, default 200), GEN_CPU (CPU of the generator, default 1),
# PASSES (any of "xdp user plain xdpfwd", default all four), BPF_STATS=1 (turn on
# kernel.bpf_stats_enabled during the XDP pass and print the relay program's
# ns per packet; host-wide, restored after the pass, adds ~20-40 ns a run).
set -u
. "$(dirname "$0")/../tests/e2e/lib.sh"

FLOWS=${FLOWS:-100}
DURATION=${DURATION:-10}
SIZE=${SIZE:-200}
GEN_CPU=${GEN_CPU:-1}
PASSES=${PASSES:-xdp user plain xdpfwd}
G4=10.12.1.2 RG4=10.12.1.1 S4=10.12.2.2 RS4=10.12.2.1
GPORT=5000 SPORT=6000
RF=$XR_BUILD/rtpflood
RESULTS=$XR_BUILD/bench/results.json

xr_need_root
[ -x "$RF" ] || xr_die "$RF missing: run make"
# Private copies: a `make` elsewhere in the tree must not swap a binary mid-run.
mkdir -p "$XR_TMP/bin"
for b in xrelayd xrelayctl rtpflood; do
	cp "$XR_BUILD/$b" "$XR_TMP/bin/" || xr_die "$XR_BUILD/$b missing: run make"
done
XR_BUILD=$XR_TMP/bin
RF=$XR_BUILD/rtpflood
command -v python3 >/dev/null || xr_die "python3 missing (make deps)"
[ "$GEN_CPU" -lt "$(nproc)" ] 2>/dev/null || GEN_CPU=0

# ---- testbed ----------------------------------------------------------------
for h in g r s; do xr_ns_add $h; done
xr_link g eth0 r eth-g
xr_link s eth0 r eth-s
xr_addr g eth0 $G4/24
xr_addr r eth-g $RG4/24
xr_addr r eth-s $RS4/24
xr_addr s eth0 $S4/24
xr_ns g ip route add default via $RG4
xr_ns s ip route add default via $RS4
xr_ns r sysctl -qw net.ipv4.ip_forward=0
# Frames XDP sends into a veth need NAPI on the far end (DESIGN.md, Testbeds):
# the relay's eth-g gets the generator's XDP_TX frames, the sink's eth0 the
# relay's redirects (its own XDP program turns NAPI on too).
xr_ns r ethtool -K eth-g gro on >/dev/null
xr_ns s ethtool -K eth0 gro on >/dev/null
xr_ns g ethtool -K eth0 gro on >/dev/null
xr_ns g ping -c1 -W1 -q $RG4 >/dev/null || xr_die "gen cannot reach the relay"
xr_ns s ping -c1 -W1 -q $RS4 >/dev/null || xr_die "sink cannot reach the relay"
RMAC=$(ip -n "${XR_PFX}r" -br link show eth-g | awk '{print $3}')
SMAC=$(ip -n "${XR_PFX}s" -br link show eth0 | awk '{print $3}')

# field FILE KEY... : one value out of a JSON document.
field() {
	python3 - "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    d = d[k]
print(d)
EOF
}

# measure NAME GEN-ARGS... : XDP sink on s/eth0 for the pass, generator pinned
# to GEN_CPU for DURATION seconds; leaves $XR_TMP/NAME.{gen,sink}.json.
measure() {
	local name=$1; shift
	xr_bg s "$XR_TMP/$name.sink.json" "$RF" sink --mode xdp --dev eth0 \
		--ports $SPORT-$SPORT --flows "$FLOWS" --duration $((DURATION + 4)) --json
	local sink=$XR_LAST_PID
	sleep 1
	xr_ns g taskset -c "$GEN_CPU" "$RF" gen --mode xdp --dev eth0 --dst-mac "$RMAC" \
		--src $G4:$GPORT --flows "$FLOWS" --size "$SIZE" --duration "$DURATION" \
		--json "$@" >"$XR_TMP/$name.gen.json" || xr_die "$name: generator failed"
	wait "$sink" || xr_die "$name: sink failed: $(cat "$XR_TMP/$name.sink.json")"
}

# sessions : FLOWS media sessions gen:GPORT <-> sink:SPORT through the daemon
# (`xrelayctl media create`; the control socket is a path, reachable from
# here without entering the relay); the relay addresses side A must send to
# go to $XR_TMP/dsts, then a slow warm-up lets every side A latch.
sessions() {
	local i
	: >"$XR_TMP/sessions.json"
	for i in $(seq 1 "$FLOWS"); do
		"$XR_BUILD/xrelayctl" -s "$XR_CTL" --json media create $G4:$GPORT $S4:$SPORT \
			>>"$XR_TMP/sessions.json" || xr_die "media create failed (session $i)"
	done
	python3 - "$XR_TMP/sessions.json" >"$XR_TMP/dsts" <<'EOF2' || xr_die "media create output"
import json, sys
text, dec, pos = open(sys.argv[1]).read(), json.JSONDecoder(), 0
while True:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos == len(text):
        break
    doc, pos = dec.raw_decode(text, pos)
    print(doc["a"]["relay"])
EOF2
	[ "$(wc -l <"$XR_TMP/dsts")" -eq "$FLOWS" ] || xr_die "expected $FLOWS sessions"
	xr_ns g "$RF" gen --mode udp --src $G4:$GPORT --dst-file "$XR_TMP/dsts" \
		--flows "$FLOWS" --count $((FLOWS * 5)) --rate 20000 --duration 5 >/dev/null ||
		xr_die "warm-up failed"
	sleep 1
}

# prog_stats : "run_time_ns run_cnt" of the XDP program on the relay's eth-g.
prog_stats() {
	local id
	id=$(ip -n "${XR_PFX}r" -j -d link show eth-g | python3 -c '
import json, sys
print(json.load(sys.stdin)[0].get("xdp", {}).get("prog", {}).get("id", ""))')
	[ -n "$id" ] || { echo "0 0"; return; }
	bpftool -j prog show id "$id" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d.get("run_time_ns", 0), d.get("run_cnt", 0))'
}

# measure_xdp NAME GEN-ARGS... : measure, and with BPF_STATS=1 also print the
# ns per packet of the XDP program on the relay's eth-g during the pass.
measure_xdp() {
	local t0 n0 t1 n1 was
	if [ "${BPF_STATS:-0}" != 1 ]; then
		measure "$@"
		return
	fi
	was=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -qw kernel.bpf_stats_enabled=1
	read -r t0 n0 < <(prog_stats)
	measure "$@"
	read -r t1 n1 < <(prog_stats)
	sysctl -qw kernel.bpf_stats_enabled="$was"
	[ "$n1" -gt "$n0" ] && xr_log "$1: relay XDP program $(((t1 - t0) / (n1 - n0))) ns" \
		"per packet over $((n1 - n0)) runs (bpf_stats)"
	return 0
}

# counter NAME : a kernel counter of the running daemon (xrelayctl stats).
counter() {
	"$XR_BUILD/xrelayctl" -s "$XR_CTL" --json stats >"$XR_TMP/stats.json" 2>/dev/null &&
		field "$XR_TMP/stats.json" kernel "$1" 2>/dev/null || echo "?"
}

DAEMON_ARGS=(--sip 127.0.0.1:5060 --media $RG4 --media $RS4 --media-timeout 0)
xr_log "testbed up: $FLOWS flows, $SIZE-byte RTP payload, ${DURATION}s per pass," \
	"generator on CPU $GEN_CPU"

for pass in $PASSES; do
	case $pass in
	xdp)
		xr_log "pass xdp: xrelayd --xdp eth-g --xdp eth-s"
		xr_daemon_start "${DAEMON_ARGS[@]}" --xdp eth-g --xdp eth-s
		sessions
		before=$(counter fwd_redirect)
		measure_xdp xdp --dst-file "$XR_TMP/dsts"
		after=$(counter fwd_redirect)
		xr_log "kernel fwd_redirect: $before -> $after; other kernel counters:" \
			"$(python3 -c '
import json, sys
k = json.load(open(sys.argv[1])).get("kernel", {})
print(" ".join("%s=%s" % (n, v) for n, v in k.items() if v and n != "fwd_redirect") or "none")
' "$XR_TMP/stats.json" 2>/dev/null)"
		xr_daemon_stop || xr_log "xrelayd exit status $?"
		;;
	user)
		xr_log "pass user: xrelayd (no --xdp)"
		xr_daemon_start "${DAEMON_ARGS[@]}"
		sessions
		measure user --dst-file "$XR_TMP/dsts"
		xr_daemon_stop || xr_log "xrelayd exit status $?"
		;;
	plain)
		xr_log "pass plain: Linux routing, ip_forward=1 on the relay"
		xr_ns r sysctl -qw net.ipv4.ip_forward=1
		xr_ns r ping -c1 -W1 -q $S4 >/dev/null
		measure plain --dst $S4:$SPORT --dst-step 0 --src-step 2
		xr_ns r sysctl -qw net.ipv4.ip_forward=0
		;;
	xdpfwd)
		xr_log "pass xdpfwd: rtpflood fwd on the relay (eth-g -> eth-s, no lookups)"
		xr_bg r "$XR_TMP/xdpfwd.fwd.json" "$RF" fwd --dev eth-g --out eth-s \
			--dst-mac "$SMAC" --ports $SPORT-$SPORT --duration $((DURATION + 30)) --json
		fwd=$XR_LAST_PID
		sleep 0.5
		measure_xdp xdpfwd --dst $S4:$SPORT --dst-step 0 --src-step 2
		kill -TERM "$fwd"
		wait "$fwd" || xr_die "rtpflood fwd failed: $(cat "$XR_TMP/xdpfwd.fwd.json")"
		;;
	*)
		xr_die "unknown pass $pass (xdp, user, plain, xdpfwd)"
		;;
	esac
done

# ---- report -------------------------------------------------------------------
mkdir -p "$(dirname "$RESULTS")"
python3 - "$XR_TMP" "$RESULTS" "$FLOWS" "$SIZE" "$DURATION" $PASSES <<'EOF'
import json, os, sys
tmp, out, flows, size, duration = sys.argv[1:6]
names = {"xdp": "xrelayd --xdp (XDP)", "user": "xrelayd (userspace)",
         "plain": "Linux routing (plain)", "xdpfwd": "minimal XDP forwarder"}
res = {}
print()
print("media benchmark: %s flows, %s-byte RTP payload, %s s per pass" % (flows, size, duration))
print("  %-24s %12s %12s %8s %18s" % ("pass", "offered pps", "relayed pps", "loss %",
                                      "p50/p90/p99 us"))
for p in sys.argv[6:]:
    try:
        g = json.load(open(os.path.join(tmp, p + ".gen.json")))
        s = json.load(open(os.path.join(tmp, p + ".sink.json")))
    except (OSError, ValueError):
        continue
    lost = max(g["sent"] - s["received"], 0)
    loss = 100.0 * lost / g["sent"] if g["sent"] else 0.0
    lat = s["latency_us"]
    res[p] = {"offered_pps": g["pps"], "relayed_pps": s["pps"], "sent": g["sent"],
              "received": s["received"], "loss_pct": loss, "latency_us": lat}
    print("  %-24s %12.0f %12.0f %8.2f %18s" % (names.get(p, p), g["pps"], s["pps"], loss,
          "%d/%d/%d" % (lat["p50"], lat["p90"], lat["p99"])))
ratios = {}
if "xdp" in res and "user" in res and res["user"]["relayed_pps"] > 0:
    ratios["xdp_over_user"] = res["xdp"]["relayed_pps"] / res["user"]["relayed_pps"]
    print("  ratio XDP / userspace   %.1fx" % ratios["xdp_over_user"])
if "xdp" in res and "plain" in res and res["plain"]["relayed_pps"] > 0:
    ratios["xdp_over_plain"] = res["xdp"]["relayed_pps"] / res["plain"]["relayed_pps"]
    print("  ratio XDP / plain       %.2fx (Linux routing)" % ratios["xdp_over_plain"])
if "xdp" in res and "xdpfwd" in res and res["xdpfwd"]["relayed_pps"] > 0:
    ratios["xdp_over_xdpfwd"] = res["xdp"]["relayed_pps"] / res["xdpfwd"]["relayed_pps"]
    print("  ratio XDP / minimal XDP %.2fx" % ratios["xdp_over_xdpfwd"])
json.dump({"flows": int(flows), "payload": int(size), "duration": int(duration),
           "passes": res, "ratios": ratios}, open(out, "w"), indent=2)
print("  (JSON: %s)" % out)
EOF
exit 0
