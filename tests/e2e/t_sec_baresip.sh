#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_sec_baresip.sh - real clients, nothing trusted (issue 13): two baresip
# phones, alice in a and bob in b, register with their passwords (digest,
# HA1s in the credentials file) through xrelayd; alice calls bob, bob's
# phone answers by itself (answermode=auto), audio (PCMU from a generated
# wav, aufile) flows both ways; the call is confirmed, both sides latched,
# and the kernel (XDP) carried most packets both ways; alice hangs up and
# nothing is left.  baresip runs headless (no sound card: aufile source,
# aubridge player), driven over its ctrl_tcp interface (netstring JSON on
# 127.0.0.1:4444 in its own host).
SIP_TRUSTED_ARGS=()
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/call_lib.sh"

command -v baresip >/dev/null || xr_skip "baresip missing (apt-get install baresip)"
[ -f /usr/lib/baresip/modules/ctrl_tcp.so ] || xr_skip "baresip's ctrl_tcp module missing"

declare -A PW=([alice]=alice-phone-pw [bob]=bob-phone-pw)
CRED=$XR_TMP/credentials
for u in alice bob; do
	echo "$u example.com MD5:$(printf %s "$u:example.com:${PW[$u]}" | md5sum | cut -d' ' -f1)"
done >"$CRED"
# MD5 only: baresip 1.0.0's libre gives up (ENOSYS) on a 401 holding any
# challenge of another algorithm, SHA-256 included.
cl_setup --credentials "$CRED" --auth-algorithms MD5
cl_xdp_check

# 20 s of a 8 kHz mono tone: what each phone sends (aufile reads it once).
WAV=$XR_TMP/tone.wav
python3 - "$WAV" <<'EOF'
import math, struct, sys, wave
w = wave.open(sys.argv[1], "wb")
w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000)))
                       for i in range(8000 * 20)))
w.close()
EOF

# bs_start HOST USER ADDR RELAY : USER's baresip in HOST, SIP on ADDR:5060,
# everything sent through the relay address RELAY (outbound proxy).
bs_start() {
	local host=$1 user=$2 addr=$3 relay=$4 dir=$XR_TMP/baresip-$1
	mkdir -p "$dir"
	cat >"$dir/config" <<EOF
poll_method		epoll
sip_listen		$addr:5060
call_local_timeout	60
call_max_calls		2
audio_path		$dir
audio_source		aufile,$WAV
audio_player		aubridge,sink-$host
audio_alert		aubridge,alert-$host
ausrc_srate		8000
auplay_srate		8000
ausrc_channels		1
auplay_channels		1
rtp_ports		20000-20100
rtcp_mux		no
jitter_buffer_delay	5-10
dns_server		127.0.0.1:53
module_path		/usr/lib/baresip/modules
module			g711.so
module			aufile.so
module			aubridge.so
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:4444
EOF
	printf '<sip:%s@example.com;transport=udp>;auth_pass=%s;outbound="sip:%s:5060;transport=udp";regint=600;answermode=%s;audio_codecs=PCMU;medianat=;mediaenc=\n' \
		"$user" "${PW[$user]}" "$relay" "$5" >"$dir/accounts"
	xr_bg "$host" "$XR_TMP/baresip-$host.log" timeout -k 3 120 baresip -f "$dir"
	BS_PID[$host]=$XR_LAST_PID
	xr_wait_bound "$host" 4444 127.0.0.1
}

# bs_cmd HOST COMMAND [PARAMS] : one ctrl_tcp command to HOST's baresip;
# prints its response's data, returns 0 if it answered ok.
bs_cmd() {
	xr_ns "$1" /usr/bin/python3 - "$2" "${3:-}" <<'EOF'
import json, socket, sys
cmd, params = sys.argv[1:3]
s = socket.create_connection(("127.0.0.1", 4444), timeout=5)
m = json.dumps({"command": cmd, "params": params, "token": "t1"}).encode()
s.sendall(b"%d:%s," % (len(m), m))
buf = b""
while True:
    while True:
        i = buf.find(b":")
        if i < 0:
            break
        n = int(buf[:i])
        if len(buf) < i + 1 + n + 1:
            break
        msg = json.loads(buf[i + 1:i + 1 + n]); buf = buf[i + 2 + n:]
        if msg.get("response") and msg.get("token") == "t1":
            print(msg.get("data", ""))
            sys.exit(0 if msg.get("ok") else 1)
    d = s.recv(4096)
    if not d:
        sys.exit(2)
    buf += d
EOF
}

# wait_bindings N : until the registrar holds N bindings (15 s).
wait_bindings() {
	local i
	for i in $(seq 1 150); do
		[ "$(xr_ctl --json stats | jpy 'd["sip"]["bindings"]')" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

declare -A BS_PID=()
bs_start b bob "$B4" "$RB4" auto
bs_start a alice "$A4" "$RA4" manual
xr_ok "alice's and bob's baresip register with their passwords (2 bindings)" wait_bindings 2
xr_ok "... each after a digest challenge" \
	[ "$(xr_ctl --json stats | jpy 'd["sip"]["access"]["auth_challenges"]')" -ge 2 ]

xr_ok "alice dials bob (ctrl_tcp)" bs_cmd a dial "sip:bob@example.com" >/dev/null
id=$(cl_wait_call confirmed 1 15) || id=
xr_ok "the call is confirmed (bob's phone answered by itself)" [ -n "$id" ]
if [ -n "$id" ] && cl_wait_media "$id" 10; then
	xr_ok "both sides latched" cl_wait_m "$id" \
		'm["caller"].get("latched") and m["callee"].get("latched")' 10
	# Audio both ways, mostly in the kernel: 100 packets (2 s at 20 ms) each way.
	k_ok() {
		local a b
		a=$(cl_side_of "$CL_SID" "$CL_AR" 2>/dev/null) && b=$(cl_side_of "$CL_SID" "$CL_BR" 2>/dev/null) || return 1
		[ "$(cl_kp "$CL_SID" "$a")" -ge 100 ] && [ "$(cl_kp "$CL_SID" "$b")" -ge 100 ]
	}
	for i in $(seq 1 40); do k_ok && break; sleep 0.3; done	# 12 s at most
	fl=$(xr_ctl --json flows)
	for side in A B; do
		k=$(jpy 'sum((r["kernel"] or {}).get("packets", 0) for r in d if r["session"] == int(i)
			and r["side"] == s and r["leg"] == "rtp")' i="$CL_SID" s=$side <<<"$fl")
		u=$(jpy 'sum((r["userspace"] or {}).get("packets", 0) for r in d if r["session"] == int(i)
			and r["side"] == s and r["leg"] == "rtp")' i="$CL_SID" s=$side <<<"$fl")
		xr_ge "side $side: XDP relayed the audio" "$k" 100
		xr_ok "side $side: kernel packets ($k) well above userspace ones ($u)" [ "$k" -ge $((10 * u)) ]
	done
else
	xr_ok "the call's media is anchored" false
	xr_log "alice: $(tail -n 20 "$XR_TMP/baresip-a.log" | paste -sd'|')"
	xr_log "bob: $(tail -n 20 "$XR_TMP/baresip-b.log" | paste -sd'|')"
fi
xr_ok "alice hangs up (ctrl_tcp)" bs_cmd a hangup >/dev/null
cl_check_clean "after alice's BYE"
# Both phones quit (ctrl_tcp "quit", unregistering) and end by themselves.
for h in a b; do bs_cmd $h quit >/dev/null 2>&1; done
for h in a b; do
	for i in $(seq 1 50); do kill -0 "${BS_PID[$h]}" 2>/dev/null || break; sleep 0.1; done
	xr_ok "baresip in $h quits" eval '! kill -0 "${BS_PID[$h]}" 2>/dev/null'
done
if [ "$XR_FAIL" -gt 0 ]; then
	for h in a b; do
		echo "---- baresip in $h (last 30 lines)"; tail -n 30 "$XR_TMP/baresip-$h.log"
	done
fi
xr_done
