#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""dns_stub.py - a tiny DNS server for the e2e tests (t_sip_dns.sh).

  dns_stub.py ADDR PORT --a NAME=IPV4 ... --srv NAME=PRIO,WEIGHT,PORT,TARGET ...
              --silent SUFFIX ... --secs S

Over UDP: an A query for a NAME of --a gets its address (TTL 60), an SRV
query for a NAME of --srv its record (TTL 60); other types for those names
get no data; a name ending in a SUFFIX given gets nothing at all, ever (a
silent server); any other name gets NXDOMAIN.  Every query is
printed as one JSON line {"name", "type"} before it is answered.  Ends after
S seconds.  Test tool only.
"""
import argparse
import json
import socket
import struct
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("addr")
ap.add_argument("port", type=int)
ap.add_argument("--a", action="append", default=[])
ap.add_argument("--srv", action="append", default=[])
ap.add_argument("--silent", action="append", default=[])
ap.add_argument("--secs", type=float, default=120)
a = ap.parse_args()
known = dict(x.lower().split("=", 1) for x in a.a)
srv = dict(x.lower().split("=", 1) for x in a.srv)


def labels(name):
	return b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\0"


def qname(pkt, off):
	labels = []
	while True:
		n = pkt[off]
		off += 1
		if n == 0:
			return ".".join(labels), off
		labels.append(pkt[off:off + n].decode("ascii", "replace"))
		off += n


s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((a.addr, a.port))
print(json.dumps({"listening": a.port}), flush=True)
end = time.time() + a.secs
while time.time() < end:
	s.settimeout(max(0.1, end - time.time()))
	try:
		pkt, src = s.recvfrom(4096)
	except socket.timeout:
		continue
	if len(pkt) < 12:
		continue
	qid, flags, qd = struct.unpack("!HHH", pkt[:6])
	try:
		name, off = qname(pkt, 12)
		qtype, qclass = struct.unpack("!HH", pkt[off:off + 4])
	except (IndexError, struct.error):
		continue
	question = pkt[12:off + 4]
	name = name.lower()
	print(json.dumps({"name": name, "type": qtype}), flush=True)
	if any(name == x or name.endswith("." + x) for x in a.silent):
		continue
	rd = flags & 0x0100
	if name in known or name in srv:
		answers = b""
		nans = 0
		if qtype == 33 and name in srv:
			prio, weight, port, target = srv[name].split(",")
			rdata = struct.pack("!HHH", int(prio), int(weight), int(port)) + labels(target)
			answers = b"\xc0\x0c" + struct.pack("!HHIH", 33, 1, 60, len(rdata)) + rdata
			nans = 1
		if qtype == 1 and name in known:
			answers = (b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) +
				   socket.inet_aton(known[name]))
			nans = 1
		hdr = struct.pack("!HHHHHH", qid, 0x8080 | rd, 1, nans, 0, 0)
	else:
		hdr = struct.pack("!HHHHHH", qid, 0x8083 | rd, 1, 0, 0, 0)	# NXDOMAIN
		answers = b""
	s.sendto(hdr + question + answers, src)
