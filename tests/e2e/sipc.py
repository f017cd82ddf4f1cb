#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# tests/e2e/sipc.py - a one-request SIP client and a capturing listener for
# the access-control tests (t_sec_*.sh): sends one request over UDP (or
# TCP), answers a 401/407 with digest credentials when given (RFC 7616: the
# first challenge whose algorithm it is told to use), and prints one JSON
# line: the final status, reason, the challenges seen and chosen headers.
# `listen` binds a UDP port, prints every datagram it gets as one JSON line
# and answers requests with 486 (--pai: with a forged P-Asserted-Identity) so
# transactions end.  Test tool only.
import argparse
import hashlib
import json
import random
import re
import socket
import sys
import time


def h(alg, s):
    f = hashlib.sha256 if alg.upper() == "SHA-256" else hashlib.md5
    return f(s.encode()).hexdigest()


def parse_chal(v):
    d = {}
    for m in re.finditer(r'(\w+)=("([^"]*)"|[^,\s]+)', v):
        d[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2)
    return d


def headers(msg, name):
    out = []
    for line in msg.split("\r\n")[1:]:
        if not line:
            break
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            out.append(v.strip())
    return out


def status(msg):
    first = msg.split("\r\n", 1)[0]
    parts = first.split(" ", 2)
    return int(parts[1]), (parts[2] if len(parts) > 2 else "")


class Client:
    def __init__(self, a):
        self.a = a
        self.tcp = a.transport == "tcp"
        fam = socket.AF_INET6 if ":" in a.local else socket.AF_INET
        self.s = socket.socket(fam, socket.SOCK_STREAM if self.tcp else socket.SOCK_DGRAM)
        self.s.bind((a.local, a.lport))
        self.lport = self.s.getsockname()[1]
        self.s.settimeout(a.timeout)
        host, _, port = a.server.rpartition(":")
        self.dst = (host.strip("[]"), int(port))
        if self.tcp:
            self.s.connect(self.dst)
        self.buf = b""
        self.callid = a.callid or "%x@%s" % (random.getrandbits(48), a.local)
        self.tag = "%x" % random.getrandbits(32)
        self.cseq = a.cseq

    def send(self, data):
        if self.tcp:
            self.s.sendall(data.encode())
        else:
            self.s.sendto(data.encode(), self.dst)

    def recv(self):
        if not self.tcp:
            data, src = self.s.recvfrom(65535)
            return data.decode(errors="replace"), src
        while True:
            m = re.search(rb"\r\n\r\n", self.buf)
            if m:
                head = self.buf[:m.end()].decode(errors="replace")
                cl = re.search(r"(?im)^(content-length|l)\s*:\s*(\d+)", head)
                n = m.end() + (int(cl.group(2)) if cl else 0)
                if len(self.buf) >= n:
                    msg, self.buf = self.buf[:n], self.buf[n:]
                    return msg.decode(errors="replace"), self.dst
            chunk = self.s.recv(65535)
            if not chunk:
                raise socket.timeout("closed")
            self.buf += chunk

    def build(self, extra):
        a = self.a
        branch = "z9hG4bK%x" % random.getrandbits(48)
        via = "SIP/2.0/%s %s:%d;branch=%s%s" % ("TCP" if self.tcp else "UDP",
                                                 ("[%s]" % a.local) if ":" in a.local else a.local,
                                                 self.lport, branch, a.via_params)
        body = a.body.replace("\\r\\n", "\r\n").replace("\n", "\r\n") if a.body else ""
        if body and not body.endswith("\r\n"):
            body += "\r\n"
        self.last_via = via
        lines = ["%s %s SIP/2.0" % (a.method, a.ruri), "Via: " + via, "Max-Forwards: 70",
                 "From: <%s>;tag=%s" % (a.from_uri, self.tag), "To: <%s>%s" % (a.to_uri, a.to_params),
                 "Call-ID: " + self.callid, "CSeq: %d %s" % (self.cseq, a.method)]
        if a.contact:
            lines.append("Contact: " + a.contact)
        for x in a.header:
            lines.append(x)
        lines += extra
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append("Content-Length: %d" % len(body.encode()))
        return "\r\n".join(lines) + "\r\n\r\n" + body

    def final(self):
        while True:
            msg, src = self.recv()
            if msg.startswith("SIP/2.0"):
                code, reason = status(msg)
                if code >= 200:
                    if code >= 300 and self.a.method == "INVITE":
                        self.ack(msg)
                    return msg, src, code, reason

    def ack(self, resp):
        """RFC 3261 17.1.1.3: the ACK for a non-2xx final, same branch."""
        a = self.a
        to = (headers(resp, "To") or headers(resp, "t") or ["<%s>" % a.to_uri])[0]
        lines = ["ACK %s SIP/2.0" % a.ruri, "Via: " + self.last_via, "Max-Forwards: 70",
                 "From: <%s>;tag=%s" % (a.from_uri, self.tag), "To: " + to,
                 "Call-ID: " + self.callid, "CSeq: %d ACK" % self.cseq]
        lines += [x for x in a.header if x.lower().startswith("route:")]
        self.send("\r\n".join(lines) + "\r\n" + "Content-Length: 0\r\n\r\n")


def auth_header(a, msg, code, nc, cnonce, override_nonce=None):
    name = "WWW-Authenticate" if code == 401 else "Proxy-Authenticate"
    chals = [parse_chal(v) for v in headers(msg, name)]
    want = a.alg.upper()
    ch = next((c for c in chals if c.get("algorithm", "MD5").upper() == want), None)
    if ch is None:
        return None, chals
    realm, nonce = ch["realm"], override_nonce or ch["nonce"]
    ha1 = h(want, "%s:%s:%s" % (a.user, realm, a.password))
    ha2 = h(want, "%s:%s" % (a.method, a.ruri))
    ncs = "%08x" % nc
    resp = h(want, "%s:%s:%s:%s:auth:%s" % (ha1, nonce, ncs, cnonce, ha2))
    hdr = ('%s: Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
           'algorithm=%s, cnonce="%s", qop=auth, nc=%s' %
           ("Authorization" if code == 401 else "Proxy-Authorization", a.auth_user or a.user,
            realm, nonce, a.ruri, resp, ch.get("algorithm", "MD5"), cnonce, ncs))
    return hdr, chals


def run(a):
    c = Client(a)
    out = {"lport": c.lport}
    try:
        c.send(c.build([]))
        msg, src, code, reason = c.final()
        out["first"] = code
        chal_hdrs = headers(msg, "WWW-Authenticate") + headers(msg, "Proxy-Authenticate")
        out["challenges"] = chal_hdrs
        if code in (401, 407) and a.user:
            cnonce = "%x" % random.getrandbits(64)
            hdr, _ = auth_header(a, msg, code, 1, cnonce)
            if hdr is None:
                out["error"] = "no %s challenge" % a.alg
            else:
                c.cseq += 1
                c.send(c.build([hdr]))
                msg, src, code, reason = c.final()
                if a.replay:
                    # the same credentials (same nonce and nc) once more
                    c.cseq += 1
                    c.send(c.build([hdr]))
                    msg, src, code, reason = c.final()
                    out["replay_stale"] = any("stale=true" in x for x in
                                              headers(msg, "WWW-Authenticate") +
                                              headers(msg, "Proxy-Authenticate"))
        out.update(code=code, reason=reason, src="%s:%d" % (src[0], src[1]),
                   warning=headers(msg, "Warning"), contact=headers(msg, "Contact"),
                   pai=headers(msg, "P-Asserted-Identity"))
    except (socket.timeout, TimeoutError):
        out.setdefault("code", 0)
        out["timeout"] = True
    print(json.dumps(out))


def listen(a):
    fam = socket.AF_INET6 if ":" in a.local else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((a.local, a.lport))
    sys.stdout.write(json.dumps({"listening": s.getsockname()[1]}) + "\n")
    sys.stdout.flush()
    end = time.time() + a.timeout
    while time.time() < end:
        s.settimeout(max(0.1, end - time.time()))
        try:
            data, src = s.recvfrom(65535)
        except (socket.timeout, TimeoutError):
            break
        msg = data.decode(errors="replace")
        rec = {"src": "%s:%d" % (src[0], src[1]), "first": msg.split("\r\n", 1)[0],
               "pai": headers(msg, "P-Asserted-Identity"),
               "ppi": headers(msg, "P-Preferred-Identity"),
               "proxy_auth": headers(msg, "Proxy-Authorization"),
               "route": headers(msg, "Route")}
        sys.stdout.write(json.dumps(rec) + "\n")
        sys.stdout.flush()
        if not msg.startswith("SIP/2.0") and not msg.startswith("ACK "):
            head = msg.split("\r\n\r\n", 1)[0].split("\r\n")
            keep = [x for x in head[1:] if x.split(":", 1)[0].strip().lower() in
                    ("via", "v", "from", "f", "to", "t", "call-id", "i", "cseq")]
            extra = "P-Asserted-Identity: <sip:+15550000000@evil.example>\r\n" if a.pai else ""
            resp = ("SIP/2.0 486 Busy Here\r\n" + "\r\n".join(keep) + "\r\n" + extra +
                    "Content-Length: 0\r\n\r\n")
            s.sendto(resp.encode(), src)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["send", "listen"])
    p.add_argument("--local", required=True)
    p.add_argument("--lport", type=int, default=0)
    p.add_argument("--server", default="")
    p.add_argument("--transport", default="udp")
    p.add_argument("--method", default="OPTIONS")
    p.add_argument("--ruri", default="")
    p.add_argument("--from", dest="from_uri", default="sip:mallory@evil.example")
    p.add_argument("--to", dest="to_uri", default="")
    p.add_argument("--to-params", default="")
    p.add_argument("--callid", default="")
    p.add_argument("--cseq", type=int, default=1)
    p.add_argument("--contact", default="")
    p.add_argument("--header", action="append", default=[])
    p.add_argument("--via-params", default="")
    p.add_argument("--body", default="")
    p.add_argument("--user", default="")
    p.add_argument("--auth-user", default="")
    p.add_argument("--password", default="")
    p.add_argument("--alg", default="SHA-256")
    p.add_argument("--replay", action="store_true")
    p.add_argument("--timeout", type=float, default=5)
    p.add_argument("--pai", action="store_true", help="listen: a forged PAI in the answers")
    a = p.parse_args()
    if not a.to_uri:
        a.to_uri = a.ruri
    (run if a.mode == "send" else listen)(a)


if __name__ == "__main__":
    main()
