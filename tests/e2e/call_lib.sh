# SPDX-License-Identifier: GPL-2.0
# tests/e2e/call_lib.sh - what the anchored-call tests (t_call_*.sh) and the
# demo share, on top of lib.sh, sip_lib.sh and media_lib.sh (sourced here):
# xrelayd as proxy + registrar + media anchor with XDP on all three relay
# interfaces, SIPp endpoints whose SDP names the port rtp.py then binds
# (-key rtp_port N; strict latching wants RTP from exactly that port), the
# call's media read back from `xrelayctl call show`, the SDP each SIPp
# received read from its message trace, RTP pushed through the call, and the
# "nothing left behind" check.  Source lib.sh first.
#
#   caller a 10.11.1.2 --- 10.11.1.1 xrelayd 10.11.2.1 --- 10.11.2.2 callee b
#                                    10.11.3.1 --- 10.11.3.2 second callee (m)

. "$XR_ROOT/tests/e2e/sip_lib.sh"
. "$XR_ROOT/tests/e2e/media_lib.sh"

CL_SCEN=$SIP_SCEN
# Where each host's SIPp listens, and the relay address that faces it.
declare -A CL_IP=([a]=$A4 [b]=$B4 [m]=$M4)
declare -A CL_RELAY=([a]=$RA4 [b]=$RB4 [m]=$RM4)

# cl_setup [xrelayd args...] : root, sipp, python3, bpftool; the topology;
# xrelayd serving example.com on all three sides, media anchored on them,
# XDP on eth-a, eth-b and eth-m (a media timeout long enough not to
# interfere unless the test sets its own).
cl_setup() {
	ml_need
	command -v sipp >/dev/null || xr_skip "sipp (sip-tester) missing"
	command -v bpftool >/dev/null || xr_skip "bpftool missing"
	CL_ARGS=(--sip "$RA4:5060" --sip "$RB4:5060" --domain example.com --media "$RA4"
		 --media "$RB4" --sip "$RM4:5060" --media "$RM4" "${ML_XDP_ARGS[@]}"
		 "${SIP_TRUSTED_ARGS[@]}")
	sip_setup --sip "$RM4:5060" --media "$RM4" "${ML_XDP_ARGS[@]}" "$@"
}

# cl_start HOST... : cl_setup (with CL_XARGS, extra xrelayd arguments, if
# set), XDP on every interface, bob registered from each HOST (b, m), each
# registration one check.
cl_start() {
	local h
	cl_setup ${CL_XARGS[@]+"${CL_XARGS[@]}"}
	cl_xdp_check
	for h in "$@"; do
		cl_register bob "$h"
		xr_ok "REGISTER bob from $h" [ $? -eq 0 ]
	done
}

# cl_restart [xrelayd args...] : stop xrelayd (it must exit 0) and start it
# again with cl_setup's arguments, CL_XARGS and these (registrations are gone).
cl_restart() {
	xr_ok "xrelayd stops cleanly" xr_daemon_stop
	xr_daemon_start "${CL_ARGS[@]}" ${CL_XARGS[@]+"${CL_XARGS[@]}"} "$@"
}

# cl_xdp_check : the three relay interfaces carry XDP (not the userspace fallback).
cl_xdp_check() {
	xr_eq "status: XDP on eth-a, eth-b, eth-m" \
		"$(xr_ctl --json status | jpy '[x["ifname"] for x in d["xdp"] if x["mode"] != "userspace"]')" \
		'["eth-a","eth-b","eth-m"]'
}

# cl_register USER HOST : USER@example.com registers HOST's SIPp (port 5060)
# through the relay address that faces HOST.
cl_register() {
	sipp_fg "$2" "reg-$1-$2" 15 -sf "$CL_SCEN/reg.xml" -s "$1" -i "${CL_IP[$2]}" -p 5060 \
		-t u1 -m 1 "${CL_RELAY[$2]}:5060"
}

# cl_sipp HOST NAME SECONDS SIPP-ARGS... : a SIPp in HOST in the background,
# bounded by -timeout and timeout(1), its SIP messages traced to
# $XR_TMP/NAME.msg (cl_sdp reads them), in directory CL_CWD if set; PID in
# CL_PID.  Reap with cl_reap.  SECONDS is a safety net only: a scenario
# never waits for a fixed time while the test works, it waits at its
# <recvCmd/> steps for the test's cl_go.  A scenario that has such steps
# gets `-3pcc` on 127.0.0.1 (its SIP port + 10000) in its host and a
# sipp_go.py that holds that connection, fed through the FIFO $XR_TMP/NAME.go.
cl_sipp() {
	local host=$1 name=$2 secs=$3 a prev= scen= port= go=(); shift 3
	for a in "$@"; do
		case $prev in -sf) scen=$a ;; -p) port=$a ;; esac
		prev=$a
	done
	if [ -n "$scen" ] && grep -q '^[[:space:]]*<recvCmd' "$scen"; then
		go=(-3pcc "127.0.0.1:$((port + 10000))")
		rm -f "$XR_TMP/$name.go"; mkfifo "$XR_TMP/$name.go"
	fi
	xr_bg "$host" "$XR_TMP/$name.out" env -C "${CL_CWD:-$PWD}" timeout -k 3 $((secs + 5)) sipp -nostdin \
		-timeout "${secs}s" -timeout_error -trace_err -error_file "$XR_TMP/$name.err" \
		-trace_msg -message_file "$XR_TMP/$name.msg" \
		-trace_stat -stf "$XR_TMP/$name.csv" -cp "$(xr_sipp_cp)" "${go[@]}" "$@"
	CL_PID=$XR_LAST_PID
	if [ ${#go[@]} -gt 0 ]; then
		xr_bg "$host" "$XR_TMP/$name.go.log" /usr/bin/python3 "$XR_ROOT/tests/e2e/sipp_go.py" \
			"127.0.0.1:$((port + 10000))" "$XR_TMP/$name.go"
	fi
}

# cl_msgs NAME DIR REGEX : how many messages SIPp NAME traced as DIR (sent or
# received) whose start line matches REGEX (SIPp flushes its trace a message
# at a time).
cl_msgs() {
	awk -v dir="$2" -v rx="$3" '
		/ message (sent|received)/ {
			want = index($0, " message " dir) > 0
			do { if ((getline) <= 0) break } while ($0 ~ /^[ \t\r]*$/)
			if (want && $0 ~ rx) n++
		}
		END { print n + 0 }' "$XR_TMP/$1.msg" 2>/dev/null || echo 0
}

# cl_go NAME DIR REGEX [N [CALL-ID...]] : SIPp NAME takes the next step of
# its scenario (past its <recvCmd/>) once it has traced N (1) messages of DIR
# whose start line matches REGEX, i.e. once it waits there: a command that
# came earlier would abort its call.  The calls are the CALL-IDs (default
# CL_CID, the last cl_uac's).  Waits 20 s at most; a failure is a check.
cl_go() {
	local name=$1 dir=$2 rx=$3 n=${4:-1} i got=0 cids
	shift 3; [ $# -gt 0 ] && shift
	cids=("$@"); [ ${#cids[@]} -gt 0 ] || cids=("$CL_CID")
	for i in $(seq 1 200); do
		got=$(cl_msgs "$name" "$dir" "$rx")
		[ "$got" -ge "$n" ] && break
		sleep 0.1
	done
	if [ "$got" -lt "$n" ]; then
		xr_ok "$name: waits for the test's go after $n x $dir /$rx/ (traced: $got)" false
		xr_log "$name's trace ends: $(tail -c 600 "$XR_TMP/$name.msg" 2>/dev/null | tr -d '\r' |
			paste -sd'|')"
		return 1
	fi
	timeout 5 sh -c 'f=$1; shift; printf "%s\n" "$@" >"$f"' _ "$XR_TMP/$name.go" "${cids[@]}" ||
		{ xr_ok "$name: the go reached its sipp_go.py" false; return 1; }
	return 0
}

# cl_uas NAME SCENARIO HOST RTP_PORT [sipp args] : a callee SIPp in HOST
# (b or m) on port 5060, its SDP offering RTP_PORT.  With <recvCmd/> steps
# (3PCC controller B: SIPp takes every new call as one it places) it is
# given the relay address facing HOST, where a UAS's messages go anyway.
cl_uas() {
	local name=$1 scen=$2 host=$3 port=$4 to=(); shift 4
	grep -q '^[[:space:]]*<recvCmd' "$CL_SCEN/$scen" && to=("${CL_RELAY[$host]}:5060")
	cl_sipp "$host" "$name" "${CL_UAS_SECS:-300}" -sf "$CL_SCEN/$scen" -i "${CL_IP[$host]}" \
		-p 5060 -t u1 -key rtp_port "$port" -m 1 "$@" "${to[@]}"
	xr_wait_bound "$host" 5060
}

# cl_uac NAME SCENARIO USER RTP_PORT [sipp args] : the caller SIPp in a
# calling USER@example.com through the relay, its SDP offering RTP_PORT.
# Its calls' Call-IDs are NAME-<n>@10.11.1.2; the first one is left in CL_CID.
cl_uac() {
	local name=$1 scen=$2 user=$3 port=$4; shift 4
	CL_CID="$name-1@$A4"
	cl_sipp a "$name" "${CL_UAC_SECS:-300}" -sf "$CL_SCEN/$scen" -i "$A4" -p 5070 -t u1 \
		-rsa "$RA4:5060" -s "$user" -key rtp_port "$port" -cid_str "$name-%u@%s" -m 1 "$@" \
		"$RA4:5060"
}

# cl_reap NAME PID [SECONDS] : wait for a background SIPp (20 s by default)
# and check it exited 0 (every call of its scenario completed); on failure
# its error trace is shown.
cl_reap() {
	local name=$1 pid=$2 rc
	sipp_reap "$pid" "${3:-20}"; rc=$?
	xr_eq "$name: SIPp ran its whole scenario (exit status)" "$rc" 0
	if [ "$rc" -ne 0 ]; then
		tail -n 15 "$XR_TMP/$name.err" 2>/dev/null | sed 's/^/#   /'
		tail -n 4 "$XR_TMP/$name.out" 2>/dev/null | sed 's/^/#   /'
	fi
}

# cl_calls : the `calls --json` array (an array, or {"calls": [...]}).
cl_calls() {
	xr_ctl --json calls 2>/dev/null | jpy 'd["calls"] if isinstance(d, dict) else d'
}

# cl_wait_call STATE [N] [SECONDS] : wait (5 s) until N (1) calls are listed,
# all in STATE; prints the ids, oldest first.  Returns 1 on time-out.
cl_wait_call() {
	local want=$1 n=${2:-1} secs=${3:-5} i ids
	for i in $(seq 1 $((secs * 10))); do
		ids=$(cl_calls | jpy '" ".join(str(c["id"]) for c in sorted(d, key=lambda c: c["id"])
			if c["state"] == s) if len(d) == int(n) and all(c["state"] == s for c in d) else ""' \
			s="$want" n="$n" 2>/dev/null)
		[ -n "$ids" ] && { echo "$ids"; return 0; }
		sleep 0.1
	done
	xr_log "calls: $(cl_calls 2>&1 | head -c 600)"
	return 1
}

# cl_first_call [SECONDS] : wait (5 s) until some call is listed; prints the
# lowest id.
cl_first_call() {
	local secs=${1:-5} i id
	for i in $(seq 1 $((secs * 10))); do
		id=$(cl_calls | jpy 'str(min(c["id"] for c in d)) if d else ""' 2>/dev/null)
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.1
	done
	return 1
}

# cl_show ID : `call show ID --json`.
cl_show() { xr_ctl --json call show "$1"; }

# cl_m ID EXPR [NAME=VALUE...] : EXPR (Python) over m, the first media stream
# of call ID (d is the whole call show document).
cl_m() {
	local id=$1 e=$2; shift 2
	cl_show "$id" 2>/dev/null | jpy "(lambda m: $e)((d.get('media') or [{}])[0])" "$@"
}

# cl_wait_media ID [SECONDS] : wait (5 s) until the call's first stream knows
# both parties (the answer went through); sets CL_SID (media session), CL_AR
# (caller's relay ADDR:PORT: where a sends), CL_BR (callee's).  1 on time-out.
cl_wait_media() {
	local id=$1 secs=${2:-5} i v
	CL_SID= CL_AR= CL_BR=
	for i in $(seq 1 $((secs * 10))); do
		v=$(cl_m "$id" '"%s %s %s" % (m["session"], m["caller"]["relay"], m["callee"]["relay"])
			if m.get("caller", {}).get("remote") and m.get("callee", {}).get("remote") else ""' \
			2>/dev/null)
		if [ -n "$v" ]; then
			read -r CL_SID CL_AR CL_BR <<<"$v"
			return 0
		fi
		sleep 0.1
	done
	xr_log "call show $id: $(cl_show "$id" 2>&1 | head -c 1500)"
	return 1
}

# cl_wait_m ID EXPR [SECONDS [NAME=VALUE...]] : wait (5 s) until EXPR (over
# m, as cl_m) is True.
cl_wait_m() {
	local id=$1 e=$2 secs=${3:-5} i
	shift 2; [ $# -gt 0 ] && shift
	for i in $(seq 1 $((secs * 10))); do
		[ "$(cl_m "$id" "bool($e)" "$@" 2>/dev/null)" = true ] && return 0
		sleep 0.1
	done
	xr_log "waited for [$e] on call $id: $(cl_show "$id" 2>&1 | jpy 'd.get("media")' 2>&1 | head -c 1500)"
	return 1
}

# cl_sdp NAME DIR [FIRST-LINE-REGEX] : the SDPs in SIPp NAME's message trace,
# DIR "received" or "sent", of the messages whose start line matches the
# regex; one line each: "<start line>|<c= addr>|<m= port>|<m= formats>|
# <a=rtcp value or ->|<direction attribute or ->|<every m= port, comma-separated>".
cl_sdp() {
	python3 - "$XR_TMP/$1.msg" "$2" "${3:-.}" <<'EOF'
import re, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # | head is fine
path, want, rx = sys.argv[1:4]
text = open(path, errors="replace").read() if __import__("os").path.exists(path) else ""
for blk in re.split(r"\n-{20,}[^\n]*\n", "\n" + text):
    lines = blk.replace("\r", "").split("\n")
    if not lines or want not in lines[0]:
        continue
    body = [l.strip() for l in lines[1:]]
    while body and not body[0]:
        body.pop(0)
    if not body or not re.search(rx, body[0]):
        continue
    if "v=0" not in body:
        continue
    sdp = body[body.index("v=0"):]
    c = [l[2:].split()[-1] for l in sdp if l.startswith("c=")]
    m = [l[2:].split() for l in sdp if l.startswith("m=")]
    rtcp = [l[7:] for l in sdp if l.startswith("a=rtcp:")]
    dirs = [l[2:] for l in sdp if l[2:] in ("sendrecv", "sendonly", "recvonly", "inactive")]
    print("%s|%s|%s|%s|%s|%s|%s" % (body[0], c[-1] if c else "-", m[0][1] if m else "-",
          " ".join(m[0][3:]) if m else "-", rtcp[0] if rtcp else "-", dirs[-1] if dirs else "-",
          ",".join(x[1] for x in m)))
EOF
}

# cl_sdp_check DESC NAME DIR REGEX ADDR PORT : the first SDP NAME got (DIR
# received) in a message whose start line matches REGEX points at ADDR:PORT
# (c= and m=) with a=rtcp PORT+1.
cl_sdp_check() {
	local desc=$1 l
	l=$(cl_sdp "$2" "$3" "$4" | head -n 1)
	xr_eq "$desc: c= and m= point at the relay ($5:$6)" "$(cut -d'|' -f2,3 <<<"$l")" "$5|$6"
	xr_eq "$desc: a=rtcp is the relay's RTCP port" "$(cut -d'|' -f5 <<<"$l" | cut -d' ' -f1)" \
		"$(($6 + 1))"
}

# cl_rtp LABEL A_BIND A_TO B_BIND B_TO COUNT WANT_A WANT_B [rtp.py args] :
# caller and callee send COUNT packets each at once; a must receive WANT_A
# (COUNT or 0) from A_TO, b WANT_B from B_TO, exact payloads.
cl_rtp() {
	local label=$1 abind=$2 ato=$3 bbind=$4 bto=$5 count=$6 wa=$7 wb=$8; shift 8
	local fa="$XR_TMP/$label.a.json" fb="$XR_TMP/$label.b.json" ea=(--wait 0.6) eb=(--wait 0.6)
	[ "$wa" -gt 0 ] && ea=(--expect "$wa" --wait 1)
	[ "$wb" -gt 0 ] && eb=(--expect "$wb" --wait 1)
	ml_rtp a "$fa" --bind "$abind" --to "$ato" --count "$count" --rate 500 --delay 0.8 "${ea[@]}" "$@"
	ml_rtp b "$fb" --bind "$bbind" --to "$bto" --count "$count" --rate 500 --delay 0.8 "${eb[@]}" "$@"
	ml_wait
	cl_rx_check "$label" "$fa" "$ato" "$wa" "$fb" "$bto" "$wb"
}

# cl_rx_check LABEL FA ATO WANT_A FB BTO WANT_B : what ml_check_rx checks,
# for both parties' rtp.py outputs in one python run (a loaded host makes
# many small ones slow): each got exactly WANT from the relay address it sent
# to, none missing, duplicated or damaged, the payloads the other one sent.
cl_rx_check() {
	local label=$1 desc got want
	while IFS='|' read -r desc got want; do
		[ "$desc" = "#" ] && { xr_log "$label: $got"; continue; }
		xr_eq "$label: $desc" "$got" "$want"
	done < <(python3 - "$@" <<'EOF'
import json, sys
_, fa, ato, wa, fb, bto, wb = sys.argv[1:8]
def load(f):
    try:
        return json.load(open(f))
    except Exception as e:
        return {"sent": 0, "received": 0, "sources": {}, "sent_sha256": "", "error": str(e)}
a, b = load(fa), load(fb)
for who, me, frm, want, peer in (("caller", a, ato, int(wa), b), ("callee", b, bto, int(wb), a)):
    src = me["sources"]
    print("#|%s: sent %d, got %d: %s" % (who, me["sent"], me["received"], ", ".join(
        "%s %d (seq %s-%s, pt %s, ssrc %s)" % (k, v["packets"], v["first_seq"], v["last_seq"],
        v.get("pts"), ",".join("%s:%d" % x for x in v.get("ssrc_packets", {}).items()))
        for k, v in src.items())) + ("  [%s]" % me["error"] if "error" in me else ""))
    if want == 0:
        print("%s <- relay: nothing received|%d|0" % (who, me["received"]))
        continue
    s = src.get(frm, {})
    print("%s <- relay: only from %s|%s|%s" % (who, frm, json.dumps(sorted(src), separators=(",", ":")),
          json.dumps([frm], separators=(",", ":"))))
    print("%s <- relay: packets|%s|%d" % (who, s.get("packets", ""), want))
    print("%s <- relay: none missing, duplicated or damaged|%s|0/0/0" % (who,
          "%s/%s/%s" % (s.get("missing"), s.get("dups"), s.get("bad_payload")) if s else ""))
    print("%s <- relay: exact payloads|%s|%s" % (who, s.get("sha256", ""), peer["sent_sha256"]))
EOF
)
}

# cl_rx_log LABEL FILE : one comment line: what rtp.py sent and got, per source.
cl_rx_log() {
	xr_log "$1: $(jpy '"sent %d, got %d: " % (d["sent"], d["received"]) + ", ".join(
		"%s %d (seq %s-%s, pt %s, ssrc %s)" % (k, v["packets"], v["first_seq"], v["last_seq"],
		v["pts"], ",".join("%s:%d" % x for x in v["ssrc_packets"].items()))
		for k, v in d["sources"].items())' <"$2" 2>&1)"
}

# cl_sink HOST BIND OUT : rtp.py only receiving on BIND (0.8 s of silence after
# 0.3 s ends it), in the background (ml_wait).
cl_sink() {
	ml_rtp "$1" "$3" --bind "$2" --wait "${CL_SINK_WAIT:-0.8}"
	xr_wait_bound "$1" "${2##*:}" "${2%:*}"
}
# cl_rx FILE : packets rtp.py received.
cl_rx() { jpy 'd["received"]' <"$1"; }

# cl_side_of SID ADDR:PORT : the flows side ("A" or "B") whose local RTP address is ADDR:PORT.
cl_side_of() {
	xr_ctl --json flows | jpy '[r["side"] for r in d if r["session"] == int(i) and r["leg"] == "rtp"
		and r["local"] == l][0]' i="$1" l="$2"
}

# cl_kp SID SIDE / cl_up SID SIDE : kernel / userspace packets relayed from
# SIDE's RTP leg of session SID (0 when there is no such row).
cl_kp() { local v; v=$(ml_kpkts "$1" "$2" rtp 2>/dev/null); echo "${v:-0}"; }
cl_up() { local v; v=$(ml_upkts "$1" "$2" rtp 2>/dev/null); echo "${v:-0}"; }

# cl_kernel_only DESC SID N [FLOWS] : each side's RTP leg of session SID
# relayed N packets, all but the latching ones (at most 5) in the kernel;
# FLOWS is a `flows --json` snapshot (default: taken now, once).
cl_kernel_only() {
	local desc=$1 sid=$2 n=$3 fl=${4:-} side k u
	[ -n "$fl" ] || fl=$(xr_ctl --json flows)
	while read -r side k u; do
		xr_eq "$desc: side $side rtp relayed once each (kernel $k + user $u)" "$((k + u))" "$n"
		xr_ok "$desc: side $side rtp: userspace relayed only the latching packet(s) ($u)" \
			test "$u" -ge 1 -a "$u" -le 5
	done < <(jpy '"\n".join("%s %d %d" % (s, sum((r["kernel"] or {}).get("packets", 0) for r in d
		if r["session"] == int(i) and r["side"] == s and r["leg"] == "rtp"),
		sum((r["userspace"] or {}).get("packets", 0) for r in d
		if r["session"] == int(i) and r["side"] == s and r["leg"] == "rtp")) for s in "AB")' \
		i="$sid" <<<"$fl")
}

# cl_ports_in_use : relay port pairs in use, over every --media address.
cl_ports_in_use() {
	xr_ctl --json stats | jpy 'sum(p["pairs_in_use"] for p in d["media"]["ports"])'
}

# cl_check_clean DESC : nothing left behind: no call, no media session, no
# flow row, an empty kernel flow map, every port pair free.
cl_check_clean() {
	local i n=
	for i in $(seq 1 30); do
		n=$(cl_calls | jpy 'len(d)' 2>/dev/null)
		[ "$n" = 0 ] && [ "$(xr_ctl --json status | jpy 'd["sessions"]')" = 0 ] && break
		sleep 0.1
	done
	xr_eq "$1: no call listed" "$n" 0
	xr_eq "$1: status shows 0 media sessions" "$(xr_ctl --json status | jpy 'd["sessions"]')" 0
	xr_eq "$1: media list empty" "$(xr_ctl --json media list | jpy 'len(d)')" 0
	xr_eq "$1: flows empty" "$(ml_nflows)" 0
	xr_eq "$1: kernel flow map empty (bpftool)" "$(ml_map_count)" 0
	xr_eq "$1: every port pair free" "$(cl_ports_in_use)" 0
}

# cl_ctl_batch : JSON lines on stdin ({"cmd":..., "args":...}) sent over one
# connection to the control socket; the replies' "result"s, one JSON line
# each (null for an error), on stdout.  For many `call show`s at once.
cl_ctl_batch() {
	python3 -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
for line in sys.stdin:
    if not line.strip():
        continue
    f.write(line.strip() + "\n"); f.flush()
    r = json.loads(f.readline())
    print(json.dumps(r.get("result") if r.get("ok") else None))
' "$XR_CTL"
}

# cl_media_all OUT : for every call listed, the first stream as one line of
# OUT: "<call id> <caller remote> <caller relay> <callee remote> <callee relay>".
cl_media_all() {
	cl_calls | python3 -c '
import json, sys
for c in json.load(sys.stdin):
    print(json.dumps({"cmd": "call.show", "args": {"id": c["id"]}}))' | cl_ctl_batch |
	python3 -c '
import json, sys
for line in sys.stdin:
    d = json.loads(line)
    if not d or not d.get("media"):
        continue
    m = d["media"][0]
    print(d["id"], m["caller"]["remote"], m["caller"]["relay"], m["callee"]["remote"],
          m["callee"]["relay"])' >"$1"
}
