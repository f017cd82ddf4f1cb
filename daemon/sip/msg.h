/* SPDX-License-Identifier: GPL-2.0 */
/*
 * msg.h - the public SIP message parser API (RFC 3261 §7, §20, §25).
 * Zero-copy over the receive buffer: every field is a struct sip_str slice
 * into the caller's buffer, which must outlive the struct sip_msg.  No
 * allocation, no globals: several threads may parse different messages at
 * once; one message may be read (const) by several threads after parsing.
 * Owns: start line, header split, compact forms, structured views (Via,
 * name-addr, URI, CSeq, Contact, Route, token lists), URI comparison, AOR.
 * Does not own: framing on streams beyond sip_frame_length(), building
 * messages (build.h), policy (proxy/).
 */
#ifndef XR_SIP_MSG_H
#define XR_SIP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/str.h"

#define SIP_MAX_MSG_SIZE	65535	/* bytes in one message, headers + body */
#define SIP_MAX_HEADERS		128	/* header fields (lines) in one message */

/* ---- errors ---------------------------------------------------------- */

enum sip_errkind {
	SIP_E_NONE = 0,
	SIP_E_TOO_BIG,		/* 513 "Message Too Large" (§21.5.11) */
	SIP_E_TOO_MANY_HDRS,	/* 400 "Too Many Headers (max 128)" */
	SIP_E_NO_END,		/* 400 no empty line after the headers */
	SIP_E_START_LINE,	/* 400 request/status line syntax */
	SIP_E_VERSION,		/* 505 SIP-Version other than 2.0 */
	SIP_E_RURI,		/* 400 Request-URI */
	SIP_E_STATUS,		/* 400 status code not 100..699 */
	SIP_E_HDR_SYNTAX,	/* 400 a header line without name or colon */
	SIP_E_DUP_HDR,		/* 400 a single-value header appears twice */
	SIP_E_HDR_VALUE,	/* 400 a known header's value is malformed */
	SIP_E_CSEQ_METHOD,	/* 400 CSeq method differs from request method */
	SIP_E_CONTENT_LENGTH,	/* 400 Content-Length bad, or body shorter */
	SIP_E_MISSING_HDR,	/* 400 sip_msg_check_request(): mandatory header absent */
	SIP_E_MAX_FORWARDS,	/* 400 Max-Forwards not 0..255 */
};

/*
 * What went wrong.  reason is a static string fit for a response's reason
 * phrase ("Bad Content-Length", "Duplicate CSeq Header", ...); code is the
 * status to answer with (400, 513, 505); hdr the index in m->hdrs of the
 * offending header or -1.  can_reply: the message is a request (not an
 * ACK) whose method was read and whose header lines were split, with a Via
 * among them, so sip_build_response() can answer it even though the
 * request line (RFC 4475 lwsstart, escruri...) or a header is broken;
 * headers that are missing are left out of the response.
 */
struct sip_err {
	enum sip_errkind kind;
	int		 code;
	const char	*reason;
	int		 hdr;
	bool		 can_reply;
};

/* ---- methods, header types ------------------------------------------ */

enum sip_method {
	SIP_METHOD_UNKNOWN = 0,	/* see method_str */
	SIP_METHOD_INVITE,
	SIP_METHOD_ACK,
	SIP_METHOD_BYE,
	SIP_METHOD_CANCEL,
	SIP_METHOD_OPTIONS,
	SIP_METHOD_REGISTER,
	SIP_METHOD_PRACK,
	SIP_METHOD_SUBSCRIBE,
	SIP_METHOD_NOTIFY,
	SIP_METHOD_PUBLISH,
	SIP_METHOD_INFO,
	SIP_METHOD_REFER,
	SIP_METHOD_MESSAGE,
	SIP_METHOD_UPDATE,
};

/* Types after compact-form mapping (RFC 3261 §7.3.3, IANA compact forms). */
enum sip_hdr_type {
	SIP_HDR_OTHER = 0,	/* unknown: match by name */
	SIP_HDR_VIA,		/* v */
	SIP_HDR_FROM,		/* f */
	SIP_HDR_TO,		/* t */
	SIP_HDR_CALL_ID,	/* i */
	SIP_HDR_CSEQ,
	SIP_HDR_MAX_FORWARDS,
	SIP_HDR_CONTACT,	/* m */
	SIP_HDR_CONTENT_LENGTH,	/* l */
	SIP_HDR_CONTENT_TYPE,	/* c */
	SIP_HDR_CONTENT_ENCODING, /* e */
	SIP_HDR_ROUTE,
	SIP_HDR_RECORD_ROUTE,
	SIP_HDR_EXPIRES,
	SIP_HDR_MIN_EXPIRES,
	SIP_HDR_REQUIRE,
	SIP_HDR_PROXY_REQUIRE,
	SIP_HDR_SUPPORTED,	/* k */
	SIP_HDR_UNSUPPORTED,
	SIP_HDR_ALLOW,
	SIP_HDR_ACCEPT,
	SIP_HDR_DATE,
	SIP_HDR_SUBJECT,	/* s */
	SIP_HDR_EVENT,		/* o */
	SIP_HDR_ALLOW_EVENTS,	/* u */
	SIP_HDR_REFER_TO,	/* r */
	SIP_HDR_REFERRED_BY,	/* b */
	SIP_HDR_SESSION_EXPIRES, /* x */
	SIP_HDR_IDENTITY,	/* y */
	SIP_HDR_ACCEPT_CONTACT,	/* a */
	SIP_HDR_REJECT_CONTACT,	/* j */
	SIP_HDR_REQUEST_DISPOSITION, /* d */
	SIP_HDR_AUTHORIZATION,
	SIP_HDR_PROXY_AUTHORIZATION,
	SIP_HDR_WWW_AUTHENTICATE,
	SIP_HDR_PROXY_AUTHENTICATE,
	SIP_HDR_USER_AGENT,
	SIP_HDR_SERVER,
	SIP_HDR_TIMESTAMP,
	SIP_HDR_PATH,
	SIP_HDR_RETRY_AFTER,
	SIP_HDR__NUM
};

/*
 * One header field.  value has leading and trailing LWS removed but keeps
 * any folding (CRLF + WSP) inside it: every sub-parser treats CR and LF as
 * white space.  raw spans the whole field, name to the end of its last
 * line's CRLF, for copying or removing it verbatim.
 */
struct sip_hdr {
	enum sip_hdr_type type;
	struct sip_str	 name;	/* as written: "v", "Via", "MaX-fOrWaRdS" */
	struct sip_str	 value;
	struct sip_str	 raw;
};

/* ---- URIs (RFC 3261 §19.1, RFC 3966) --------------------------------- */

enum sip_scheme { SIP_SCHEME_OTHER = 0, SIP_SCHEME_SIP, SIP_SCHEME_SIPS, SIP_SCHEME_TEL };
enum sip_host_type { SIP_HOST_NAME = 0, SIP_HOST_IPV4, SIP_HOST_IPV6 };

/*
 * A parsed URI.  Everything stays escaped as written; use sip_unescape().
 * For SIP_SCHEME_OTHER (and tel) only scheme and opaque are set.
 */
struct sip_uri {
	struct sip_str	 raw;		/* the whole URI */
	enum sip_scheme	 scheme;
	struct sip_str	 scheme_str;	/* "sip", "SIPS", "nobodyKnowsThisScheme" */
	struct sip_str	 opaque;	/* everything after "scheme:" */
	struct sip_str	 user;		/* absent (s == NULL) when no '@' */
	struct sip_str	 password;	/* absent when no ':' in userinfo */
	struct sip_str	 host;		/* IPv6 with its brackets: "[2001:db8::1]" */
	enum sip_host_type host_type;
	int		 port;		/* 0 when absent */
	struct sip_str	 params;	/* ";a=b;lr" including the first ';', or empty */
	struct sip_str	 headers;	/* after '?', without it; absent when none */
	/*
	 * Well-known parameters (names matched unescaped: ";%6C%72" is lr),
	 * values still escaped; absent when not given.
	 */
	struct sip_str	 transport;
	struct sip_str	 maddr;
	struct sip_str	 user_param;	/* ;user=phone */
	struct sip_str	 method;
	struct sip_str	 ttl;
	bool		 lr;
};

/*
 * Parse one URI (no surrounding <>, no LWS).  0, or -EINVAL when the URI is
 * malformed (sip/sips: bad host, port, escapes, characters); for other
 * schemes only "scheme:" + something is required.
 */
int	sip_uri_parse(struct sip_str s, struct sip_uri *u);
/*
 * RFC 3261 §19.1.4 equality of two sip/sips URIs: scheme, user and password
 * case-sensitive after unescaping, host case-insensitive, port must match
 * in presence, the user, ttl, method, maddr and transport parameters must
 * match when either has them (transport: per the §19.1.4 examples), other
 * parameters when both have them, and
 * headers must match as sets.  Non-sip URIs compare case-insensitively as
 * a whole.  Returns true when equal.
 */
bool	sip_uri_eq(const struct sip_uri *a, const struct sip_uri *b);
/*
 * Canonical address of record "user@host" (or "host" without user), for
 * registrar keys: host lowercased; user with every escape of a character
 * that may stand unescaped in a user part decoded and every other byte
 * (NUL, space, '@', ...) written as uppercase %XX, so "sip:%75se%72@EX.com"
 * gives "user@ex.com" and escnull's "null-%00-null" stays a C string;
 * URIs equal under sip_uri_eq() give equal AORs.  No port, no parameters.
 * Writes a NUL-terminated string; returns its length, -ENOSPC when cap is
 * too small, -EINVAL for a non-sip URI or a bad escape.
 */
int	sip_uri_aor(const struct sip_uri *u, char *out, size_t cap);
/*
 * Decode %XX escapes of in into out (not NUL-terminated; NULs allowed).
 * Returns the decoded length, -EINVAL for a bad escape, -ENOSPC when the
 * result would not fit.  out may equal in.s (decoding never grows).
 */
int	sip_unescape(struct sip_str in, char *out, size_t cap);

/* ---- parameters (";name=value" lists, RFC 3261 §25.1 generic-param) --- */

/*
 * Iterate ";name[=value]" pairs in p (as stored in sip_uri.params or
 * sip_nameaddr.params).  *pos starts at 0.  Returns 1 with name/value set
 * (value absent when the parameter has none; quotes kept), 0 at the end,
 * -EINVAL on a syntax error (empty name as in ";;", junk between params).
 * LWS around ';' and '=' is allowed (header parameters).
 */
int	sip_param_next(struct sip_str p, int *pos, struct sip_str *name, struct sip_str *value);
/* Find a parameter by case-insensitive name: 1 found (value may be absent), 0 not, -EINVAL. */
int	sip_param_get(struct sip_str p, const char *name, struct sip_str *value);

/* ---- name-addr / addr-spec (From, To, Contact, Route, Record-Route) -- */

struct sip_nameaddr {
	struct sip_str	 value;		/* the whole element */
	struct sip_str	 display;	/* unquoted, still \-escaped; absent when none */
	struct sip_str	 uri;		/* the URI text, without <> */
	struct sip_str	 params;	/* header params ";tag=..;expires=.." */
	struct sip_str	 tag;		/* ;tag= value, absent when none */
	bool		 angle;		/* name-addr form (<...>) */
};

/*
 * Parse one name-addr or addr-spec with its header parameters (RFC 3261
 * §20.10: in addr-spec form the URI must not contain ',', '?' or ';' —
 * parameters after ';' belong to the header).  0 or -EINVAL.
 */
int	sip_nameaddr_parse(struct sip_str s, struct sip_nameaddr *na);

/* ---- Via (RFC 3261 §20.42, §18.2.1, RFC 3581) ------------------------ */

enum sip_proto {
	SIP_PROTO_OTHER = 0, SIP_PROTO_UDP, SIP_PROTO_TCP, SIP_PROTO_TLS,
	SIP_PROTO_SCTP, SIP_PROTO_WS, SIP_PROTO_WSS,
};

struct sip_via {
	struct sip_str	 value;		/* the whole via-parm */
	struct sip_str	 transport;	/* "UDP", "TCP", "UNKNOWN" as written */
	enum sip_proto	 proto;
	struct sip_str	 host;		/* sent-by host; IPv6 with brackets */
	enum sip_host_type host_type;
	int		 port;		/* 0 when absent */
	struct sip_str	 params;	/* ";branch=..;rport" or empty */
	struct sip_str	 branch;	/* absent when none (RFC 2543 peers) */
	struct sip_str	 received;
	struct sip_str	 maddr;
	int		 ttl;		/* -1 when absent */
	bool		 rport;		/* ;rport present */
	int		 rport_val;	/* its value, 0 when given without one */
	int		 hdr;		/* index in m->hdrs of the line it came from */
};

/* Parse one via-parm (after splitting at commas).  0 or -EINVAL. */
int	sip_via_parse(struct sip_str s, struct sip_via *v);

/* ---- the message ----------------------------------------------------- */

/* About 8 KB: keep one per worker or per transaction, not on small stacks. */
struct sip_msg {
	const char	*buf;		/* the caller's buffer */
	int		 len;		/* bytes from buf (leading CRLFs included) to the
					 * end of the body (Content-Length) */
	int		 trailing;	/* bytes after it in the datagram, ignored */
	bool		 is_request;

	/* request line */
	enum sip_method	 method;
	struct sip_str	 method_str;	/* as written, also for unknown methods */
	struct sip_str	 ruri;
	/* status line */
	int		 status;	/* 100..699, 0 for requests */
	struct sip_str	 reason;	/* may be empty */
	struct sip_str	 version;	/* "SIP/2.0" */

	struct sip_hdr	 hdrs[SIP_MAX_HEADERS];	/* in message order */
	int		 nhdrs;
	int16_t		 first[SIP_HDR__NUM];	/* index of the first of a type, -1 */
	uint8_t		 count[SIP_HDR__NUM];	/* header lines of a type (saturates) */
	struct sip_str	 body;		/* exactly Content-Length bytes, or the rest */
	int		 hdr_end;	/* offset just after the empty line: the body's */

	/* validated by sip_msg_parse(), ready to use */
	struct sip_uri	 ruri_u;	/* parsed Request-URI (scheme OTHER: opaque only) */
	struct sip_via	 via1;		/* top Via value (valid when nvia > 0) */
	int		 nvia;		/* Via values, all lines, all commas */
	struct sip_nameaddr from, to;	/* valid when first[FROM/TO] >= 0 */
	struct sip_str	 call_id;	/* absent when no Call-ID */
	uint32_t	 cseq;		/* CSeq number (< 2^31) */
	enum sip_method	 cseq_method;
	struct sip_str	 cseq_method_str;
	int		 max_forwards;	/* 0..255, -1 when absent */
	int		 content_length; /* -1 when absent */
	int		 expires;	/* Expires header, -1 absent, clamped to INT_MAX */
};

/*
 * Parse one message of len bytes at buf (a datagram, or one frame cut by
 * sip_frame_length()).  Leading CRLFs are skipped (RFC 3261 §7.5); lines may
 * end in CRLF or a bare LF; a datagram that ends right after its last
 * header line (empty line lost, RFC 4475 baddn) is accepted with an empty
 * body.  On success returns 0.  On error returns
 * -EMSGSIZE (513), -EPROTONOSUPPORT (505) or -EBADMSG (400) and fills err;
 * m is then only good for sip_build_response() when err->can_reply.
 *
 * Validated eagerly (so a proxy never forwards garbage, RFC 4475 §3.1.2):
 * start line (single SP separators, no trailing LWS, 3-digit status, SIP/2.0),
 * the Request-URI (sip/sips fully, no <>, no LWS, no headers; any other
 * scheme as "scheme:" + printable characters, for the proxy's 416), every Via
 * value, From, To, Call-ID, CSeq (number < 2^31, method equal to the
 * request's), Max-Forwards (0..255), Content-Length (body shorter -> error;
 * longer -> the rest is ignored as §18.3 says for datagrams; the rest is
 * counted in m->trailing), Expires, Date (rfc1123 GMT), Content-Type,
 * Contact/Route/Record-Route syntax, duplicate single-value headers
 * (Call-ID, CSeq, From, To, Max-Forwards, Content-Length, Content-Type,
 * Expires, Date, Min-Expires).  Everything else is parsed on demand.
 */
int	sip_msg_parse(struct sip_msg *m, const char *buf, size_t len, struct sip_err *err);

/*
 * Stream framing (RFC 3261 §18.3): the length of the message starting at
 * buf (headers + Content-Length body).  Returns the length, 0 when more
 * bytes are needed, or -EBADMSG (no/bad Content-Length once the headers are
 * complete) / -EMSGSIZE (over SIP_MAX_MSG_SIZE).  Leading CR/LF bytes are
 * counted in the length (sip_msg_parse() skips them); a buffer of nothing
 * but CR/LF gives 0: consume keep-alives (RFC 5626) with
 * sip_frame_skip_crlf() first.
 */
int	sip_frame_length(const char *buf, size_t len);
/* Number of leading CR/LF bytes at buf. */
size_t	sip_frame_skip_crlf(const char *buf, size_t len);

/*
 * Mandatory headers a proxy needs (RFC 3261 §8.2, §16.3): To, From,
 * Call-ID, CSeq, Via; Max-Forwards may be absent (the proxy adds 70).
 * The Request-URI scheme is not checked (416 is the proxy's to give).
 * 0 or -EBADMSG with err (code 400, "Missing Call-ID Header", ...);
 * err->can_reply as for sip_msg_parse().
 */
int	sip_msg_check_request(const struct sip_msg *m, struct sip_err *err);

/* Method from its name (case-sensitive, RFC 3261 §7.1); UNKNOWN otherwise. */
enum sip_method	sip_method_from_str(struct sip_str s);
const char	*sip_method_name(enum sip_method m);	/* "INVITE", "UNKNOWN" */
/* Header type from a name, compact forms included; SIP_HDR_OTHER if unknown. */
enum sip_hdr_type sip_hdr_type_from_name(struct sip_str name);
const char	*sip_hdr_name(enum sip_hdr_type t);	/* canonical long name */

/* First header of a type, or NULL. */
const struct sip_hdr *sip_msg_hdr(const struct sip_msg *m, enum sip_hdr_type t);
/* Next header of the same type after h (types OTHER match by name), or NULL. */
const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *m, const struct sip_hdr *h);
/* First header with this name (case-insensitive; compact forms map), or NULL. */
const struct sip_hdr *sip_msg_hdr_by_name(const struct sip_msg *m, const char *name);

/*
 * Iteration over comma-separated values across every header of one type
 * (RFC 3261 §7.3.1).  Commas inside quotes or <> are not separators; only
 * list types are split (Via, Contact, Route, Record-Route, Path, Require,
 * Proxy-Require, Supported, Unsupported, Allow, Accept, Content-Encoding,
 * Allow-Events, Accept-/Reject-Contact, Request-Disposition); any other
 * type yields each header's whole value (Date, auth headers...).  Empty
 * elements are skipped.  SIP_HDR_OTHER yields nothing (use
 * sip_msg_hdr_by_name).  Start with struct sip_iter it = {0}.
 */
struct sip_iter {
	int	hdr;	/* index in m->hdrs, 0 = start */
	int	off;	/* offset in that header's value */
	bool	started;
};
/* 1 with *elem (trimmed) and *hdr (index), 0 at the end. */
int	sip_list_next(const struct sip_msg *m, enum sip_hdr_type t, struct sip_iter *it,
		      struct sip_str *elem, int *hdr);

/* ---- structured views, parsed on demand ------------------------------ */

/* The i-th Via value (0 = top), across lines.  0, -ENOENT, or -EINVAL. */
int	sip_msg_via(const struct sip_msg *m, int i, struct sip_via *v);
/* Iterator form: 1 with *v, 0 at the end, -EINVAL on a bad value. */
int	sip_msg_via_next(const struct sip_msg *m, struct sip_iter *it, struct sip_via *v);

struct sip_contact {
	bool		 star;		/* "Contact: *" (then na is empty) */
	struct sip_nameaddr na;
	int		 expires;	/* ;expires=, -1 absent, clamped to INT_MAX */
	int		 q;		/* ;q= as 0..1000, -1 absent */
	int		 hdr;		/* index in m->hdrs */
};
/* 1 with *c, 0 at the end, -EINVAL on a bad value (bad q, bad URI...). */
int	sip_msg_contact_next(const struct sip_msg *m, struct sip_iter *it,
			     struct sip_contact *c);

/*
 * Route / Record-Route entries (t = SIP_HDR_ROUTE or SIP_HDR_RECORD_ROUTE):
 * 1 with *na and *u (its parsed URI; u->lr for loose routing), 0 at the
 * end, -EINVAL.
 */
int	sip_msg_route_next(const struct sip_msg *m, enum sip_hdr_type t, struct sip_iter *it,
			   struct sip_nameaddr *na, struct sip_uri *u);

/*
 * Token lists (Require, Proxy-Require, Supported, Unsupported, Allow,
 * Allow-Events...): 1 with *tok, 0 at the end.  sip_msg_has_token() says
 * whether a token is listed (case-insensitive).
 */
int	sip_msg_token_next(const struct sip_msg *m, enum sip_hdr_type t, struct sip_iter *it,
			   struct sip_str *tok);
bool	sip_msg_has_token(const struct sip_msg *m, enum sip_hdr_type t, const char *tok);

/* Content-Type: "type/subtype" (lowercase compare with sip_str_caseeq) and params. */
struct sip_ctype {
	struct sip_str	 type;
	struct sip_str	 subtype;
	struct sip_str	 params;	/* ";boundary=..." or empty */
};
/* 0, -ENOENT when there is no Content-Type, -EINVAL when malformed. */
int	sip_msg_ctype(const struct sip_msg *m, struct sip_ctype *ct);

/* Parse a decimal of at most 10 digits into *v (clamped to INT_MAX): 0 or -EINVAL. */
int	sip_parse_uint(struct sip_str s, int *v);

#endif /* XR_SIP_MSG_H */
