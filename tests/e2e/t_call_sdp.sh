#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_call_sdp.sh - SDP shapes the anchor must carry (RFC 3264, 5761, 2046),
# each in a real call with RTP through the relay:
#   mux        audio with a=rtcp-mux (RTCP on the RTP port, both ways through
#              the relay's one port) and a video line the callee rejects
#              (m=video 0 reaches the caller as 0; no session, no ports kept)
#   multipart  an INVITE whose body is multipart/mixed (text/plain + SDP): the
#              SDP part is rewritten, the other part arrives unchanged,
#              Content-Length matches the new body; RTP both ways
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/call_lib.sh"

cl_start b
N=100

# ---- rtcp-mux and a rejected stream
cl_uas mux-uas call_uas_mux.xml b 5100; uas=$CL_PID
cl_uac mux-uac call_uac_mux.xml bob 4100 -key rtp_port2 4200; uac=$CL_PID
id=$(cl_wait_call confirmed)
xr_ok "mux: the call is confirmed" [ -n "$id" ]
ar=
if [ -n "$id" ] && cl_wait_media "$id"; then
	ar=$CL_AR br=$CL_BR sid=$CL_SID
	cs=$(cl_show "$id")
	xr_eq "mux: call show: the audio stream, and the video stream rejected" \
		"$(jpy '[(m["type"], bool(m.get("rejected"))) for m in d["media"]]' <<<"$cs")" \
		'[["audio",false],["video",true]]'
	xr_eq "mux: one media session (the rejected stream has none)" \
		"$(xr_ctl --json status | jpy 'd["sessions"]')" 1
	cl_rtp mux "$A4:4100" "$ar" "$B4:5100" "$br" $N $N $N
	# RTCP from and to the RTP ports (rtcp-mux).
	cl_rtp mux-rtcp "$A4:4100" "$ar" "$B4:5100" "$br" 30 30 30 --rtcp
	cl_kernel_only mux "$sid" $((N + 30))
else
	xr_ok "mux: the call's media is anchored (call show lists both parties)" false
fi
cl_go mux-uac sent '^ACK'
cl_reap mux-uac "$uac" 20
cl_reap mux-uas "$uas" 10
l=$(cl_sdp mux-uac received '^SIP/2.0 200')
xr_log "mux: the 200 the caller got: $l"
xr_eq "mux: the caller's 200: m=video stays rejected (port 0)" "$(cut -d'|' -f7 <<<"$l" | cut -d, -f2)" 0
if [ -n "$ar" ]; then
	xr_eq "mux: the caller's 200: audio at the relay's port" "$(cut -d'|' -f2,3 <<<"$l")" \
		"$RA4|$(ml_port "$ar")"
	xr_eq "mux: the caller's 200: a=rtcp names the RTP port itself (mux)" \
		"$(cut -d'|' -f5 <<<"$l" | cut -d' ' -f1)" "$(ml_port "$ar")"
	xr_eq "mux: the callee's INVITE: a=rtcp names the RTP port itself (mux)" \
		"$(cl_sdp mux-uas received '^INVITE' | cut -d'|' -f5 | cut -d' ' -f1)" "$(ml_port "$br")"
fi
xr_eq "mux: a=rtcp-mux kept both ways" \
	"$(grep -c '^a=rtcp-mux' "$XR_TMP/mux-uac.msg") $(grep -c '^a=rtcp-mux' "$XR_TMP/mux-uas.msg")" \
	"2 2"
cl_check_clean "mux"

# ---- multipart/mixed
cl_uas mp-uas call_uas.xml b 5100; uas=$CL_PID
cl_uac mp-uac call_uac_multipart.xml bob 4100; uac=$CL_PID
id=$(cl_wait_call confirmed)
xr_ok "multipart: the call is confirmed" [ -n "$id" ]
br=
if [ -n "$id" ] && cl_wait_media "$id"; then
	br=$CL_BR
	cl_rtp multipart "$A4:4100" "$CL_AR" "$B4:5100" "$CL_BR" $N $N $N
else
	xr_ok "multipart: the call's media is anchored (call show lists both parties)" false
fi
cl_go mp-uac sent '^ACK'
cl_reap mp-uac "$uac" 20
cl_reap mp-uas "$uas" 10
# The INVITE as the callee got it, from its message trace.
python3 - "$XR_TMP/mp-uas.msg" >"$XR_TMP/mp.check" <<'EOF'
import re, sys
text = open(sys.argv[1], "rb").read().decode("latin-1")
for blk in re.split(r"\n-{20,}[^\n]*\n", "\n" + text):
    head, _, msg = blk.partition("\n\n")
    if "received" not in head or not msg.startswith("INVITE "):
        continue
    hdrs, _, body = msg.replace("\r\n", "\n").partition("\n\n")
    cl = int(re.search(r"(?im)^Content-Length:\s*(\d+)", hdrs).group(1))
    ct = re.search(r"(?im)^Content-Type:\s*(.*)$", hdrs).group(1).strip()
    # The trace adds line breaks after the message; the body itself ends
    # with the closing delimiter.
    end = body.find("--xr-boundary-42--")
    wire = body[:end + len("--xr-boundary-42--")] if end >= 0 else body
    print("ctype", ct)
    print("length", cl, len(wire.replace("\n", "\r\n")) + 2)   # + the CRLF after the delimiter
    print("text", "xrelay e2e: this part is not SDP and must arrive unchanged" in body)
    print("parts", body.count("--xr-boundary-42"))
    break
EOF
cat "$XR_TMP/mp.check" | sed 's/^/# /'
xr_eq "multipart: the callee got a multipart/mixed body" \
	"$(awk '$1 == "ctype" { print $2 }' "$XR_TMP/mp.check")" "multipart/mixed;boundary=xr-boundary-42"
xr_eq "multipart: the text/plain part arrived unchanged" \
	"$(awk '$1 == "text" { print $2 }' "$XR_TMP/mp.check")" True
xr_eq "multipart: both delimiters and the closing one are there" \
	"$(awk '$1 == "parts" { print $2 }' "$XR_TMP/mp.check")" 3
xr_ok "multipart: Content-Length is the new body's length ($(awk '$1 == "length" { print $2 " vs " $3 }' "$XR_TMP/mp.check"))" \
	awk '$1 == "length" { exit !($2 == $3) }' "$XR_TMP/mp.check"
xr_eq "multipart: the SDP part names the relay (c=)" \
	"$(cl_sdp mp-uas received '^INVITE' | cut -d'|' -f2)" "$RB4"
[ -n "$br" ] && xr_eq "multipart: ... and the callee's relay port (m=)" \
	"$(cl_sdp mp-uas received '^INVITE' | cut -d'|' -f3)" "$(ml_port "$br")"
cl_check_clean "multipart"

xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
