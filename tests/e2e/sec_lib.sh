# SPDX-License-Identifier: GPL-2.0
# tests/e2e/sec_lib.sh - what the access-control tests (t_sec_*.sh) share, on
# top of lib.sh and sip_lib.sh: xrelayd with only b trusted (the "gateway"),
# m's network in --deny-dest (the "internal network"), a credentials file
# for alice and bob of example.com, tests/e2e/sipc.py as the one-request
# client (a JSON line per request) and as a capturing listener.
#
#   untrusted a 10.11.1.2 --- 10.11.1.1 xrelayd 10.11.2.1 --- 10.11.2.2 trusted b
#                                       10.11.3.1 --- 10.11.3.2 internal m (denied)
# Source lib.sh first.

# Only the gateway is trusted here, and only sip_setup's own listeners.
SIP_TRUSTED_ARGS=(--trusted "$B4/32" --trusted "$B6/128")
. "$XR_ROOT/tests/e2e/sip_lib.sh"
. "$XR_ROOT/tests/e2e/media_lib.sh"	# jpy

SEC_PY=/usr/bin/python3
SEC_CLI="$XR_ROOT/tests/e2e/sipc.py"
SEC_CRED=
SEC_PW_ALICE="alice-Secret-1"
SEC_PW_BOB="correct horse battery"

# sec_ha1 ALG USER REALM PASSWORD : the HA1 hex (md5sum / sha256sum).
sec_ha1() {
	local cmd=md5sum
	[ "$1" = SHA-256 ] && cmd=sha256sum
	printf '%s:%s:%s' "$2" "$3" "$4" | $cmd | cut -d' ' -f1
}

# sec_cred_line USER PASSWORD [ALGS] : one credentials-file line for example.com.
sec_cred_line() {
	local u=$1 p=$2 algs=${3:-"SHA-256 MD5"} line a
	line="$u example.com"
	for a in $algs; do
		line="$line $a:$(sec_ha1 "$a" "$u" example.com "$p")"
	done
	echo "$line"
}

# sec_setup [xrelayd args...] : topology, credentials, xrelayd as above.
sec_setup() {
	[ -x "$SEC_PY" ] || xr_skip "$SEC_PY missing"
	SEC_CRED=$XR_TMP/credentials
	{
		echo "# user realm HA1s (made by sec_lib.sh)"
		sec_cred_line alice "$SEC_PW_ALICE"
		sec_cred_line bob "$SEC_PW_BOB"
	} >"$SEC_CRED"
	sip_setup --sip "$RM4:5060" --deny-dest 10.11.3.0/24 --credentials "$SEC_CRED" "$@"
}

# sec_restart [xrelayd args...] : stop xrelayd and start it again as sec_setup
# does (same topology and credentials file), with these arguments.
sec_restart() {
	xr_daemon_stop || xr_log "xrelayd exit status $?"
	xr_daemon_start --sip $RA4:5060 --sip $RB4:5060 --domain example.com \
		--media $RA4 --media $RB4 "${SIP_TRUSTED_ARGS[@]}" --sip "$RM4:5060" \
		--deny-dest 10.11.3.0/24 --credentials "$SEC_CRED" "$@"
}

# sec_send HOST ARGS... : one request with sipc.py from HOST (a: untrusted,
# b: trusted, m) to the relay address facing it; the JSON line on stdout.
sec_send() {
	local h=$1 local server; shift
	case $h in
	a) local=$A4 server=$RA4:5060 ;;
	b) local=$B4 server=$RB4:5060 ;;
	m) local=$M4 server=$RM4:5060 ;;
	esac
	xr_ns "$h" "$SEC_PY" "$SEC_CLI" send --local "$local" --server "$server" "$@" 2>>"$XR_TMP/sipc.err" |
		tail -n 1
}

# sec_get JSON EXPR : EXPR (python, d = the object) of a JSON line.
sec_get() {
	"$SEC_PY" -c 'import json, sys
try:
    d = json.loads(sys.argv[1])
except ValueError:
    d = {}
try:
    v = eval(sys.argv[2])
except Exception:
    v = None
print(json.dumps(v) if isinstance(v, (list, dict, bool)) else v)' "$1" "$2"
}

# sec_listen HOST ADDR PORT NAME [sipc.py args] : a capturing UDP listener
# (120 s); its records go to $XR_TMP/NAME.jsonl; returns once it is bound
# (bounded poll).
sec_listen() {
	local h=$1 addr=$2 port=$3 name=$4 i
	shift 4
	: >"$XR_TMP/$name.jsonl"
	xr_bg "$h" "$XR_TMP/$name.jsonl" "$SEC_PY" "$SEC_CLI" listen --local "$addr" \
		--lport "$port" --timeout 120 "$@"
	for i in $(seq 1 50); do
		grep -q '"listening"' "$XR_TMP/$name.jsonl" && return 0
		sleep 0.1
	done
	xr_die "listener $name did not start"
}

# sec_each NAME PATTERN EXPR : EXPR (jpy) of each record of listener NAME
# matching PATTERN, one line each, duplicates removed.
sec_each() {
	local l
	grep -F -- "$2" "$XR_TMP/$1.jsonl" | while read -r l; do jpy "$3" <<<"$l"; done | sort -u
}

# sec_heard NAME : how many messages listener NAME received.
sec_heard() { grep -vc '"listening"' "$XR_TMP/$1.jsonl"; }

# sec_access KEY : one access counter from `xrelayctl stats`.
sec_access() { xr_ctl --json stats | jpy "d['sip']['access']['$1']"; }

# sec_bindings : registered contacts.
sec_bindings() { xr_ctl --json stats | jpy "d['sip']['bindings']"; }
