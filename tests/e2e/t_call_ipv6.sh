#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_call_ipv6.sh - anchored calls over IPv6, and across families:
#   v6     caller fd11:1::2 -> callee fd11:2::2, SIP and media over IPv6: each
#          SDP names the relay's IPv6 address facing its receiver, RTP both
#          ways exact and in the kernel, nothing left after the BYE
#   4to6   an IPv4 caller calls a callee registered over IPv6: the caller's
#          SDP says IP4 10.11.1.1, the callee's IP6 fd11:2::1 (the family the
#          receiving side uses), RTP bridged both ways exact (by whichever
#          path can carry it), nothing left after the BYE
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/call_lib.sh"

cl_setup --sip "[$RA6]:5060" --sip "[$RB6]:5060" --media "$RA6" --media "$RB6"
cl_xdp_check
# SIPp writes [local_ip] in brackets for IPv6, which is no SDP address: these
# copies take the media address from [media_ip] (-mi) instead.
for s in call_uac call_uas; do
	sed 's/c=IN IP\[local_ip_type\] \[local_ip\]/c=IN IP[media_ip_type] [media_ip]/' \
		"$CL_SCEN/$s.xml" >"$XR_TMP/${s}_mi.xml"
done
sipp_fg b reg6 15 -sf "$CL_SCEN/reg.xml" -s bob -i "$B6" -p 5060 -t u1 -m 1 "[$RB6]:5060"
xr_ok "REGISTER bob from b over IPv6" [ $? -eq 0 ]
N=200

# call NAME CALLER_IP CALLER_RELAY_IP : a call from CALLER_IP (v4 or v6) to
# bob (registered over IPv6), RTP both ways, checks, BYE, nothing left.
call() {
	local name=$1 aip=$2 raip=$3 uas uac id ar br cs path ah bh
	ah=$aip bh=$B6
	[[ $aip == *:* ]] && ah="[$aip]"
	cl_sipp b "$name-uas" 40 -sf "$XR_TMP/call_uas_mi.xml" -i "$B6" -mi "$B6" -p 5060 -t u1 \
		-key rtp_port 5100 -m 1
	uas=$CL_PID
	sleep 0.3
	local proxy="$raip:5060"
	[[ $raip == *:* ]] && proxy="[$raip]:5060"
	cl_sipp a "$name-uac" 40 -sf "$XR_TMP/call_uac_mi.xml" -i "$aip" -mi "$aip" -p 5070 -t u1 \
		-rsa "$proxy" -s bob -key rtp_port 4100 -m 1 -d 8000 "$proxy"
	uac=$CL_PID
	id=$(cl_wait_call confirmed)
	xr_ok "$name: the call is confirmed" [ -n "$id" ]
	ar=
	if [ -n "$id" ] && cl_wait_media "$id"; then
		ar=$CL_AR br=$CL_BR
		xr_log "$name: call $id: a sends to $ar, b sends to $br"
		xr_eq "$name: the caller's relay address (its family, facing it)" "$(ml_host "$ar")" "$raip"
		xr_eq "$name: the callee's relay address (IPv6, facing it)" "$(ml_host "$br")" "$RB6"
		cl_rtp "$name" "$ah:4100" "$ar" "[$bh]:5100" "$br" $N $N $N
		cs=$(cl_show "$id")
		path=$(jpy '(lambda m: m["caller"]["path"] + " " + m["callee"]["path"])(d["media"][0])' <<<"$cs")
		xr_log "$name: call show paths: $path"
		if [ "$name" = v6 ]; then
			xr_eq "$name: both paths are the kernel" "$path" "kernel kernel"
			cl_kernel_only "$name" "$CL_SID" $N
		else
			xr_ok "$name: both parties' media is relayed (kernel or userspace: $path)" \
				[ "${path#*none*}" = "$path" ]
		fi
	else
		xr_ok "$name: the call's media is anchored (call show lists both parties)" false
	fi
	cl_reap "$name-uac" "$uac" 20
	cl_reap "$name-uas" "$uas" 10
	xr_eq "$name: the 200 the caller got names the relay (c=)" \
		"$(cl_sdp "$name-uac" received '^SIP/2.0 200' | cut -d'|' -f2)" "$raip"
	xr_eq "$name: the INVITE the callee got names the relay's IPv6 address (c=)" \
		"$(cl_sdp "$name-uas" received '^INVITE' | cut -d'|' -f2)" "$RB6"
	if [ -n "$ar" ]; then
		xr_eq "$name: ... at the callee's relay port (m=)" \
			"$(cl_sdp "$name-uas" received '^INVITE' | cut -d'|' -f3)" "$(ml_port "$br")"
		xr_eq "$name: ... and the caller's (m=)" \
			"$(cl_sdp "$name-uac" received '^SIP/2.0 200' | cut -d'|' -f3)" "$(ml_port "$ar")"
	fi
	cl_check_clean "$name: after the BYE"
}
call v6 "$A6" "$RA6"
call 4to6 "$A4" "$RA4"

xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
