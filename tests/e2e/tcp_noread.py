#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""tcp_noread.py - SIP over TCP clients that send and never read (t_sec_tcp.sh).

  tcp_noread.py DEST_IP PORT --src IP [--src IP...] --conns N --reqs K --secs S

Opens N connections from each source address (small receive buffers, so the
relay's answers pile up on its side), sends up to K OPTIONS per connection,
each with large Via headers that every answer must copy, and never reads.
Stops when every connection is gone (refused, reset) or after S seconds.
Prints one JSON line: connections opened, refused at once, closed by the
peer while sending, still open at the end, requests sent.
"""
import argparse
import json
import select
import socket
import time

ap = argparse.ArgumentParser()
ap.add_argument("dest")
ap.add_argument("port", type=int)
ap.add_argument("--src", action="append", required=True)
ap.add_argument("--conns", type=int, default=16)
ap.add_argument("--reqs", type=int, default=400)
ap.add_argument("--secs", type=float, default=20)
a = ap.parse_args()

VIAS = "".join("Via: SIP/2.0/TCP 192.0.2.%d:5060;branch=z9hG4bK%s\r\n" % (i, "x" * 180)
               for i in range(1, 31))


def request(src, i, n):
    return ("OPTIONS sip:%s:%d SIP/2.0\r\n"
            "Via: SIP/2.0/TCP %s:5060;branch=z9hG4bKnr%d-%d\r\n%s"
            "Max-Forwards: 70\r\nFrom: <sip:flood@%s>;tag=%d\r\nTo: <sip:%s>\r\n"
            "Call-ID: noread-%d-%d@%s\r\nCSeq: %d OPTIONS\r\nContent-Length: 0\r\n\r\n"
            % (a.dest, a.port, src, i, n, VIAS, src, i, a.dest, i, n, src, n + 1)).encode()


end = time.monotonic() + a.secs
socks = []		# [sock, src, index, sent]
refused = 0
for src in a.src:
	for _ in range(a.conns):
		s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
		s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
		s.bind((src, 0))
		try:
			s.connect((a.dest, a.port))
		except OSError:
			refused += 1
			s.close()
			continue
		s.setblocking(False)
		socks.append([s, src, len(socks), 0])
opened = len(socks)
# A connection refused over a limit is accepted by the kernel, then closed by
# the relay at once: it reads as EOF (or a reset) without our reading a byte
# of SIP, as nothing was asked yet.
time.sleep(0.5)
live = []
for c in socks:
	r, _, _ = select.select([c[0]], [], [], 0)
	if r:
		try:
			data = c[0].recv(1, socket.MSG_PEEK)
		except OSError:
			data = b""
		if not data:
			refused += 1
			c[0].close()
			continue
	live.append(c)
closed = 0
sent = 0
while live and time.monotonic() < end:
	progress = False
	for c in list(live):
		if c[3] >= a.reqs:
			continue
		try:
			c[0].send(request(c[1], c[2], c[3]))
			c[3] += 1
			sent += 1
			progress = True
		except BlockingIOError:
			pass
		except OSError:
			closed += 1
			c[0].close()
			live.remove(c)
	if not progress:
		# all blocked or done: is the peer gone?  (poll without reading SIP)
		for c in list(live):
			r, _, x = select.select([], [], [c[0]], 0)
			try:
				err = c[0].getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
			except OSError:
				err = 1
			if err:
				closed += 1
				c[0].close()
				live.remove(c)
		time.sleep(0.05)
print(json.dumps({"opened": opened, "refused": refused, "closed": closed,
                  "open": len(live), "sent": sent}), flush=True)
for c in live:
	c[0].close()
