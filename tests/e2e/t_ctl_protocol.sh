#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_ctl_protocol.sh - the control socket against a running xrelayd: protocol
# version 1 on the wire (codes, "v", "id"), malformed JSON answered and the
# connection kept, an oversized request answered and closed, a client that
# floods requests and never reads while others are served and SIP still
# answers, and who may connect: another uid is refused (by the socket's mode,
# and by SO_PEERCRED when the mode lets it through), a --ctl-group member
# (primary or supplementary) is let in.
. "$(dirname "$0")/lib.sh"

xr_need_root
command -v python3 >/dev/null || xr_skip "python3 missing"
command -v setpriv >/dev/null || xr_skip "setpriv (util-linux) missing"
command -v sipp >/dev/null || xr_skip "sipp (sip-tester) missing"
[ -x "$XR_BUILD/xrelayd" ] && [ -x "$XR_BUILD/xrelayctl" ] || xr_skip "make first"
GROUP=$(getent group 1 | cut -d: -f1)
[ -n "$GROUP" ] || xr_skip "no group with gid 1"
NOBODY=65534

xr_topology
chmod 755 "$XR_TMP"	# other uids may reach the socket file; its mode decides
xr_daemon_start --media $RA4 --media $RB4 --sip $RA4:5060 --domain example.com \
	--ctl-group "$GROUP"

# ctl_py SCRIPT : python3 in the relay host with S, a connected socket, and
# helpers ask(obj|bytes) -> the reply object, line() -> the next reply.
ctl_py() {
	xr_ns r python3 -c '
import json, socket, sys, time
S = socket.socket(socket.AF_UNIX)
S.settimeout(10)
S.connect(sys.argv[1])
F = S.makefile("rb")
def line():
    l = F.readline()
    return json.loads(l) if l else None
def closed():
    # EOF, or a reset: a unix socket closed with our bytes unread resets
    try:
        return F.readline() == b""
    except ConnectionResetError:
        return True
def ask(req):
    S.sendall(req if isinstance(req, bytes) else json.dumps(req).encode() + b"\n")
    return line()
'"$1" "$XR_CTL"
}

quiet() { "$@" >/dev/null; }

xr_ok "the socket is 0660 and owned by the --ctl-group" \
	[ "$(stat -c '%a %G' "$XR_CTL")" = "660 $GROUP" ]

xr_ok "v1 replies: v, ok, result; id copied; no v means 1" ctl_py '
r = ask({"v": 1, "cmd": "status", "id": "a1"})
assert r["v"] == 1 and r["ok"] is True and r["id"] == "a1", r
assert r["result"]["pid"] > 0 and "code" not in r, r
r = ask({"cmd": "status"})
assert r["v"] == 1 and r["ok"] is True and "id" not in r, r'

xr_ok "errors carry an errno name and one line, the connection stays" ctl_py '
want = [(b"{not json\n", "EBADMSG"), (b"[1, 2]\n", "EINVAL"),
        (b"{\"cmd\": 5}\n", "EINVAL"), (b"{\"cmd\": \"frob\"}\n", "ENOSYS"),
        (b"{\"v\": 2, \"cmd\": \"status\"}\n", "EPROTONOSUPPORT"),
        (b"{\"cmd\": \"media.delete\", \"args\": {\"id\": 4242}}\n", "ENOENT"),
        (b"{\"cmd\": \"media.create\", \"args\": {\"a\": \"x\"}}\n", "EINVAL"),
        (b"\xff\xfe\x00garbage\n", "EBADMSG")]
for req, code in want:
    r = ask(req)
    assert r["ok"] is False and r["v"] == 1 and r["code"] == code, (req, r)
    assert r["error"] and "\n" not in r["error"], r
r = ask({"cmd": "status"})
assert r["ok"] is True, r'

xr_ok "a request over 64 KiB without a newline: EMSGSIZE, then closed" ctl_py '
S.sendall(b"{\"cmd\": \"" + b"x" * 70000)
r = line()
assert r["ok"] is False and r["code"] == "EMSGSIZE", r
assert closed(), "still open"'

xr_ok "a complete line over 64 KiB: EMSGSIZE, then closed" ctl_py '
S.sendall(b"{\"cmd\": \"status\", \"pad\": \"" + b"y" * 70000 + b"\"}\n")
r = line()
assert r["ok"] is False and r["code"] == "EMSGSIZE", r
assert closed(), "still open"'

xr_ok "several requests in one write, answered in order" ctl_py '
S.sendall(b"".join(json.dumps({"cmd": "status", "id": i}).encode() + b"\n" for i in range(50)))
for i in range(50):
    r = line()
    assert r["ok"] and r["id"] == i, (i, r)'

# A client that floods `metrics` and never reads: it must not stall anyone.
xr_bg r "$XR_TMP/hog.log" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.setblocking(False)
req = b"{\"cmd\": \"metrics\"}\n" * 200
end = time.time() + 30
while time.time() < end:
    try:
        s.send(req)
    except BlockingIOError:
        time.sleep(0.05)
    except OSError:
        break
' "$XR_CTL"
hog=$XR_LAST_PID
sleep 1
t0=$(date +%s%N)
xr_ok "another client is served while one never reads" quiet xr_ctl status
t1=$(date +%s%N)
xr_ok "... at once (under 2 s)" [ $(((t1 - t0) / 1000000)) -lt 2000 ]
xr_ok "... and SIP still answers (OPTIONS)" \
	timeout 20 ip netns exec "${XR_PFX}a" sipp -nostdin -timeout 10s -timeout_error \
	-sf "$XR_ROOT/tests/e2e/sipp/options0.xml" -i $A4 -p 5070 -m 1 $RA4:5060 \
	>"$XR_TMP/options.out" 2>&1
rss=$(awk '/VmRSS/ {print $2}' /proc/$XR_DAEMON_PID/status)
xr_ok "... and the daemon's memory stays bounded (VmRSS $rss kB < 200 MB)" [ "$rss" -lt 200000 ]
kill "$hog" 2>/dev/null; wait "$hog" 2>/dev/null
xr_ok "the flooding client gone, the daemon still serves" quiet xr_ctl status

# Who may connect.
as_user() {	# as_user SETPRIV-ARGS... -- XRELAYCTL-ARGS...
	local sp=()
	while [ "$1" != -- ]; do sp+=("$1"); shift; done; shift
	xr_ns r setpriv "${sp[@]}" "$XR_BUILD/xrelayctl" -s "$XR_CTL" "$@"
}
gid=$(getent group "$GROUP" | cut -d: -f3)
out=$(as_user --reuid=$NOBODY --regid=$NOBODY --clear-groups -- status 2>&1); rc=$?
xr_eq "nobody: refused (exit 1)" "$rc" 1
xr_ok "nobody: the socket's mode keeps it out ($out)" grep -q "Permission denied" <<<"$out"
chmod 666 "$XR_CTL"
out=$(as_user --reuid=$NOBODY --regid=$NOBODY --clear-groups -- status 2>&1); rc=$?
xr_eq "nobody, socket opened up: refused by SO_PEERCRED (exit 1)" "$rc" 1
xr_ok "... with the reason ($out)" grep -q "uid $NOBODY .*may not use the control socket" <<<"$out"
xr_eq "... on one line" "$(wc -l <<<"$out")" 1
xr_ok "... and the daemon logged it" grep -q "refused a control client: uid $NOBODY" \
	"$XR_TMP/xrelayd.log"
xr_ok "raw: the refusal is a v1 EPERM reply, then the socket closes" \
	xr_ns r setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups /usr/bin/python3 -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
f = s.makefile("rb"); r = json.loads(f.readline())
assert r == {"v": 1, "ok": False, "code": "EPERM", "error": r["error"]}, r
try:
    assert f.readline() == b""
except ConnectionResetError:
    pass' "$XR_CTL"
chmod 660 "$XR_CTL"
out=$(as_user --reuid=$NOBODY --regid=$NOBODY --groups=$gid -- --json status 2>&1); rc=$?
xr_eq "a supplementary member of --ctl-group is let in" "$rc" 0
xr_ok "... and answered" python3 -c 'import json,sys; assert json.loads(sys.argv[1])["pid"] > 0' "$out"
out=$(as_user --reuid=$NOBODY --regid=$gid --clear-groups -- status 2>&1); rc=$?
xr_eq "a primary member of --ctl-group is let in" "$rc" 0
xr_ok "root is let in" quiet xr_ctl status
xr_ok "xrelayd stops cleanly" xr_daemon_stop
xr_done
