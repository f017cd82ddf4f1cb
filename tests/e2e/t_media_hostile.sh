#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_media_hostile.sh - hostile input to a latched session's relay port, with
# --xdp and without: from a third host (m) and forged with a's address (wrong
# port, and a's exact address and port, which is indistinguishable and is
# relayed), zero-length, 1-byte and 9000-byte datagrams, truncated IPv4
# headers, tot_len / UDP length past the end, IPv4 fragments, a 5,000 packet
# burst.  The daemon stays up, the callee gets none of it but the exact-source
# forgeries, the session stays latched to a (RTP Bleed) and still relays
# exact payloads both ways, every packet is counted for its reason (with XDP
# a wrong source is dropped in the kernel but for a sampled share the daemon
# logs and drops: the relay thread reads only that share of the burst), and a
# dead callee (its process gone) is carried on for without an error storm.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/media_lib.sh"

ml_need
command -v bpftool >/dev/null || xr_skip "bpftool missing"

# ud SID FIELD : the sum over side A rtp of userspace FIELD.
ud() { ml_flow "$1" A rtp "(r['userspace'] or {}).get('$2', 0)"; }
# fwd SID SIDE : packets relayed on SIDE rtp, kernel + userspace.
fwd() { echo $(( $(ml_kpkts "$1" "$2" rtp) + $(ml_upkts "$1" "$2" rtp) )); }
alive() { kill -0 "$XR_DAEMON_PID" 2>/dev/null && xr_ctl status >/dev/null; }

hostile() {
	local mode=$1 p=$1 sid sid2 ra rb ra2 rb2 rmac w0 x0 t0 f0 d0 o0 fa fb n
	if [ "$mode" = xdp ]; then
		xr_daemon_start "${ML_XDP_ARGS[@]}" "${ML_MEDIA_ARGS[@]}"
		xr_eq "$p: XDP on three interfaces" "$(ml_xdp_ifaces)" 3
	else
		xr_daemon_start "${ML_MEDIA_ARGS[@]}"
		xr_eq "$p: no kernel path" "$(xr_ctl --json status | jpy 'd["kernel_path"]')" false
	fi
	rmac=$(ml_mac r eth-m)

	# ---- two sessions, both latched by real RTP both ways.
	xr_ok "$p: media create $A4:4000 $B4:5000" ml_create "$A4:4000" "$B4:5000"
	sid=$ML_SID ra=$ML_RA rb=$ML_RB
	xr_ok "$p: media create $A4:4100 $B4:5100" ml_create "$A4:4100" "$B4:5100"
	sid2=$ML_SID ra2=$ML_RA rb2=$ML_RB
	ml_exchange "$p.latch" "$A4:4000" "$ra" "$B4:5000" "$rb" 200 200
	ml_exchange "$p.latch2" "$A4:4100" "$ra2" "$B4:5100" "$rb2" 50 50
	xr_eq "$p: side A latched to a" "$(ml_flow "$sid" A rtp 'r["source"]')" "$A4:4000"

	# ---- hostile packets to side A's RTP port, paced by construction (one
	# python process per kind); a and b listen on their media ports.
	w0=$(ml_counter pass_wrong_source); t0=$(ml_counter pass_truncated)
	x0=$(ml_counter drop_wrong_source)
	f0=$(ml_counter pass_fragment); d0=$(ud "$sid" dropped_wrong_source)
	o0=$(ud "$sid" dropped_other)
	local ka=$(fwd "$sid" A) kb=$(fwd "$sid" B)
	fa=$XR_TMP/$p.hostile.a.json fb=$XR_TMP/$p.hostile.b.json
	ml_sink a "$A4:4000" "$fa"
	ml_sink b "$B4:5000" "$fb"
	n=0
	n=$((n + $(ml_udp m "$M4:7100" "$ra" 0 20)))
	n=$((n + $(ml_udp m "$M4:7101" "$ra" 1 20)))
	n=$((n + $(ml_udp m "$M4:7102" "$ra" 9000 5)))
	xr_eq "$p: m sent 45 zero-length, 1-byte and 9000-byte datagrams" "$n" 45
	n=0
	n=$((n + $(ml_forge m eth0 "$rmac" "$ra" rtp 50 "$A4:4999" 0x5bad0001)))
	n=$((n + $(ml_forge m eth0 "$rmac" "$ra" rtp 20 "$A4:4000" 0x5bad0002)))
	n=$((n + $(ml_forge m eth0 "$rmac" "$ra" iphdr 10 "$A4:4000")))
	n=$((n + $(ml_forge m eth0 "$rmac" "$ra" totlen 10 "$A4:4000")))
	n=$((n + $(ml_forge m eth0 "$rmac" "$ra" udplen 10 "$A4:4000")))
	n=$((n + $(ml_forge m eth0 "$rmac" "$ra" udpshort 10 "$A4:4000")))
	n=$((n + $(ml_forge m eth0 "$rmac" "$ra" frag 10)))
	n=$((n + $(ml_forge m eth0 "$rmac" "$ra" fragfirst 10 "$A4:4000")))
	xr_eq "$p: m wrote 140 forged frames" "$n" 140
	ml_wait
	xr_ok "$p: daemon alive after the malformed packets" alive
	xr_eq "$p: a got nothing" "$(jpy 'd["received"]' <"$fa")" 0
	# Only the 20 forged with a's exact address and port (SSRC 0x5bad0002)
	# may reach b: the relay cannot tell them from a's own.
	xr_eq "$p: b got only the 20 exact-source forgeries, from the relay" \
		"$(jpy '"%d %s %s" % (d["received"], sorted(d["sources"]),
			[x["ssrcs"] for x in d["sources"].values()])' <"$fb")" \
		"20 ['$rb'] [[$((0x5bad0002))]]"
	xr_eq "$p: side A relayed just those 20, side B nothing" \
		"$(( $(fwd "$sid" A) - ka )) $(( $(fwd "$sid" B) - kb ))" "20 0"
	# 20 + 20 + 5 (reassembled) + 50 + 10 (reassembled) from wrong sources;
	# with XDP, the 90 unfragmented ones are dropped in the kernel but for
	# the sampled share passed up (pass_wrong_source).
	xr_eq "$p: 105 dropped as wrong source (daemon + XDP)" \
		"$(( $(ud "$sid" dropped_wrong_source) - d0 + $(ml_counter drop_wrong_source) - x0 ))" 105
	xr_eq "$p: none dropped for another reason" "$(( $(ud "$sid" dropped_other) - o0 ))" 0
	if [ "$mode" = xdp ]; then
		xr_eq "$p: XDP pass_wrong_source + drop_wrong_source +90 (0-byte, 1-byte, wrong port)" \
			"$(( $(ml_counter pass_wrong_source) - w0 + $(ml_counter drop_wrong_source) - x0 ))" 90
		xr_eq "$p: the daemon dropped the 15 reassembled and what XDP passed up" \
			"$(( $(ud "$sid" dropped_wrong_source) - d0 ))" \
			"$(( 15 + $(ml_counter pass_wrong_source) - w0 ))"
		xr_ge "$p: XDP dropped most of the 90 (drop_wrong_source)" \
			"$(( $(ml_counter drop_wrong_source) - x0 ))" 40
		xr_eq "$p: XDP pass_truncated +40 (IP header, tot_len, UDP length x2)" \
			"$(( $(ml_counter pass_truncated) - t0 ))" 40
		xr_eq "$p: XDP pass_fragment +65 (5 x 7 of 9000 bytes, 10 x 2, 10 x 1)" \
			"$(( $(ml_counter pass_fragment) - f0 ))" 65
	fi
	xr_eq "$p: still latched to a (no re-latch)" "$(ml_flow "$sid" A rtp 'r["source"]')" "$A4:4000"

	# ---- a burst of 5,000 from m, back to back; b listens.
	w0=$(ml_counter pass_wrong_source); d0=$(ud "$sid" dropped_wrong_source)
	x0=$(ml_counter drop_wrong_source)
	ka=$(fwd "$sid" A); local r0=$(ud "$sid" rx_packets)
	ml_sink b "$B4:5000" "$fb"
	xr_eq "$p: m sent a burst of 5000" "$(ml_udp m "$M4:7200" "$ra" 172 5000 0x5bad0003)" 5000
	ml_wait
	xr_ok "$p: daemon alive after the burst" alive
	xr_eq "$p: burst: b got nothing" "$(jpy 'd["received"]' <"$fb")" 0
	xr_eq "$p: burst: nothing relayed" "$(( $(fwd "$sid" A) - ka ))" 0
	n=$(( $(ud "$sid" dropped_wrong_source) - d0 ))
	xr_log "$p: burst: daemon wrong-source drops $n, XDP pass_wrong_source $(( $(ml_counter pass_wrong_source) - w0 )), drop_wrong_source $(( $(ml_counter drop_wrong_source) - x0 ))"
	# The daemon's socket buffer may overflow under a burst; what it reads it counts.
	xr_eq "$p: burst: every packet the daemon read was a wrong-source drop" \
		"$(( $(ud "$sid" rx_packets) - r0 ))" "$n"
	if [ "$mode" = xdp ]; then
		# What XDP passed up is a few a second per CPU: the relay thread stays idle.
		xr_eq "$p: burst: the daemon read exactly what XDP passed up" \
			"$(( $(ml_counter pass_wrong_source) - w0 ))" "$n"
		xr_ok "$p: burst: XDP passed up only a sampled share ($n <= 40)" [ "$n" -le 40 ]
		xr_ge "$p: burst: XDP dropped the rest (drop_wrong_source)" \
			"$(( $(ml_counter drop_wrong_source) - x0 ))" 4000
	else
		xr_ge "$p: burst: the daemon read and dropped a good part of it" "$n" 500
	fi
	xr_eq "$p: still latched to a after the burst" "$(ml_flow "$sid" A rtp 'r["source"]')" "$A4:4000"

	# ---- the session still carries exact RTP both ways.
	ka=$(fwd "$sid" A) kb=$(fwd "$sid" B)
	ml_exchange "$p.after" "$A4:4000" "$ra" "$B4:5000" "$rb" 200 200
	xr_eq "$p: after: 200 relayed each way" \
		"$(( $(fwd "$sid" A) - ka )) $(( $(fwd "$sid" B) - kb ))" "200 200"

	# ---- dead peer: nobody on b:5100 any more (ICMP port unreachable back),
	# a goes on sending 1000 to session 2 while session 1 runs.
	local l0 k2
	l0=$(wc -l <"$XR_TMP/xrelayd.log"); k2=$(fwd "$sid2" A)
	ml_rtp a "$XR_TMP/$p.dead.a.json" --bind "$A4:4100" --to "$ra2" --count 1000 \
		--rate 500 --wait 0.5
	ml_exchange "$p.beside" "$A4:4000" "$ra" "$B4:5000" "$rb" 400 400
	xr_eq "$p: dead peer: a sent 1000" "$(jpy 'd["sent"]' <"$XR_TMP/$p.dead.a.json")" 1000
	xr_eq "$p: dead peer: session 2 relayed all 1000 towards b" "$(( $(fwd "$sid2" A) - k2 ))" 1000
	xr_ok "$p: dead peer: daemon alive" alive
	n=$(( $(wc -l <"$XR_TMP/xrelayd.log") - l0 ))
	xr_ok "$p: dead peer: no error storm ($n log lines)" [ "$n" -le 5 ]
	xr_eq "$p: dead peer: session 2 side A still latched to a" \
		"$(ml_flow "$sid2" A rtp 'r["source"]')" "$A4:4100"

	# ---- delete: nothing left.
	xr_ok "$p: media delete $sid" xr_ctl media delete "$sid"
	xr_ok "$p: media delete $sid2" xr_ctl media delete "$sid2"
	xr_eq "$p: flows empty" "$(ml_nflows)" 0
	if [ "$mode" = xdp ]; then
		xr_eq "$p: kernel flow map empty (bpftool)" "$(ml_map_count)" 0
	fi
	xr_ok "$p: SIGTERM: xrelayd exits 0" xr_daemon_stop
}

xr_topology
# No reverse-path filter on the relay: the forged packets with a's address
# arriving from m must reach the daemon, as they would from a's own segment.
xr_ns r sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
for i in eth-a eth-b eth-m; do xr_ns r sysctl -qw net.ipv4.conf.$i.rp_filter=0; done
hostile xdp
hostile user
xr_done
