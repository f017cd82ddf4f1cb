#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_guard_ban.sh - the blocklist and the SIP rate limit (daemon/guard): a
# host (m) flooding SIP OPTIONS goes over --pike-rate and is banned for
# --ban-time; from then on XDP drops everything it sends (SIP, media, ping)
# at the driver (drop_banned) while a legitimate caller's call with RTP
# still works; the ban expires and m gets through again; `xrelayctl ban
# add|list|del` bans and lifts a prefix (IPv4 and IPv6) at once, refuses
# loopback, trusted peers and bad prefixes.
source "$(dirname "$0")/lib.sh"
# a and b are trusted peers (never banned); m is anybody.
SIP_TRUSTED_ARGS=(--trusted 10.11.1.0/24 --trusted 10.11.2.0/24 --trusted fd11:1::/64
		  --trusted fd11:2::/64)
source "$(dirname "$0")/call_lib.sh"

BAN_S=10
cl_setup --pike-rate 20 --pike-burst 20 --ban-time $BAN_S
cl_xdp_check
cl_register bob b
xr_ok "REGISTER bob from b" [ $? -eq 0 ]

# sip_flood N : N SIP OPTIONS from m (one UDP socket, port 5999) to the relay,
# back to back; prints how many left the socket.
sip_flood() {
	xr_ns m python3 -c '
import socket, sys
n, src, dst = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 5999)); ok = 0
for i in range(n):
    m = ("OPTIONS sip:example.com SIP/2.0\r\n"
         "Via: SIP/2.0/UDP %s:5999;branch=z9hG4bK-flood-%d\r\n"
         "Max-Forwards: 70\r\nFrom: <sip:m@%s>;tag=f%d\r\nTo: <sip:example.com>\r\n"
         "Call-ID: flood-%d@%s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
         % (src, i, src, i, i, src)).encode()
    try:
        s.sendto(m, (dst, 5060)); ok += 1
    except OSError:
        pass
print(ok)
' "$1" "$M4" "$RM4"
}

# fails CMD... : CMD exits non-zero.
fails() { ! "$@"; }

# banned PREFIX : PREFIX is in `ban list` (prints its reason).
banned() { xr_ctl --json ban list | jpy '[b["reason"] for b in d["bans"] if b["prefix"] == p][0]' p="$1"; }
# wait_ban PREFIX present|absent SECONDS : bounded poll (0.2 s steps).
wait_ban() {
	local i
	for i in $(seq 1 $(( $3 * 5 ))); do
		if [ "$2" = present ]; then banned "$1" >/dev/null 2>&1 && return 0
		else banned "$1" >/dev/null 2>&1 || return 0; fi
		sleep 0.2
	done
	return 1
}

# ---- the flood: banned by the rate limit, then dropped in XDP.
d0=$(ml_counter drop_banned)
xr_eq "flood: m sent 300 OPTIONS" "$(sip_flood 300)" 300
xr_ok "flood: m banned within 2 s" wait_ban "$M4/32" present 2
xr_eq "flood: the ban's reason is the rate limit" "$(banned "$M4/32")" pike
# Most of the flood was in the relay's socket before the ban landed.
xr_log "flood: XDP dropped $(( $(ml_counter drop_banned) - d0 )) of the 300 once the ban landed"
xr_ge "flood: pike counted requests over the rate" \
	"$(xr_ctl --json ban list | jpy 'd["pike"]["limited"]')" 1
xr_ok "flood: logged" grep -q "$M4: over 20 SIP requests/s (burst 20): banned for $BAN_S s" \
	"$XR_TMP/xrelayd.log"
# Everything from m is dropped at the driver: SIP, media, ping.
d0=$(ml_counter drop_banned)
xr_eq "banned: m's 50 datagrams left its socket" "$(ml_udp m "$M4:7000" "$RM4:5060" 100 50)" 50
xr_ok "banned: m cannot even ping the relay" fails xr_ns m ping -c 2 -i 0.2 -W 1 -q "$RM4"
xr_ge "banned: XDP dropped them (drop_banned +52: 50 + 2 pings)" \
	"$(( $(ml_counter drop_banned) - d0 ))" 52

# ---- a legitimate caller's call (with RTP through XDP) while m is banned.
cl_uas guard-uas call_uas.xml b 5100; uas=$CL_PID
cl_uac guard-uac call_uac.xml bob 4100; uac=$CL_PID
id=$(cl_wait_call confirmed)
xr_ok "legitimate: the call is confirmed" [ -n "$id" ]
if [ -n "$id" ] && cl_wait_media "$id"; then
	cl_rtp guard "$A4:4100" "$CL_AR" "$B4:5100" "$CL_BR" 100 100 100
fi
cl_go guard-uac sent '^ACK'
cl_reap guard-uac "$uac" 20
cl_reap guard-uas "$uas" 20

# ---- the ban expires: m gets through again.
xr_ok "expiry: the ban is gone within $((BAN_S + 3)) s" wait_ban "$M4/32" absent $((BAN_S + 3))
xr_ok "expiry: logged" grep -q "ban on $M4/32 expired" "$XR_TMP/xrelayd.log"
d0=$(ml_counter drop_banned)
xr_ok "expiry: m can ping the relay again" xr_ns m ping -c 2 -i 0.2 -W 1 -q "$RM4"
xr_eq "expiry: nothing dropped as banned" "$(( $(ml_counter drop_banned) - d0 ))" 0
xr_eq "expiry: the kernel blocklist is empty (bpftool)" \
	"$(bpftool -j map dump pinned "$XR_PIN/xr_bans" 2>/dev/null | jpy 'len(d)')" 0

# ---- xrelayctl ban: add, list, del; v4 prefix and v6 address.
xr_ok "ctl: ban add $M4/24 60" xr_ctl ban add "10.11.3.0/24" 60
xr_ok "ctl: ban add [$M6] (no time: --ban-time)" xr_ctl ban add "[$M6]"
xr_eq "ctl: ban list" \
	"$(xr_ctl --json ban list | jpy '[(b["prefix"], b["reason"], b["expires_in"]) for b in d["bans"]]')" \
	"[[\"10.11.3.0/24\",\"manual\",60],[\"$M6/128\",\"manual\",$BAN_S]]"
ban_table() { xr_ctl ban list | grep -q "$1"; }
xr_ok "ctl: ban list (table)" ban_table '^10.11.3.0/24  *manual' 

d0=$(ml_counter drop_banned)
xr_ok "ctl: m cannot ping over IPv4" fails xr_ns m ping -c 2 -i 0.2 -W 1 -q "$RM4"
xr_ok "ctl: m cannot ping over IPv6" fails xr_ns m ping -6 -c 2 -i 0.2 -W 1 -q "$RM6"
xr_ge "ctl: XDP dropped both (drop_banned)" "$(( $(ml_counter drop_banned) - d0 ))" 4
xr_ok "ctl: ban del 10.11.3.0/24" xr_ctl ban del 10.11.3.0/24
xr_ok "ctl: m can ping over IPv4 again" xr_ns m ping -c 1 -W 1 -q "$RM4"
xr_ok "ctl: ban del of a prefix not banned fails" fails xr_ctl ban del 10.11.3.0/24
xr_ok "ctl: loopback is never banned" fails xr_ctl ban add 127.0.0.1
xr_ok "ctl: a trusted peer is never banned" fails xr_ctl ban add "$A4"
xr_ok "ctl: nor a prefix holding one" fails xr_ctl ban add 10.11.0.0/16
xr_ok "ctl: nor one inside a trusted prefix (IPv6)" fails xr_ctl ban add "[$B6]"
xr_ok "ctl: a bad prefix is refused" fails xr_ctl ban add 10.11.3.0/40
xr_ok "ctl: ban del [$M6]" xr_ctl ban del "$M6"
xr_eq "ctl: nothing banned" "$(xr_ctl --json ban list | jpy 'len(d["bans"])')" 0

xr_ok "SIGTERM: xrelayd exits 0" xr_daemon_stop
xr_done
