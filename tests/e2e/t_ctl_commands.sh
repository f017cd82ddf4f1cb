#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# t_ctl_commands.sh - every xrelayctl command against a running xrelayd (XDP
# on, a registered callee, an anchored call with RTP flowing), in both output
# forms: the JSON parsed and checked field by field, the human form checked
# for its sections and values.  help and --help for each command; `metrics`
# through a strict exposition checker (tests/tools/promcheck.py) and promtool
# when installed; errors exit non-zero with one line on stderr.
. "$(dirname "$0")/lib.sh"
. "$XR_ROOT/tests/e2e/call_lib.sh"

PROMCHECK="$XR_ROOT/tests/tools/promcheck.py"
cl_setup
cl_xdp_check

# A JSON check: python3 over d (the document in $2) must not raise.
jcheck() {	# jcheck DESC JSON PYTHON
	xr_ok "$1" python3 -c 'import json, sys
d = json.loads(sys.argv[1])
exec(sys.argv[2])' "$2" "$3"
}
has() { grep -q -- "$2" <<<"$1"; }	# has TEXT REGEX
quiet() { "$@" >/dev/null 2>&1; }
# fails_one_line DESC WANT-STATUS ARGS... : xrelayctl exits WANT-STATUS with
# nothing on stdout and exactly one line on stderr.
fails_one_line() {
	local desc=$1 want=$2 out err rc; shift 2
	out=$(xr_ctl "$@" 2>"$XR_TMP/err"); rc=$?
	err=$(cat "$XR_TMP/err")
	xr_eq "$desc: exit status" "$rc" "$want"
	xr_ok "$desc: one line on stderr ($err), nothing on stdout" \
		[ "$(wc -l <<<"$err")" = 1 -a -n "$err" -a -z "$out" ]
}

# ---- help -------------------------------------------------------------------
help=$(xr_ctl --help)
for c in "status" "calls" "call show ID" "call kill ID" "flows" "regs" "reg del AOR" \
	 "stats" "metrics" "log level" "top" "media create" "media delete ID" "media list"; do
	xr_ok "--help lists '$c'" has "$help" "^  $c"
done
xr_eq "help CMD and CMD --help say the same" "$(xr_ctl help call show)" \
	"$(xr_ctl call show --help)"
xr_ok "help call show: synopsis and the long help" has "$(xr_ctl help call show)" \
	"usage: xrelayctl .*call show ID"
xr_ok "top --help explains -n" has "$(xr_ctl top --help)" "COUNT refreshes"
fails_one_line "help of an unknown command" 2 help frob
fails_one_line "an unknown command" 2 frob
fails_one_line "call show without its ID" 2 call show
fails_one_line "log level with one operand" 2 log level sip

# ---- a registration, a call, RTP --------------------------------------------
cl_register bob b; xr_eq "REGISTER bob" "$?" 0
cl_register carol m; xr_eq "REGISTER carol" "$?" 0
cl_uas k-uas call_uas.xml b 5100; uas=$CL_PID
cl_uac k-uac call_uac_wait.xml bob 4100; uac=$CL_PID
id=$(cl_wait_call confirmed); xr_ok "the call is up" [ -n "$id" ]
xr_ok "its media is anchored" cl_wait_media "$id"
ml_rtp a "$XR_TMP/rtp.a.json" --bind "$A4:4100" --to "$CL_AR" --count 2500 --rate 500 \
	--delay 0.3 --wait 1
ml_rtp b "$XR_TMP/rtp.b.json" --bind "$B4:5100" --to "$CL_BR" --count 2500 --rate 500 \
	--delay 0.3 --wait 1
sleep 1

# ---- top (while RTP flows) -----------------------------------------------------
top=$(xr_ctl --json top -n 2)
jcheck "top --json -n 2: two samples of rates" "$top" '
assert isinstance(d, list) and len(d) == 2, d
for s in d:
    assert set(s) == {"time", "interval", "total", "flows"}, s
    assert 0.5 < s["interval"] < 2.0, s["interval"]
    assert set(s["total"]) == {"kernel_pps", "kernel_bps", "userspace_pps", "userspace_bps"}
    assert len(s["flows"]) == 4, s["flows"]
    for f in s["flows"]:
        assert f["session"] == '"$CL_SID"' and f["side"] in "AB" and f["leg"] in ("rtp", "rtcp")
        assert f["kernel_bps"] >= 0 and f["userspace_pps"] >= 0
t = d[1]["total"]
assert 700 < t["kernel_pps"] + t["userspace_pps"] < 1300, t       # 2 x 500 pps
assert t["kernel_pps"] > t["userspace_pps"], t                      # XDP carries it
assert t["kernel_bps"] > 8 * 172 * 600, t                           # >= 172-byte packets
f = d[1]["flows"]
assert f[0]["kernel_pps"] + f[0]["userspace_pps"] >= f[-1]["kernel_pps"] + f[-1]["userspace_pps"]'
top=$(xr_ctl top -n 1)
xr_ok "top: header, total line, the table" has "$top" "^xrelay top - .*4 flow(s), every 1.0 s"
xr_ok "top: total kernel vs userspace" has "$top" "^total: kernel [0-9]* pps .*bit/s, userspace"
xr_ok "top: per-flow columns" has "$top" "SESSION *SIDE *LEG *LOCAL *KERNEL PPS *KERNEL BIT/S"
xr_ok "top: no screen control codes when stdout is not a terminal" \
	[ "$(printf '%s' "$top" | tr -d -c '\033' | wc -c)" = 0 ]
fails_one_line "top --json without -n" 2 --json top
fails_one_line "top -n 0" 2 top -n 0
ml_wait

# ---- status ------------------------------------------------------------------------
st=$(xr_ctl --json status)
jcheck "status --json: every field" "$st" '
import re
assert re.fullmatch(r"\d+\.\d+\.\d+", d["version"]) and d["abi"] >= 1, d
assert d["pid"] == '"$XR_DAEMON_PID"' and d["uptime"] > 0, d
assert d["kernel_path"] is True and d["pin_dir"] and d["prog_id"] > 0, d
assert [(x["ifname"], x["mode"] in ("native", "generic")) for x in d["xdp"]] == \
       [("eth-a", True), ("eth-b", True), ("eth-m", True)], d["xdp"]
c = d["counts"]
assert c == {"calls": 1, "flows": 4, "flows_latched": c["flows_latched"], "registrations": 2,
             "aors": 2, "sessions": 1}, c
assert c["flows_latched"] == 2, c
p = d["packets"]
assert p["kernel"] > 2000 and 2 <= p["userspace"] < 100, p
assert d["ports"] == {"lo": 30000, "hi": 39999} and d["sessions"] == 1, d'
prog=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["prog_id"])' "$st")
xr_ok "status: program id $prog is our XDP program (bpftool)" \
	has "$(bpftool prog show id "$prog" 2>&1)" "xdp *name xr_xdp_rx"
st=$(xr_ctl status)
xr_ok "status: version line" has "$st" "^xrelayd [0-9.]* (ABI [0-9]*), pid $XR_DAEMON_PID, up"
xr_ok "status: fast path with program id" has "$st" "^fast path: XDP, maps in .*, program id $prog"
xr_ok "status: XDP mode per interface" has "$st" "^  xdp eth-b  *\(native\|generic\)"
xr_ok "status: counts" has "$st" "^calls 1, flows 4 (2 latched), registrations 2 (2 AORs)"
xr_ok "status: kernel vs userspace packets" has "$st" "^media packets relayed: kernel [0-9]*, userspace [0-9]*"

# ---- calls, call show -----------------------------------------------------------------
calls=$(xr_ctl --json calls)
jcheck "calls --json: the call, field by field" "$calls" '
rows = d["calls"] if isinstance(d, dict) else d
assert len(rows) == 1, rows
c = rows[0]
assert c["id"] == '"$id"' and c["state"] == "confirmed" and c["callid"], c
assert "alice@example.com" in c["caller"] and "bob@example.com" in c["callee"], c
assert c["created"] > 1e9 and c["answered"] >= c["created"] and c["streams"] == 1, c'
calls=$(xr_ctl calls)
xr_ok "calls: table header" has "$calls" "^ID  *STATE  *CALLID  *CALLER  *CALLEE  *CREATED  *ANSWERED  *STREAMS"
xr_ok "calls: the call's row" has "$calls" "^$id  *confirmed  .*bob@example.com.*[0-9][0-9]:[0-9][0-9]:[0-9][0-9]"
show=$(xr_ctl --json call show "$id")
jcheck "call show --json: dialog, branches, media" "$show" '
assert d["id"] == '"$id"' and d["state"] == "confirmed" and d["callid"], d
assert d["from_tag"] and d["to_tag"] and d["answered"] >= d["created"] > 1e9, d
assert "alice@example.com" in d["caller"] and "bob@example.com" in d["callee"], d
b = d["branches"]
assert len(b) == 1 and b[0]["uri"].startswith("sip:bob@'"$B4"'") and b[0]["code"] == 200, b
assert b[0]["to_tag"] == d["to_tag"] and b[0]["state"], b
m = d["media"]
assert len(m) == 1 and m[0]["index"] == 0 and m[0]["type"] == "audio", m
assert m[0]["session"] == '"$CL_SID"', m
for side, relay, remote in (("caller", "'"$CL_AR"'", "'"$A4:4100"'"),
                            ("callee", "'"$CL_BR"'", "'"$B4:5100"'")):
    s = m[0][side]
    assert s["relay"] == relay and s["remote"] == remote and s["latched"] is True, s
    assert s["direction"] == "sendrecv" and s["path"], s
    assert s["packets"] >= 2400 and s["bytes"] >= 2400 * 172, s
    assert s["kernel_packets"] + s["userspace_packets"] == s["packets"], s
    assert s["kernel_packets"] > s["userspace_packets"] >= 1, s
    assert s["last_seen_ms_ago"] >= 0, s'
show=$(xr_ctl call show "$id")
xr_ok "call show: head line" has "$show" "^call $id  confirmed  Call-ID "
xr_ok "call show: tags" has "$show" "^  to_tag  *[^ ]"
xr_ok "call show: branches section" has "$show" "^branches:"
xr_ok "call show: the branch row" has "$show" "^sip:bob@$B4.* 200 "
xr_ok "call show: media section, stream 0" has "$show" "^  stream 0  audio  session $CL_SID"
xr_ok "call show: caller side row" has "$show" "^    caller  *$CL_AR  *$A4:4100  *sendrecv  *yes"
xr_ok "call show: callee side row" has "$show" "^    callee  *$CL_BR  *$B4:5100  *sendrecv  *yes"

# ---- flows, regs ----------------------------------------------------------------------
flows=$(xr_ctl --json flows)
jcheck "flows --json: four rows of the call's session" "$flows" '
assert len(d) == 4 and all(r["session"] == '"$CL_SID"' for r in d), d
rtp = [r for r in d if r["leg"] == "rtp"]
assert sorted(r["side"] for r in rtp) == ["A", "B"] and all(r["latched"] for r in rtp), rtp
assert all(r["kernel"]["packets"] > 2000 and r["userspace"]["packets"] >= 1 for r in rtp), rtp
assert {r["local"] for r in rtp} == {"'"$CL_AR"'", "'"$CL_BR"'"}, rtp'
flows=$(xr_ctl flows)
xr_ok "flows: header" has "$flows" "^SESSION  *SIDE  *LEG  *LOCAL  *PEER -> DST  *LATCHED"
xr_ok "flows: the caller's RTP row" has "$flows" "^$CL_SID  *A  *rtp  *$CL_AR  *$A4:4100 -> $B4:5100  *yes"
regs=$(xr_ctl --json regs)
jcheck "regs --json: bob and carol, field by field" "$regs" '
rows = d["regs"] if isinstance(d, dict) else d
by = {r["aor"]: r for r in rows}
assert set(by) == {"bob@example.com", "carol@example.com"}, rows
assert by["bob@example.com"]["contact"].startswith("sip:bob@'"$B4"'"), rows
assert by["carol@example.com"]["contact"].startswith("sip:carol@'"$M4"'"), rows
for r in rows:
    assert 0 < r["expires"] <= 3600 and r["transport"] == "udp", r'
regs=$(xr_ctl regs)
xr_ok "regs: header" has "$regs" "^AOR  *CONTACT  *EXPIRES"
xr_ok "regs: bob's row" has "$regs" "^bob@example.com  *sip:bob@$B4"

# ---- stats, metrics --------------------------------------------------------------------
stats=$(xr_ctl --json stats)
jcheck "stats --json: XDP reasons, SIP messages, transactions, dialogs" "$stats" '
names = [l.split("(")[1].split(",")[0].strip() for l in
         open("'"$XR_ROOT"'/include/xrelay/counters.def") if l.startswith("XR_CNT(")]
k = d["kernel"]
assert sorted(k) == sorted(names) and all(isinstance(v, int) for v in k.values()), k
assert k["fwd_redirect"] > 4000 and k["pass_not_latched"] >= 2, k
sm = d["sip_messages"]
rx, tx = sm["rx"], sm["tx"]
assert rx["requests"]["REGISTER"] == 2 and rx["requests"]["INVITE"] == 1, rx
assert rx["requests"]["ACK"] == 1 and tx["requests"]["INVITE"] == 1, (rx, tx)
assert tx["requests"]["ACK"] == 1 and rx["requests"]["BYE"] == 0, (rx, tx)
assert rx["responses"]["200"] == 1 and rx["responses"]["180"] == 1, rx
assert tx["responses"]["200"] == 3 and tx["responses"]["100"] == 1, tx
assert tx["classes"]["2xx"] == 3 and rx["classes"]["1xx"] >= 1, (rx, tx)
s = d["sip"]
assert s["dialogs"] == 1 and s["bindings"] == 2 and isinstance(s["transactions"], int), s
assert isinstance(s["cancels"], int) and s["transport"]["rx_bad"] == 0, s
assert d["sessions"] == 1 and d["media"]["userspace"]["forwarded_packets"] >= 2, d'
stats=$(xr_ctl stats)
xr_ok "stats: the XDP reasons" has "$stats" "^  pass_wrong_source  *[0-9]*  passed: source is not"
xr_ok "stats: SIP requests by method" has "$stats" "^SIP requests by method:"
xr_ok "stats: INVITE row (rx 1, tx 1)" has "$stats" "^  INVITE  *1  *1$"
xr_ok "stats: responses by status" has "$stats" "^  200  *1  *3$"
xr_ok "stats: proxy part" has "$stats" "^SIP transport, transactions, dialogs, proxy:"
xr_ctl metrics >"$XR_TMP/metrics.txt"
xr_ok "metrics: python3 promcheck.py --selftest (the checker refuses bad input)" \
	quiet python3 "$PROMCHECK" --selftest
xr_ok "metrics: strict exposition check ($(python3 "$PROMCHECK" --json "$XR_TMP/metrics.txt" 2>&1))" \
	python3 "$PROMCHECK" "$XR_TMP/metrics.txt"
if command -v promtool >/dev/null; then
	xr_ok "metrics: promtool check metrics" promtool check metrics <"$XR_TMP/metrics.txt"
else
	xr_log "promtool not installed (Debian: prometheus): only promcheck.py ran"
fi
metrics=$(cat "$XR_TMP/metrics.txt")
xr_ok "metrics: SIP requests by method" has "$metrics" \
	'^xrelay_sip_requests_total{direction="rx",method="INVITE"} 1$'
xr_ok "metrics: SIP responses by code" has "$metrics" \
	'^xrelay_sip_responses_total{direction="tx",code="200"} 3$'
xr_ok "metrics: every XDP reason" python3 -c 'import sys
names = [l.split("(")[1].split(",")[0].strip() for l in open(sys.argv[2]) if l.startswith("XR_CNT(")]
m = sys.argv[1]
for n in names:
    assert "\n# TYPE xrelay_xdp_%s_packets_total counter\n" % n in m, n' \
	"$metrics" "$XR_ROOT/include/xrelay/counters.def"
xr_ok "metrics: the XDP outcomes as one family labelled by reason" python3 -c 'import sys
names = [l.split("(")[1].split(",")[0].strip() for l in open(sys.argv[2]) if l.startswith("XR_CNT(")]
got = {}
for l in sys.argv[1].splitlines():
    if l.startswith("xrelay_xdp_packets_total{"):
        got[l.split("\"")[1]] = int(l.split()[-1])
assert sorted(got) == sorted(names), got
assert got["fwd_redirect"] > 4000, got
for n in names:
    own = [l for l in sys.argv[1].splitlines() if l.startswith("xrelay_xdp_%s_packets_total " % n)]
    assert len(own) == 1 and int(own[0].split()[-1]) >= got[n], (n, own)' \
	"$metrics" "$XR_ROOT/include/xrelay/counters.def"
xr_ok "metrics: dialogs gauge" has "$metrics" "^xrelay_sip_dialogs 1$"
jcheck "metrics --json: the same exposition as one JSON string" "$(xr_ctl --json metrics)" '
assert isinstance(d, str) and d.startswith("# HELP xrelay_info ") and d.endswith("\n")
assert "xrelay_sip_requests_total{direction=\"rx\",method=\"INVITE\"} 1\n" in d'

# ---- log level ---------------------------------------------------------------------------
lv=$(xr_ctl --json log level)
jcheck "log level --json: every subsystem" "$lv" '
assert set(d) >= {"sip", "tx", "media", "fastpath", "ctl"}, d
assert all(v in ("error", "warn", "info", "debug") for v in d.values()), d'
prev=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["sip"])' "$lv")
xr_ok "log level: table" has "$(xr_ctl log level)" "^sip  *$prev$"
jcheck "log level sip debug --json" "$(xr_ctl --json log level sip debug)" '
assert d == {"subsystem": "sip", "level": "debug", "previous": "'"$prev"'"}, d'
xr_ok "log level sip $prev: says what it was" has "$(xr_ctl log level sip "$prev")" \
	"^sip: $prev (was debug)$"
fails_one_line "log level with a bad level" 1 log level sip loud

# ---- media create, list, delete -------------------------------------------------------------
mc=$(xr_ctl --json media create "$A4:6000" "$B4:7000")
jcheck "media create --json" "$mc" '
assert d["id"] > 0 and d["a"]["relay"].startswith("'"$RA4"':") and d["b"]["remote"] == "'"$B4:7000"'"'
sid=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$mc")
jcheck "media list --json: both sessions" "$(xr_ctl --json media list)" '
assert sorted(s["id"] for s in d) == sorted(['"$sid, $CL_SID"']), d'
xr_ok "media list: table" has "$(xr_ctl media list)" "^$sid  *$RA4:"
xr_ok "media delete" has "$(xr_ctl media delete "$sid")" "^deleted $sid$"
mc=$(xr_ctl media create "$A4:6002" "$B4:7002")
xr_ok "media create (table)" has "$mc" "^session [0-9]*$"
sid=$(sed -n 's/^session //p' <<<"$mc")
jcheck "media delete --json" "$(xr_ctl --json media delete "$sid")" 'assert d == {"deleted": '"$sid"'}'
fails_one_line "media delete of a gone session" 1 media delete "$sid"

# ---- reg del -------------------------------------------------------------------------------
xr_ok "reg del carol" has "$(xr_ctl reg del carol@example.com)" \
	"^carol@example.com: 1 binding(s) removed$"
jcheck "regs: bob only" "$(xr_ctl --json regs)" '
rows = d["regs"] if isinstance(d, dict) else d
assert [r["aor"] for r in rows] == ["bob@example.com"], rows'
fails_one_line "reg del of an AOR not registered" 1 reg del carol@example.com
fails_one_line "reg del of something that is no AOR" 1 reg del "bad aor@@"
jcheck "reg del --json, as a URI with an upper-case host" \
	"$(xr_ctl --json reg del sip:bob@EXAMPLE.com)" \
	'assert d == {"aor": "bob@example.com", "removed": 1}, d'
xr_ok "no registration left" python3 -c 'import json,sys
d = json.loads(sys.argv[1]); assert (d["regs"] if isinstance(d, dict) else d) == []' \
	"$(xr_ctl --json regs)"

# ---- call kill, errors -------------------------------------------------------------------------
jcheck "call kill --json: BYE both ways" "$(xr_ctl --json call kill "$id")" '
assert d["id"] == '"$id"' and d["bye_callee"] is True and d["bye_caller"] is True, d'
cl_reap k-uac "$uac"
cl_reap k-uas "$uas"
xr_ok "the call left the table" sip_calls_empty
fails_one_line "call show of an unknown id" 1 call show 999999
fails_one_line "call show --json of an unknown id" 1 --json call show 999999
fails_one_line "call kill of an unknown id" 1 call kill 999999
xr_ok "xrelayd stops cleanly" xr_daemon_stop
fails_one_line "status with no daemon" 1 status
xr_done
