#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_media_flood.sh - a wrong-source flood at the generator's full rate
# (rtpflood, live XDP frames from m) on a latched relay port while a and b
# talk through it: XDP drops the flood in the kernel (drop_wrong_source),
# passes up only its sampled share (--wrong-source-sample a second per CPU,
# pass_wrong_source, which the daemon logs and drops), the userspace relay
# thread stays idle, and the legitimate RTP keeps flowing through XDP.  Then
# --media-max-pps: a flow over the cap is cut to it in XDP (drop_rate_limit).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/media_lib.sh"

ml_need
RF=$XR_BUILD/rtpflood
[ -x "$RF" ] || xr_skip "build rtpflood first (make)"

SAMPLE=5	# --wrong-source-sample: packets a second per CPU
FLOOD_S=3	# seconds of flood

# relay_cpu_ms : CPU time (user + system, ms) of xrelayd's relay thread.
relay_cpu_ms() {
	local t
	for t in /proc/"$XR_DAEMON_PID"/task/*; do
		if [ "$(cat "$t/comm" 2>/dev/null)" = xr-relay ]; then
			awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' \
				"$t/stat"
			return
		fi
	done
	echo -1
}

xr_topology
xr_daemon_start "${ML_XDP_ARGS[@]}" "${ML_MEDIA_ARGS[@]}" --wrong-source-sample $SAMPLE
xr_eq "XDP on three interfaces" "$(ml_xdp_ifaces)" 3
xr_ok "media create $A4:4000 $B4:5000" ml_create "$A4:4000" "$B4:5000"
sid=$ML_SID ra=$ML_RA rb=$ML_RB
ml_exchange latch "$A4:4000" "$ra" "$B4:5000" "$rb" 50 50
xr_eq "side A latched to a" "$(ml_flow "$sid" A rtp 'r["source"]')" "$A4:4000"

# ---- the flood, with a and b talking (both ways, 100 pps, beyond its end).
n=$(( (FLOOD_S + 2) * 100 ))
w0=$(ml_counter pass_wrong_source) x0=$(ml_counter drop_wrong_source)
d0=$(ml_udrop_src "$sid" A rtp) r0=$(ml_flow "$sid" A rtp 'r["userspace"]["rx_packets"]')
k0=$(( $(ml_kpkts "$sid" A rtp) + $(ml_kpkts "$sid" B rtp) ))
c0=$(relay_cpu_ms)
xr_ok "relay thread found" [ "$c0" -ge 0 ]
ml_rtp a "$XR_TMP/flood.a.json" --bind "$A4:4000" --to "$ra" --count $n --rate 100 --wait 1
ml_rtp b "$XR_TMP/flood.b.json" --bind "$B4:5000" --to "$rb" --count $n --rate 100 --wait 1
rmac=$(ml_mac r eth-m)
xr_ns m "$RF" gen --mode xdp --dev eth0 --dst-mac "$rmac" --src "$M4:7000" --dst "$ra" \
	--size 160 --duration $FLOOD_S --json >"$XR_TMP/flood.gen.json" 2>"$XR_TMP/flood.gen.err" ||
	xr_log "rtpflood gen: $(cat "$XR_TMP/flood.gen.err")"
ml_wait
c1=$(relay_cpu_ms)
sent=$(jpy 'd["sent"]' <"$XR_TMP/flood.gen.json" 2>/dev/null || echo 0)
pass=$(( $(ml_counter pass_wrong_source) - w0 )) drop=$(( $(ml_counter drop_wrong_source) - x0 ))
ud=$(( $(ml_udrop_src "$sid" A rtp) - d0 ))
urx=$(( $(ml_flow "$sid" A rtp 'r["userspace"]["rx_packets"]') - r0 ))
xr_log "flood: m sent $sent in ${FLOOD_S}s; XDP dropped $drop, passed up $pass; the daemon read $urx, dropped $ud; relay thread $((c1 - c0)) ms of CPU"
xr_ge "flood: m sent at least 100000 wrong-source packets" "$sent" 100000
xr_ge "flood: XDP dropped them (drop_wrong_source)" "$drop" $(( sent * 9 / 10 ))
# 2 CPUs, SAMPLE a second each, over the flood's seconds (+1 for windows cut in two).
xr_ok "flood: XDP passed up only the sampled share ($pass <= $(( 2 * SAMPLE * (FLOOD_S + 1) )))" \
	[ "$pass" -le $(( 2 * SAMPLE * (FLOOD_S + 1) )) ]
xr_ge "flood: some were passed up for the daemon to log" "$pass" 1
xr_eq "flood: the daemon read only what XDP passed up, and dropped it" "$urx $ud" "$pass $pass"
xr_ok "flood: the relay thread stayed idle ($((c1 - c0)) ms of CPU <= 100)" [ $((c1 - c0)) -le 100 ]
xr_ok "flood: the daemon logged the wrong source" grep -q "from a wrong source (last $M4:7000)" \
	"$XR_TMP/xrelayd.log"
ml_check_rx "flood: b got a's RTP" "$XR_TMP/flood.b.json" "$rb" $n "$XR_TMP/flood.a.json"
ml_check_rx "flood: a got b's RTP" "$XR_TMP/flood.a.json" "$ra" $n "$XR_TMP/flood.b.json"
xr_eq "flood: the kernel carried the call's RTP" \
	"$(( $(ml_kpkts "$sid" A rtp) + $(ml_kpkts "$sid" B rtp) - k0 ))" $(( 2 * n ))
xr_eq "flood: still latched to a" "$(ml_flow "$sid" A rtp 'r["source"]')" "$A4:4000"

xr_ok "media delete $sid" xr_ctl media delete "$sid"
xr_eq "kernel flow map empty (bpftool)" "$(ml_map_count)" 0
xr_ok "SIGTERM: xrelayd exits 0" xr_daemon_stop

# ---- --media-max-pps 50: a sends 400 at 500/s (0.8 s); XDP forwards at
# most 50 a second per CPU of the flow (one window, or two when the 0.8 s
# cross a second boundary; 2 CPUs at worst) and drops the rest.
xr_daemon_start "${ML_XDP_ARGS[@]}" "${ML_MEDIA_ARGS[@]}" --media-max-pps 50
xr_ok "max-pps: media create" ml_create "$A4:4000" "$B4:5000"
sid=$ML_SID ra=$ML_RA rb=$ML_RB
ml_exchange maxpps.latch "$A4:4000" "$ra" "$B4:5000" "$rb" 5 5
r0=$(ml_counter drop_rate_limit) k0=$(ml_kpkts "$sid" A rtp)
ml_rtp b "$XR_TMP/maxpps.b.json" --bind "$B4:5000" --wait 1.5
ml_rtp a "$XR_TMP/maxpps.a.json" --bind "$A4:4000" --to "$ra" --count 400 --rate 500 --wait 0.5
ml_wait
got=$(jpy 'd["received"]' <"$XR_TMP/maxpps.b.json") fw=$(( $(ml_kpkts "$sid" A rtp) - k0 ))
dr=$(( $(ml_counter drop_rate_limit) - r0 ))
xr_log "max-pps: b got $got of 400; XDP forwarded $fw, dropped $dr over the cap"
xr_ok "max-pps: XDP forwarded at most the cap ($fw <= 200)" [ "$fw" -ge 45 -a "$fw" -le 200 ]
xr_eq "max-pps: the rest was dropped (drop_rate_limit)" "$(( fw + dr ))" 400
xr_eq "max-pps: b got what XDP forwarded" "$got" "$fw"
xr_ok "max-pps: media delete" xr_ctl media delete "$sid"
xr_ok "max-pps: SIGTERM: xrelayd exits 0" xr_daemon_stop
xr_done
