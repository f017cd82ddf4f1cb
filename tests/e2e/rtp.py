#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rtp.py - a symmetric RTP (or RTCP) endpoint for the end-to-end tests.

One UDP socket bound to --bind (the party's media address and port) sends
--count packets to --to at --rate packets per second, and at the same time
receives whatever comes to it, until --expect packets arrived or --wait
seconds passed without one (after its own sending ended).  Run one on each
side to push media both ways at once.

Packets are real RTP (RFC 3550 section 5.1: V=2, PT, sequence, timestamp,
SSRC) with a payload that is a pure function of (SSRC, sequence), so a
receiver checks every payload byte for byte without talking to the sender.
With --rtcp they are RTCP sender reports (PT 200) carrying the same kind of
payload as an extension.

Prints one JSON document: what was sent (count and a SHA-256 over the
payloads in sequence order), and per source address:port what arrived
(packets, SSRCs, sequence range, missing, duplicates, payloads that do not
match, and the SHA-256 over the payloads in sequence order, comparable with
the sender's), its payload types (pts) and packets per SSRC (ssrc_packets).

With --multi FILE one process runs many such endpoints (one "BIND TO" per
line, e.g. one per call of a load test) with the same options, and prints
{"flows": [...]}, one document per line of FILE, in order.
"""
import argparse
import hashlib
import json
import os
import select
import socket
import struct
import sys
import time


def parse_ep(s):
    """'1.2.3.4:5' or '[::1]:5' -> (family, host, port)."""
    if s.startswith('['):
        host, _, port = s[1:].partition(']:')
    else:
        host, _, port = s.rpartition(':')
    if not host or not port:
        raise argparse.ArgumentTypeError('%s: expected ADDR:PORT' % s)
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    return fam, host, int(port)


def ep_str(addr):
    host, port = addr[0], addr[1]
    if host.startswith('::ffff:'):
        host = host[7:]
    return '[%s]:%d' % (host, port) if ':' in host else '%s:%d' % (host, port)


def payload(ssrc, seq, size):
    """The deterministic payload of packet (ssrc, seq)."""
    out = b''
    block = 0
    while len(out) < size:
        out += hashlib.sha256(b'%d:%d:%d' % (ssrc, seq, block)).digest()
        block += 1
    return out[:size]


def build(rtcp, pt, seq, ts, ssrc, size):
    body = payload(ssrc, seq, size)
    if rtcp:
        # SR header (RFC 3550 6.4.1) with no report blocks, then our bytes as
        # a profile-specific extension; length in 32-bit words minus one.
        words = (28 + size) // 4 - 1
        hdr = struct.pack('!BBHIIIIII', 0x80, 200, words, ssrc, seq, 0, ts, seq, seq * size)
        return hdr + body
    return struct.pack('!BBHII', 0x80, pt & 0x7f, seq & 0xffff, ts & 0xffffffff, ssrc) + body


def parse(rtcp, data):
    """-> (ssrc, seq, body) or None when it is not one of ours."""
    if rtcp:
        if len(data) < 28 or data[0] >> 6 != 2 or data[1] != 200:
            return None
        ssrc, seq = struct.unpack('!II', data[4:12])
        return ssrc, seq, data[28:]
    if len(data) < 12 or data[0] >> 6 != 2:
        return None
    seq, _, ssrc = struct.unpack('!HII', data[2:12])
    return ssrc, seq, data[12:]


class Flow:
    """One socket: what it sends (to dst) and what it receives, per source."""

    def __init__(self, a, bind, to, ssrc, t0):
        fam, host, port = bind
        self.bind = (host, port)
        self.s = socket.socket(fam, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.s.bind((host, port))
        self.s.setblocking(False)
        self.dst = None
        if to:
            if to[0] != fam:
                raise ValueError('--to and --bind must be of the same family')
            self.dst = (to[1], to[2])
        self.ssrc = ssrc if ssrc is not None else \
            (port * 2654435761 + os.getpid()) & 0xffffffff
        self.a = a
        self.next_send = t0 + a.delay
        self.sent = 0
        self.sent_hash = hashlib.sha256()
        self.last_rx = None
        self.rx_total = 0
        self.sources = {}
        self.send_errors = 0

    def receive(self):
        a = self.a
        while True:
            try:
                data, addr = self.s.recvfrom(4096)
            except BlockingIOError:
                return
            except ConnectionRefusedError:
                continue
            self.rx_total += 1
            self.last_rx = time.monotonic()
            src = self.sources.setdefault(ep_str(addr), {
                'packets': 0, 'ssrcs': set(), 'seqs': {}, 'bad_payload': 0, 'foreign': 0,
                'dups': 0, 'pts': set(), 'ssrc_packets': {}})
            src['packets'] += 1
            p = parse(a.rtcp, data)
            if p is None:
                src['foreign'] += 1
                continue
            pssrc, pseq, body = p
            src['ssrcs'].add(pssrc)
            src['ssrc_packets'][pssrc] = src['ssrc_packets'].get(pssrc, 0) + 1
            if not a.rtcp:
                src['pts'].add(data[1] & 0x7f)
            if body != payload(pssrc, pseq, len(body)) or len(body) != a.size:
                src['bad_payload'] += 1
            if pseq in src['seqs']:
                src['dups'] += 1
            src['seqs'][pseq] = body

    def send_due(self, now):
        """Send one packet if one is due; True when it did."""
        a = self.a
        if self.sent >= a.count or not self.dst or now < self.next_send:
            return False
        seq = a.seq + self.sent
        pkt = build(a.rtcp, a.pt, seq, seq * 160, self.ssrc, a.size)
        try:
            self.s.sendto(pkt, self.dst)
            self.sent_hash.update(payload(self.ssrc, seq, a.size))
        except (ConnectionRefusedError, BlockingIOError):
            self.send_errors += 1
        self.sent += 1
        self.next_send += 1.0 / a.rate
        return True

    def finished(self, now, t0):
        a = self.a
        if a.expect and self.rx_total >= a.expect and self.sent >= a.count:
            return True
        if self.sent < a.count and self.dst:
            return False
        interval = 1.0 / a.rate
        quiet_since = max(self.last_rx or 0,
                          self.next_send - interval if a.count and self.dst else t0 + a.delay)
        return now - quiet_since > a.wait

    def result(self):
        out = {'bind': ep_str(self.bind), 'to': ep_str(self.dst) if self.dst else None,
               'ssrc': self.ssrc, 'sent': self.sent, 'send_errors': self.send_errors,
               'sent_sha256': self.sent_hash.hexdigest(), 'received': self.rx_total,
               'sources': {}}
        for src, st in sorted(self.sources.items()):
            seqs = sorted(st['seqs'])
            h = hashlib.sha256()
            for q in seqs:
                h.update(st['seqs'][q])
            span = (seqs[-1] - seqs[0] + 1) if seqs else 0
            out['sources'][src] = {
                'packets': st['packets'], 'ssrcs': sorted(st['ssrcs']),
                'first_seq': seqs[0] if seqs else None, 'last_seq': seqs[-1] if seqs else None,
                'missing': span - len(seqs), 'dups': st['dups'],
                'bad_payload': st['bad_payload'], 'foreign': st['foreign'],
                'sha256': h.hexdigest(), 'pts': sorted(st['pts']),
                'ssrc_packets': {str(k): v for k, v in sorted(st['ssrc_packets'].items())}}
        return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--bind', type=parse_ep, help='local ADDR:PORT')
    ap.add_argument('--to', type=parse_ep, help='destination ADDR:PORT (none: receive only)')
    ap.add_argument('--multi', metavar='FILE',
                    help='many endpoints in one process: FILE has one "BIND TO" per line '
                         '(TO "-": receive only); each sends --count at --rate and expects '
                         '--expect; prints {"flows": [one document per line, in order]}')
    ap.add_argument('--count', type=int, default=0, help='packets to send')
    ap.add_argument('--rate', type=float, default=200.0, help='packets per second (max 20000)')
    ap.add_argument('--size', type=int, default=160, help='payload bytes (160: 20 ms of G.711)')
    ap.add_argument('--ssrc', type=lambda s: int(s, 0), default=None)
    ap.add_argument('--seq', type=int, default=1000, help='first sequence number')
    ap.add_argument('--pt', type=int, default=0, help='payload type (0: PCMU)')
    ap.add_argument('--rtcp', action='store_true', help='send RTCP sender reports')
    ap.add_argument('--delay', type=float, default=0.3,
                    help='seconds between binding and the first packet (peer binds too)')
    ap.add_argument('--wait', type=float, default=1.5,
                    help='after sending, stop when nothing arrived for this long')
    ap.add_argument('--expect', type=int, default=0,
                    help='stop receiving as soon as this many packets arrived')
    ap.add_argument('--max-time', type=float, default=30.0, help='hard limit in seconds')
    a = ap.parse_args()
    if a.rate <= 0 or a.rate > 20000 or a.count < 0 or a.size < 0 or a.size > 1400:
        ap.error('--rate must be in (0, 20000], --count >= 0, --size in [0, 1400]')
    if bool(a.bind) == bool(a.multi):
        ap.error('give --bind (one endpoint) or --multi FILE (many)')

    t0 = time.monotonic()
    flows = []
    try:
        if a.multi:
            with open(a.multi) as f:
                for n, line in enumerate(f):
                    w = line.split()
                    if not w or w[0].startswith('#'):
                        continue
                    to = parse_ep(w[1]) if len(w) > 1 and w[1] != '-' else None
                    ssrc = (a.ssrc + n) & 0xffffffff if a.ssrc is not None else None
                    flows.append(Flow(a, parse_ep(w[0]), to, ssrc, t0))
        else:
            flows.append(Flow(a, a.bind, a.to, a.ssrc, t0))
    except (ValueError, argparse.ArgumentTypeError) as e:
        ap.error(str(e))

    deadline = t0 + a.max_time
    by_fd = {f.s.fileno(): f for f in flows}
    while True:
        now = time.monotonic()
        if now > deadline:
            break
        if all(f.finished(now, t0) for f in flows):
            break
        if any([f.send_due(now) for f in flows]):
            continue
        timeout = 0.05
        pending = [f.next_send for f in flows if f.sent < a.count and f.dst]
        if pending:
            timeout = max(0.0, min(timeout, min(pending) - now))
        r, _, _ = select.select(list(by_fd), [], [], timeout)
        for fd in r:
            by_fd[fd].receive()
    for f in flows:
        f.receive()

    out = {'flows': [f.result() for f in flows]} if a.multi else flows[0].result()
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
