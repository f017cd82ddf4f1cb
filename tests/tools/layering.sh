#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/tools/layering.sh - the include graph between the daemon's folders
# (and ctl-cli/, include/xrelay/): every #include "DIR/..." must name its own folder
# or one below it in LAYERS, so the graph has no cycle and nothing includes
# a layer above it.  Prints the folder graph; exit 1 on any upward include
# or cycle (tests/run.sh runs it as check/layering, so `make test` does).
#
#   tests/tools/layering.sh [-v]     -v: also print every edge with its files
set -u
cd "$(dirname "$0")/../.."

# Bottom first.  A folder may include itself and anything left of it.
#   xrelay    include/xrelay: the ABI shared with bpf/ (and the control protocol)
#   ctl-cli   xrelayctl, the CLI: a program of its own that shares only
#             include/xrelay/ with the daemon, hence right above it
#   common    addresses, logging, hashing, clocks, route choice, wbuf
#   policy    access policy: CIDR sets, destinations, the verdict table (pure)
#   config    daemon/config.[ch]: the options table
#   fastpath  BPF loader, flow maps, netlink
#   media     media sessions, latching, the userspace relay
#   guard     the blocklist (XDP bans) and the per-source SIP rate limit
#   sip       SIP parser, builder, transports, workers (delivers up by callback)
#   sdp       SDP parser and rewriter (uses sip/str.h)
#   auth      digest computations, nonces, credentials (uses sip/'s parser)
#   txn       RFC 3261 §17 transactions (registers with sip/, serves proxy/)
#   ctl       the control socket and its core commands
#   proxy     the §16 proxy core, registrar, dialogs, call media
#   ha        call state in Redis: restore at start, write changes (hooks
#             media/, proxy/ and ctl/ call; none of them includes ha/)
#   main      daemon/main.c: start-up order
LAYERS="xrelay ctl-cli common policy config dns fastpath media guard sip sdp auth txn ctl proxy ha main"

verbose=0
[ "${1:-}" = -v ] && verbose=1

rank() {	# layer -> index, or empty
	local i=0 l
	for l in $LAYERS; do
		[ "$l" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
}

layer_of_file() {	# path -> layer
	case $1 in
	daemon/config*.[ch]) echo config ;;
	daemon/main.c) echo main ;;
	daemon/*/*) local d=${1#daemon/}; echo "${d%%/*}" ;;
	ctl-cli/*) echo ctl-cli ;;
	include/xrelay/*) echo xrelay ;;
	*) echo "?" ;;
	esac
}

layer_of_include() {	# include path -> layer
	case $1 in
	config.h) echo config ;;
	*/*) echo "${1%%/*}" ;;
	*) echo "" ;;	# a file next to the includer: same layer
	esac
}

bad=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
while IFS= read -r f; do
	from=$(layer_of_file "$f")
	if [ -z "$(rank "$from")" ]; then
		echo "layering: $f: folder '$from' is not in LAYERS (add it where it belongs)"
		bad=1
		continue
	fi
	while IFS= read -r inc; do
		to=$(layer_of_include "$inc")
		[ -z "$to" ] && to=$from
		[ "$to" = "$from" ] && continue
		if [ -z "$(rank "$to")" ]; then
			echo "layering: $f includes \"$inc\": '$to' is not in LAYERS"
			bad=1
			continue
		fi
		echo "$from $to $f" >>"$edges"
		if [ "$(rank "$to")" -gt "$(rank "$from")" ]; then
			echo "layering: UPWARD $f ($from) includes \"$inc\" ($to)"
			bad=1
		fi
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done < <(find daemon ctl-cli include/xrelay -name '*.[ch]' -o -name '*.def' | sort)

# The folder graph, and a cycle check that does not trust LAYERS.
echo "layers (bottom first): $LAYERS"
awk '{ print $1 " -> " $2 }' "$edges" | sort -u | awk '
	{ out[$1] = out[$1] (out[$1] == "" ? "" : " ") $3 }
	END { for (k in out) print "  " k " -> " out[k] }' | sort
if [ $verbose = 1 ]; then
	sort -u "$edges" | awk '{ print "    " $1 " -> " $2 "  " $3 }'
fi
if ! awk '{ print $2, $1 }' "$edges" | sort -u | tsort >/dev/null 2>"$edges.err"; then
	echo "layering: CYCLE between folders:"
	sed 's/^/  /' "$edges.err"
	bad=1
fi
rm -f "$edges.err"
if [ $bad = 0 ]; then
	echo "layering: ok, no upward include, no cycle"
fi
exit $bad
