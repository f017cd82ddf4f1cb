# SPDX-License-Identifier: GPL-2.0
# tests/e2e/media_lib.sh - what the media tests (t_media_*.sh) and the demo
# share, on top of lib.sh: starting xrelayd for media, creating sessions with
# xrelayctl, pushing RTP/RTCP both ways with rtp.py and checking what
# arrived, reading the flow table and the counters.  Sourced after lib.sh.
#
# The daemon runs in the relay's network namespace but in the test's mount
# namespace (nsenter --net, not `ip netns exec`, which remounts /sys and so
# hides /sys/fs/bpf): its pinned maps are the ones bpftool sees here, and a
# restarted daemon finds the pins of the one before.

ML_RTP="$XR_ROOT/tests/e2e/rtp.py"
ML_MEDIA_ARGS=(--media "$RA4" --media "$RB4" --media "$RM4" --media "$RA6" --media "$RB6"
	       --media "$RM6")
ML_XDP_ARGS=(--xdp eth-a --xdp eth-b --xdp eth-m)
ML_JOBS=()

ml_need() {
	xr_need_root
	command -v python3 >/dev/null || xr_skip "python3 missing"
	command -v nsenter >/dev/null || xr_skip "nsenter (util-linux) missing"
	[ -x "$XR_BUILD/xrelayd" ] && [ -x "$XR_BUILD/xrelayctl" ] ||
		xr_skip "build xrelayd and xrelayctl first (make)"
}

# jpy EXPR [NAME=VALUE...] : the Python expression EXPR over d, the JSON
# document on stdin (NAMEs are bound to their string VALUEs); strings are
# printed bare, anything else as compact JSON (like jq -r -c; no jq needed).
# Exits non-zero, printing nothing, when the input is not JSON or EXPR fails.
jpy() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
env = {"d": d}
env.update(a.split("=", 1) for a in sys.argv[2:])
v = eval(sys.argv[1], env)
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
' "$@"
}

# ml_create A B : media create; sets ML_SID, ML_RA (side A's relay ADDR:PORT,
# where a sends), ML_RB; returns xrelayctl's status.
ml_create() {
	local out
	out=$(xr_ctl --json media create "$1" "$2") || return 1
	ML_SID=$(jpy 'd["id"]' <<<"$out")
	ML_RA=$(jpy 'd["a"]["relay"]' <<<"$out")
	ML_RB=$(jpy 'd["b"]["relay"]' <<<"$out")
	xr_log "session $ML_SID: a $1 -> $ML_RA, b $2 -> $ML_RB"
}

# ml_host ADDR:PORT / ml_port ADDR:PORT / ml_rtcp ADDR:PORT (port + 1)
ml_host() { local s=${1%:*}; s=${s#[}; echo "${s%]}"; }
ml_port() { echo "${1##*:}"; }
ml_rtcp() { local h=${1%:*}; echo "$h:$(( ${1##*:} + 1 ))"; }

# ml_rtp NS OUTFILE ARGS... : rtp.py in host NS in the background.
ml_rtp() {
	local ns=$1 out=$2; shift 2
	xr_ns "$ns" python3 "$ML_RTP" "$@" >"$out" 2>"$out.err" &
	ML_JOBS+=($!)
}

ml_wait() {
	local p
	for p in "${ML_JOBS[@]}"; do wait "$p"; done
	ML_JOBS=()
}

# ml_check_rx DESC FILE FROM EXPECT PEERFILE : FILE (rtp.py output) received
# exactly EXPECT packets, all from FROM, none missing or damaged, and the same
# payloads PEERFILE's sender sent (SHA-256).  EXPECT 0: nothing at all.
ml_check_rx() {
	local desc=$1 f=$2 from=$3 want=$4 peer=$5
	if [ "$want" -eq 0 ]; then
		xr_eq "$desc: nothing received" "$(jpy 'd["received"]' <"$f")" 0
		return
	fi
	xr_eq "$desc: only from $from" "$(jpy 'sorted(d["sources"])' <"$f")" "[\"$from\"]"
	xr_eq "$desc: packets" "$(jpy 'd["sources"][s]["packets"]' s="$from" <"$f")" "$want"
	xr_eq "$desc: none missing, duplicated or damaged" \
		"$(jpy '"{missing}/{dups}/{bad_payload}".format(**d["sources"][s])' s="$from" <"$f")" \
		"0/0/0"
	xr_eq "$desc: exact payloads" "$(jpy 'd["sources"][s]["sha256"]' s="$from" <"$f")" \
		"$(jpy 'd["sent_sha256"]' <"$peer")"
}

# ml_exchange LABEL A_BIND A_TO B_BIND B_TO COUNT EXPECT [rtp.py args] :
# a and b send COUNT packets each at the same time; each must receive EXPECT
# (COUNT, or 0 when nothing may pass) from the relay address it sent to.
ml_exchange() {
	local label=$1 abind=$2 ato=$3 bbind=$4 bto=$5 count=$6 want=$7; shift 7
	local fa="$XR_TMP/$label.a.json" fb="$XR_TMP/$label.b.json"
	local exp=()
	[ "$want" -gt 0 ] && exp=(--expect "$want")
	ml_rtp a "$fa" --bind "$abind" --to "$ato" --count "$count" --rate 500 "${exp[@]}" "$@"
	ml_rtp b "$fb" --bind "$bbind" --to "$bto" --count "$count" --rate 500 "${exp[@]}" "$@"
	ml_wait
	xr_eq "$label: a sent" "$(jpy 'd["sent"]' <"$fa" 2>/dev/null)" "$count"
	xr_eq "$label: b sent" "$(jpy 'd["sent"]' <"$fb" 2>/dev/null)" "$count"
	ml_check_rx "$label: a<-relay" "$fa" "$ato" "$want" "$fb"
	ml_check_rx "$label: b<-relay" "$fb" "$bto" "$want" "$fa"
}

# ml_ipopt_rx NS BIND N OUT : receive up to N datagrams on BIND (2 s without
# one ends it); OUT gets JSON: received, how many carried IPv4 options, the
# TTLs seen and the payloads' SHA-256.
ml_ipopt_rx() {
	xr_ns "$1" python3 -c '
import hashlib, json, socket, sys
h, p = sys.argv[1].rsplit(":", 1)
IP_TTL, IP_OPTIONS, IP_RECVOPTS, IP_RECVTTL = 2, 4, 6, 12   # linux/in.h
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, IP_RECVOPTS, 1)
s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
s.bind((h, int(p))); s.settimeout(2)
n, opts, ttls, sha = 0, 0, set(), hashlib.sha256()
while n < int(sys.argv[2]):
    try:
        data, anc, _, _ = s.recvmsg(2048, 256)
    except socket.timeout:
        break
    n += 1; sha.update(data)
    for lvl, typ, val in anc:
        if lvl == socket.IPPROTO_IP and typ in (IP_OPTIONS, IP_RECVOPTS) and len(val):
            opts += 1
        if lvl == socket.IPPROTO_IP and typ == IP_TTL:
            ttls.add(int.from_bytes(val[:4], sys.byteorder))
print(json.dumps({"received": n, "with_options": opts, "ttls": sorted(ttls),
                  "sha256": sha.hexdigest()}))
' "$2" "$3" >"$4" 2>"$4.err" &
	ML_JOBS+=($!)
}

# ml_ipopt_tx NS BIND TO N : N datagrams from BIND to TO, each with IPv4
# options (NOP, NOP, NOP, EOL); prints the payloads' SHA-256.
ml_ipopt_tx() {
	xr_ns "$1" python3 -c '
import hashlib, socket, sys, time
h, p = sys.argv[1].rsplit(":", 1); th, tp = sys.argv[2].rsplit(":", 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 4, b"\x01\x01\x01\x00")   # IP_OPTIONS
s.bind((h, int(p))); sha = hashlib.sha256()
for i in range(int(sys.argv[3])):
    d = b"\x80\x00" + i.to_bytes(2, "big") + bytes((i * 7 + j) & 0xff for j in range(160))
    s.sendto(d, (th, int(tp))); sha.update(d); time.sleep(0.002)
print(sha.hexdigest())
' "$2" "$3" "$4"
}

# ml_flow SID SIDE LEG EXPR : EXPR (Python, over r) of one flow row
# (SIDE A|B, LEG rtp|rtcp) of `xrelayctl --json flows`.
ml_flow() {
	xr_ctl --json flows | jpy "[$4 for r in d if r['session'] == int(i) and
		r['side'] == s and r['leg'] == l][0]" i="$1" s="$2" l="$3"
}
ml_kpkts() { ml_flow "$1" "$2" "$3" '(r["kernel"] or {}).get("packets", 0)'; }
ml_upkts() { ml_flow "$1" "$2" "$3" '(r["userspace"] or {}).get("packets", 0)'; }
ml_udrop_src() { ml_flow "$1" "$2" "$3" '(r["userspace"] or {}).get("dropped_wrong_source", 0)'; }

# ml_counter NAME : a kernel counter from `stats` (0 without the fast path).
ml_counter() { xr_ctl --json stats | jpy '(d.get("kernel") or {}).get(n, 0)' n="$1"; }
# ml_wrong_src : kernel wrong-source packets, passed up (sampled) + dropped in XDP.
ml_wrong_src() {
	xr_ctl --json stats | jpy 'sum((d.get("kernel") or {}).get(n, 0) for n in
		("pass_wrong_source", "drop_wrong_source"))'
}

ml_nflows() { xr_ctl --json flows | jpy 'len(d)'; }
# ml_pinned_flows PIN_DIR : flows in the pinned kernel flow table (an array
# with an entry for every relay address and port: the entries holding a
# flow), read through a mapping by tests/tools/xr_flows_count.
ml_pinned_flows() { "$XR_BUILD/tests/tools/xr_flows_count" "$1/xr_flows" 2>/dev/null; }
ml_map_count() { ml_pinned_flows "$XR_PIN"; }
# Interfaces of host r with an XDP program attached.
ml_xdp_ifaces() { xr_ns r ip -o link show | grep -c ' xdp\(generic\|drv\|offload\)\? '; }

# ml_session_flows DESC SID N_PKTS MODE : per direction, every RTP packet was
# relayed exactly once; MODE xdp: by the kernel but for the latching first
# few, user: by the daemon alone.
ml_check_accounting() {
	local desc=$1 sid=$2 leg=$3 n=$4 mode=$5 side k u
	for side in A B; do
		k=$(ml_kpkts "$sid" $side "$leg"); u=$(ml_upkts "$sid" $side "$leg")
		xr_eq "$desc: side $side $leg relayed once each (kernel $k + user $u)" \
			"$((k + u))" "$n"
		if [ "$mode" = xdp ]; then
			xr_ok "$desc: side $side $leg: userspace relayed only the latching packet(s) ($u)" \
				test "$u" -ge 1 -a "$u" -le 5
		else
			xr_eq "$desc: side $side $leg: all in userspace" "$u" "$n"
		fi
	done
}

# ml_scenarios MODE : the shared media scenarios, MODE xdp or user.
ml_scenarios() {
	local mode=$1 k0 u0 w0 d0 x0
	if [ "$mode" = xdp ]; then
		xr_daemon_start "${ML_XDP_ARGS[@]}" "${ML_MEDIA_ARGS[@]}"
		xr_eq "status: XDP on eth-a, eth-b, eth-m" \
			"$(xr_ctl --json status | jpy '[x["ifname"] for x in d["xdp"] if x["mode"] != "userspace"]')" \
			'["eth-a","eth-b","eth-m"]'
		xr_eq "ip link: three interfaces carry XDP" "$(ml_xdp_ifaces)" 3
	else
		xr_daemon_start "${ML_MEDIA_ARGS[@]}"
		xr_eq "status: no kernel path" "$(xr_ctl --json status | jpy 'd["kernel_path"]')" false
		xr_eq "ip link: no XDP anywhere" "$(ml_xdp_ifaces)" 0
	fi

	# ---- IPv4: RTP and RTCP both ways.
	xr_ok "media create $A4:4000 $B4:5000" ml_create "$A4:4000" "$B4:5000"
	local sid=$ML_SID ra=$ML_RA rb=$ML_RB
	xr_eq "side A relay address faces a" "$(ml_host "$ra")" "$RA4"
	xr_eq "side B relay address faces b" "$(ml_host "$rb")" "$RB4"
	ml_exchange rtp4 "$A4:4000" "$ra" "$B4:5000" "$rb" 200 200
	ml_exchange rtcp4 "$A4:4001" "$(ml_rtcp "$ra")" "$B4:5001" "$(ml_rtcp "$rb")" 50 50 --rtcp
	ml_check_accounting "v4" "$sid" rtp 200 "$mode"
	ml_check_accounting "v4" "$sid" rtcp 50 "$mode"
	xr_eq "flows: side A rtp latched to a" "$(ml_flow "$sid" A rtp 'r["source"]')" "$A4:4000"
	xr_eq "flows: side B rtcp latched to b" "$(ml_flow "$sid" B rtcp 'r["source"]')" "$B4:5001"

	# ---- the daemon paused: the kernel path carries on, userspace stops.
	k0=$(ml_kpkts "$sid" A rtp)
	kill -STOP "$XR_DAEMON_PID"
	if [ "$mode" = xdp ]; then
		ml_exchange stopped "$A4:4000" "$ra" "$B4:5000" "$rb" 100 100
	else
		ml_exchange stopped "$A4:4000" "$ra" "$B4:5000" "$rb" 100 0
	fi
	kill -CONT "$XR_DAEMON_PID"
	sleep 0.5
	if [ "$mode" = xdp ]; then
		xr_eq "SIGSTOP: the kernel counted the 100 a sent" \
			"$(( $(ml_kpkts "$sid" A rtp) - k0 ))" 100
	fi

	# ---- IPv4 options: the relayed packets carry none on either path (the
	# relay's socket sends none, XDP drops them), TTL 64, exact payloads.
	k0=$(ml_kpkts "$sid" A rtp)
	ml_ipopt_rx b "$B4:5000" 40 "$XR_TMP/ipopt.b.json"
	xr_wait_bound b 5000 "$B4"
	local osha
	osha=$(ml_ipopt_tx a "$A4:4000" "$ra" 40)
	ml_wait
	xr_eq "IP options: b got the 40 exact payloads" \
		"$(jpy '"%d %s" % (d["received"], d["sha256"])' <"$XR_TMP/ipopt.b.json")" "40 $osha"
	xr_eq "IP options: none arrived with options, TTL 64" \
		"$(jpy '"%d %s" % (d["with_options"], d["ttls"])' <"$XR_TMP/ipopt.b.json")" "0 [64]"
	if [ "$mode" = xdp ]; then
		xr_eq "IP options: the kernel relayed all 40" \
			"$(( $(ml_kpkts "$sid" A rtp) - k0 ))" 40
	fi

	# ---- mallory (m) sends to both relay ports: nobody gets it, it is counted.
	# With XDP most are dropped in the kernel, a sampled share by the daemon.
	w0=$(ml_wrong_src) x0=$(ml_counter drop_wrong_source)
	d0=$(( $(ml_udrop_src "$sid" A rtp) + $(ml_udrop_src "$sid" B rtp) ))
	u0=$(( $(ml_upkts "$sid" A rtp) + $(ml_upkts "$sid" B rtp) ))
	ml_rtp a "$XR_TMP/bleed.a.json" --bind "$A4:4000" --wait 2
	ml_rtp b "$XR_TMP/bleed.b.json" --bind "$B4:5000" --wait 2
	ml_rtp m "$XR_TMP/bleed.m1.json" --bind "$M4:4000" --to "$ra" --count 50 --rate 500
	ml_rtp m "$XR_TMP/bleed.m2.json" --bind "$M4:5000" --to "$rb" --count 50 --rate 500
	ml_wait
	xr_eq "RTP Bleed: a got nothing" "$(jpy 'd["received"]' <"$XR_TMP/bleed.a.json")" 0
	xr_eq "RTP Bleed: b got nothing" "$(jpy 'd["received"]' <"$XR_TMP/bleed.b.json")" 0
	xr_eq "RTP Bleed: m got nothing back" \
		"$(( $(jpy 'd["received"]' <"$XR_TMP/bleed.m1.json") + $(jpy 'd["received"]' <"$XR_TMP/bleed.m2.json") ))" 0
	xr_eq "RTP Bleed: nothing relayed in userspace meanwhile" \
		"$(( $(ml_upkts "$sid" A rtp) + $(ml_upkts "$sid" B rtp) - u0 ))" 0
	if [ "$mode" = xdp ]; then
		xr_eq "RTP Bleed: m's 100 dropped as wrong source, by XDP or the daemon" \
			"$(( $(ml_udrop_src "$sid" A rtp) + $(ml_udrop_src "$sid" B rtp) - d0 +
			    $(ml_counter drop_wrong_source) - x0 ))" 100
		xr_eq "RTP Bleed: XDP saw all 100 as wrong source" "$(( $(ml_wrong_src) - w0 ))" 100
		xr_ge "RTP Bleed: XDP dropped most of them (drop_wrong_source)" \
			"$(( $(ml_counter drop_wrong_source) - x0 ))" 50
	else
		xr_eq "RTP Bleed: the daemon dropped m's 100 as wrong source" \
			"$(( $(ml_udrop_src "$sid" A rtp) + $(ml_udrop_src "$sid" B rtp) - d0 ))" 100
	fi

	# ---- delete: no flow left anywhere, nothing relayed.
	xr_ok "media delete $sid" xr_ctl media delete "$sid"
	xr_eq "flows: empty after delete" "$(ml_nflows)" 0
	if [ "$mode" = xdp ]; then
		xr_eq "kernel flow map empty after delete (bpftool)" "$(ml_map_count)" 0
	fi
	ml_exchange deleted "$A4:4000" "$ra" "$B4:5000" "$rb" 30 0

	# ---- IPv6: the same between fd11:1::2 and fd11:2::2.
	xr_ok "media create [$A6]:4000 [$B6]:5000" ml_create "[$A6]:4000" "[$B6]:5000"
	sid=$ML_SID ra=$ML_RA rb=$ML_RB
	xr_eq "v6 side A relay address faces a" "$(ml_host "$ra")" "$RA6"
	xr_eq "v6 side B relay address faces b" "$(ml_host "$rb")" "$RB6"
	ml_exchange rtp6 "[$A6]:4000" "$ra" "[$B6]:5000" "$rb" 200 200
	ml_exchange rtcp6 "[$A6]:4001" "$(ml_rtcp "$ra")" "[$B6]:5001" "$(ml_rtcp "$rb")" 50 50 --rtcp
	ml_check_accounting "v6" "$sid" rtp 200 "$mode"
	ml_check_accounting "v6" "$sid" rtcp 50 "$mode"
	if [ "$mode" = xdp ]; then
		k0=$(ml_kpkts "$sid" B rtp)
		kill -STOP "$XR_DAEMON_PID"
		ml_exchange stopped6 "[$A6]:4000" "$ra" "[$B6]:5000" "$rb" 100 100
		kill -CONT "$XR_DAEMON_PID"
		xr_eq "v6 SIGSTOP: the kernel counted the 100 b sent" \
			"$(( $(ml_kpkts "$sid" B rtp) - k0 ))" 100
	fi
	xr_ok "media delete $sid (v6)" xr_ctl media delete "$sid"
	xr_eq "flows: empty after the v6 delete" "$(ml_nflows)" 0
	if [ "$mode" = xdp ]; then
		xr_eq "kernel flow map empty after the v6 delete" "$(ml_map_count)" 0
	fi
	ml_exchange deleted6 "[$A6]:4000" "$ra" "[$B6]:5000" "$rb" 30 0

	xr_ok "SIGTERM: xrelayd exits 0" xr_daemon_stop
}

# ml_forge NS IFACE DSTMAC TO KIND COUNT [SRC [SSRC]] : COUNT hand-made IPv4
# frames of KIND from host NS, written with an AF_PACKET socket on IFACE to
# DSTMAC (the relay's interface) for TO (ADDR:PORT), with any source SRC
# (ADDR:PORT; default the host's own address on IFACE, port 7000).  A raw IP
# socket (IP_HDRINCL) would have the kernel fill in tot_len and the header
# checksum, so the frames are built whole here.  KIND:
#   rtp        a well-formed RTP packet (SSRC, 160 zero bytes): spoofing
#   iphdr      the frame ends 12 bytes into the IPv4 header
#   totlen     IPv4 tot_len 100 bytes past the end of the frame
#   udplen     UDP length 400 bytes past the end of the IP packet
#   udpshort   UDP length 4 (less than its own header)
#   frag       a whole datagram in two fragments (two frames each)
#   fragfirst  only the first fragment (never completed)
# Prints the number of frames written.
ml_forge() {
	xr_ns "$1" python3 -c '
import socket, struct, sys
ifc, dmac, to, kind, n = sys.argv[1:6]
src = sys.argv[6] if len(sys.argv) > 6 and sys.argv[6] else ""
ssrc = int(sys.argv[7], 0) if len(sys.argv) > 7 else 0x5bad0000
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifc, 0))
smac = s.getsockname()[4]
if not src:
    t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t.setsockopt(socket.SOL_SOCKET, 25, ifc.encode())     # SO_BINDTODEVICE
    t.connect((to.rsplit(":", 1)[0], 9)); src = t.getsockname()[0] + ":7000"
sh, sp = src.rsplit(":", 1); th, tp = to.rsplit(":", 1)
sa, da = socket.inet_aton(sh), socket.inet_aton(th)
eth = bytes.fromhex(dmac.replace(":", "")) + smac + b"\x08\x00"

def csum(b):
    if len(b) % 2: b += b"\0"
    c = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while c >> 16: c = (c & 0xffff) + (c >> 16)
    return ~c & 0xffff

def ip(body, ident, frag=0, totlen=None):
    tl = totlen if totlen is not None else 20 + len(body)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tl, ident, frag, 64, 17, 0, sa, da)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + body

def udp(data, ulen=None):
    ul = 8 + len(data)
    c = csum(sa + da + struct.pack("!BBH", 0, 17, ul) +
             struct.pack("!HHHH", int(sp), int(tp), ul, 0) + data) or 0xffff
    return struct.pack("!HHHH", int(sp), int(tp), ulen if ulen is not None else ul, c) + data

sent = 0
for i in range(int(n)):
    rtp = struct.pack("!BBHII", 0x80, 0, (5000 + i) & 0xffff, i * 160, ssrc) + bytes(160)
    ident = 0x4000 + i
    if kind == "rtp":
        frames = [ip(udp(rtp), ident)]
    elif kind == "iphdr":
        frames = [ip(udp(rtp), ident)[:12]]
    elif kind == "totlen":
        frames = [ip(udp(rtp), ident, totlen=20 + 8 + len(rtp) + 100)]
    elif kind == "udplen":
        frames = [ip(udp(rtp, ulen=8 + len(rtp) + 400), ident)]
    elif kind == "udpshort":
        frames = [ip(udp(rtp, ulen=4), ident)]
    elif kind in ("frag", "fragfirst"):
        d = udp(rtp)                      # 180 bytes: 96 + 84
        frames = [ip(d[:96], ident, 0x2000)]
        if kind == "frag":
            frames.append(ip(d[96:], ident, 96 // 8))
    else:
        sys.exit("ml_forge: unknown kind " + kind)
    for f in frames:
        s.send(eth + f); sent += 1
print(sent)
' "${@:2}"
}

# ml_sink NS BIND OUT : rtp.py receiving only on BIND (2 s of silence ends it).
ml_sink() {
	ml_rtp "$1" "$3" --bind "$2" --wait 2
	xr_wait_bound "$1" "${2##*:}" "${2%:*}"
}

# ml_mac NS IFACE : the MAC address of IFACE in host NS.
ml_mac() { ip -n "${XR_PFX}$1" -j link show "$2" | jpy 'd[0]["address"]'; }

# ml_udp NS BIND TO SIZE COUNT [SSRC] : COUNT plain UDP datagrams of SIZE
# bytes from BIND to TO, back to back (SIZE >= 12: RTP with SSRC, zeros after
# the header; smaller: zero bytes); prints how many the socket took.
ml_udp() {
	xr_ns "$1" python3 -c '
import socket, struct, sys
h, p = sys.argv[1].rsplit(":", 1); th, tp = sys.argv[2].rsplit(":", 1)
size, n = int(sys.argv[3]), int(sys.argv[4])
ssrc = int(sys.argv[5], 0) if len(sys.argv) > 5 else 0x5bad0000
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((h, int(p))); ok = 0
for i in range(n):
    d = bytes(size) if size < 12 else \
        struct.pack("!BBHII", 0x80, 0, i & 0xffff, i * 160, ssrc) + bytes(size - 12)
    try:
        s.sendto(d, (th, int(tp))); ok += 1
    except OSError:
        pass
print(ok)
' "${@:2}"
}
