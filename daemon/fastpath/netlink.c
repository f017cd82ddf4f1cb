// SPDX-License-Identifier: GPL-2.0
/*
 * netlink.c - one routing netlink socket on a libev loop.  It keeps
 * xr_tx_ports (where XDP may redirect) and xr_vlans (VLAN device -> lower
 * device and tag) in step with the host's links (RTM_GETLINK dump at start,
 * then RTNLGRP_LINK), and raises the next-hop epoch (xr_cfg.nh_epoch) on
 * every change a next hop the program cached depends on: links, addresses,
 * routes, rules, nexthop objects, neighbours (nhwatch.c decides; a
 * neighbour dump at start seeds its table).  The next hops themselves are
 * the kernel's: bpf_fib_lookup asks it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>

#include <bpf/bpf.h>
#include <ev.h>
#include <libmnl/libmnl.h>
#include <net/if_arp.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "common/log.h"
#include "fastpath/fastpath.h"
#include "xrelay/maps.h"

/* This module's log lines, under the "fastpath" subsystem; fp_warn adds errno. */
#define fp_info(...)		slog(LS_FASTPATH, LL_INFO, __VA_ARGS__)
#define fp_warnx(...)		slog(LS_FASTPATH, LL_WARN, __VA_ARGS__)
#define fp_warn(fmt, ...)	\
	slog(LS_FASTPATH, LL_WARN, fmt ": %s", ##__VA_ARGS__, strerror(errno))

/* What one RTM_NEWLINK/RTM_DELLINK says about a link. */
struct nl_link {
	int		ifindex;
	unsigned	flags;		/* IFF_* */
	unsigned short	type;		/* ARPHRD_* */
	const char	*name;		/* IFLA_IFNAME, or NULL */
	const char	*kind;		/* IFLA_INFO_KIND, NULL for physical devices */
	int		lower;		/* IFLA_LINK, 0 when absent */
	int		vlan_id;	/* IFLA_VLAN_ID, -1 when absent */
};

/* The single watcher: the daemon has one fast path. */
static struct {
	struct fp		*fp;
	struct ev_loop		*loop;
	struct mnl_socket	*sock;	/* subscribed to the groups of nl_subscribe() */
	ev_io			 io;
	int			*seen;	/* ifindexes kept during a dump (sweep) */
	int			 nseen, seen_cap;
	bool			 dumping;
	struct fp_neigh_tab	*neigh;	/* valid neighbours and their lladdr */
	/* Epoch raises by cause, and in all; written by the loop, read by any thread. */
	uint64_t		 nh_counts[FP_NH__MAX];
	uint64_t		 nh_total;
} nl;

int
fp_tx_port_set(struct fp *fp, int ifindex, bool on)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	__u32 key = (__u32)ifindex;
	/* struct bpf_devmap_val when the map has 8-byte values, else the ifindex */
	__u32 val[2] = { (__u32)ifindex, 0 };

	if (!on) {
		if (bpf_map_delete_elem(fp->tx_ports_fd, &key) && errno != ENOENT)
			return -errno;
		return 0;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fp->tx_ports_fd, &info, &len))
		return -errno;
	if (info.value_size != 4 && info.value_size != 8)
		return -EPROTO;
	if (bpf_map_update_elem(fp->tx_ports_fd, &key, val, BPF_ANY))
		return -errno;
	return 0;
}

static int
nl_vlan_set(struct fp *fp, const struct nl_link *l, bool on)
{
	__u32 key = (__u32)l->ifindex;
	struct xr_vlan v;

	if (!on) {
		if (bpf_map_delete_elem(fp->vlans_fd, &key) && errno != ENOENT)
			return -errno;
		return 0;
	}
	memset(&v, 0, sizeof(v));
	v.lower_ifindex = (__u32)l->lower;
	v.vlan_id = (__u16)l->vlan_id;
	if (bpf_map_update_elem(fp->vlans_fd, &key, &v, BPF_ANY))
		return -errno;
	return 0;
}

static bool
nl_attached(const struct fp *fp, int ifindex)
{
	for (int i = 0; i < fp->nlinks; i++)
		if (fp->links[i].ifindex == ifindex)
			return true;
	return false;
}

/*
 * Can a frame be redirected out of this link?  The egress device needs
 * ndo_xdp_xmit: physical NICs (no IFLA_INFO_KIND, Ethernet, not loopback)
 * and veth do; VLAN, bridge, bond, lo, tunnels and the rest do not, and the
 * program passes such traffic to the stack.  An interface the program is
 * attached to always qualifies (XDP_TX or redirect back out of it).
 */
static bool
nl_tx_capable(const struct fp *fp, const struct nl_link *l)
{
	if (nl_attached(fp, l->ifindex))
		return true;
	if (l->kind)
		return strcmp(l->kind, "veth") == 0;
	return l->type == ARPHRD_ETHER && !(l->flags & IFF_LOOPBACK);
}

static int
nl_info_data_cb(const struct nlattr *a, void *data)
{
	struct nl_link *l = data;

	if (mnl_attr_get_type(a) == IFLA_VLAN_ID &&
	    mnl_attr_validate(a, MNL_TYPE_U16) >= 0)
		l->vlan_id = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int
nl_linkinfo_cb(const struct nlattr *a, void *data)
{
	struct nl_link *l = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_INFO_KIND:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
			l->kind = mnl_attr_get_str(a);
		break;
	case IFLA_INFO_DATA:
		/* Only VLAN data is read; other kinds' data is ignored. */
		if (l->kind && strcmp(l->kind, "vlan") == 0)
			mnl_attr_parse_nested(a, nl_info_data_cb, l);
		break;
	}
	return MNL_CB_OK;
}

static int
nl_link_attr_cb(const struct nlattr *a, void *data)
{
	struct nl_link *l = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
			l->name = mnl_attr_get_str(a);
		break;
	case IFLA_LINK:
		if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			l->lower = (int)mnl_attr_get_u32(a);
		break;
	case IFLA_LINKINFO:
		/* IFLA_INFO_KIND precedes IFLA_INFO_DATA in the kernel's messages. */
		mnl_attr_parse_nested(a, nl_linkinfo_cb, l);
		break;
	}
	return MNL_CB_OK;
}

static void
nl_seen_add(int ifindex)
{
	if (nl.nseen == nl.seen_cap) {
		int cap = nl.seen_cap ? nl.seen_cap * 2 : 64;
		int *p = realloc(nl.seen, (size_t)cap * sizeof(*p));

		if (!p)
			return;	/* the sweep then keeps everything: harmless */
		nl.seen = p;
		nl.seen_cap = cap;
	}
	nl.seen[nl.nseen++] = ifindex;
}

static bool
nl_seen_has(int ifindex)
{
	for (int i = 0; i < nl.nseen; i++)
		if (nl.seen[i] == ifindex)
			return true;
	return false;
}

/* Apply one link message to the maps. */
static int
nl_link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fp *fp = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct nl_link l = { .vlan_id = -1 };
	bool gone, tx, vlan;
	int err;

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return MNL_CB_OK;
	/* Bridges repeat RTM_NEWLINK for their ports with AF_BRIDGE: not a link change. */
	if (ifi->ifi_family != AF_UNSPEC && ifi->ifi_family != AF_PACKET)
		return MNL_CB_OK;
	l.ifindex = ifi->ifi_index;
	l.flags = ifi->ifi_flags;
	l.type = ifi->ifi_type;
	mnl_attr_parse(nlh, sizeof(*ifi), nl_link_attr_cb, &l);

	gone = nlh->nlmsg_type == RTM_DELLINK || !(l.flags & IFF_UP);
	tx = !gone && nl_tx_capable(fp, &l);
	vlan = !gone && l.kind && strcmp(l.kind, "vlan") == 0 && l.lower > 0 && l.vlan_id >= 0;

	err = fp_tx_port_set(fp, l.ifindex, tx);
	if (err)
		fp_warnx("%s %s (ifindex %d) in %s: %s", tx ? "cannot add" :
			 "cannot remove", l.name ? l.name : "?", l.ifindex, XR_MAP_TX_PORTS,
			 strerror(-err));
	err = nl_vlan_set(fp, &l, vlan);
	if (err)
		fp_warnx("%s VLAN %s (ifindex %d) in %s: %s", vlan ? "cannot add" :
			 "cannot remove", l.name ? l.name : "?", l.ifindex, XR_MAP_VLANS,
			 strerror(-err));
	if (nl.dumping && (tx || vlan))
		nl_seen_add(l.ifindex);
	fp_debug("link %s ifindex %d kind %s %s: tx port %s%s", l.name ? l.name : "?",
		 l.ifindex, l.kind ? l.kind : "-", gone ? "down/gone" : "up",
		 tx ? "yes" : "no", vlan ? ", vlan" : "");
	return MNL_CB_OK;
}

/* Delete every key of an ifindex-keyed map that the last dump did not keep. */
static void
nl_sweep(int fd)
{
	__u32 key, next, stale[256];
	int nstale = 0;
	void *prev = NULL;

	while (nstale < (int)(sizeof(stale) / sizeof(stale[0])) &&
	       bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (!nl_seen_has((int)next))
			stale[nstale++] = next;
		key = next;
		prev = &key;
	}
	for (int i = 0; i < nstale; i++)
		bpf_map_delete_elem(fd, &stale[i]);
}

/*
 * One full dump of type (RTM_GETLINK, RTM_GETNEIGH; hdrlen: its family
 * header, sent zeroed: AF_UNSPEC) on a throw-away socket, every message
 * through cb(nlh, data).  0 or -errno.
 */
static int
nl_dump_req(uint16_t type, size_t hdrlen, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *s;
	struct nlmsghdr *nlh;
	unsigned seq = (unsigned)time(NULL), portid;
	int ret, err = 0;

	s = mnl_socket_open(NETLINK_ROUTE);
	if (!s)
		return -errno;
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out_close;
	}
	portid = mnl_socket_get_portid(s);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	mnl_nlmsg_put_extra_header(nlh, hdrlen);
	if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0) {
		err = -errno;
		goto out_close;
	}
	for (;;) {
		ret = (int)mnl_socket_recvfrom(s, buf, sizeof(buf));
		if (ret < 0) {
			err = -errno;
			break;
		}
		ret = mnl_cb_run(buf, (size_t)ret, seq, portid, cb, data);
		if (ret <= MNL_CB_STOP) {
			if (ret < 0)
				err = -errno;
			break;
		}
	}
out_close:
	mnl_socket_close(s);
	return err;
}

static int
nl_map_count(int fd)
{
	__u32 key, next;
	void *prev;
	int n = 0;

	for (prev = NULL; bpf_map_get_next_key(fd, prev, &next) == 0; prev = &key) {
		key = next;
		n++;
	}
	return n;
}

/*
 * The link dump applied to the maps, then entries for links the dump did
 * not keep (left by an earlier daemon) swept.
 */
static int
nl_dump_links(struct fp *fp)
{
	int err, ntx, nvlan;

	nl.nseen = 0;
	nl.dumping = true;
	err = nl_dump_req(RTM_GETLINK, sizeof(struct ifinfomsg), nl_link_cb, fp);
	nl.dumping = false;
	if (err)
		return err;
	nl_sweep(fp->tx_ports_fd);
	nl_sweep(fp->vlans_fd);
	ntx = nl_map_count(fp->tx_ports_fd);
	nvlan = nl_map_count(fp->vlans_fd);
	fp_info("%d interface%s can take redirected frames, %d VLAN device%s known",
		ntx, ntx == 1 ? "" : "s", nvlan, nvlan == 1 ? "" : "s");
	return 0;
}

static int
nl_neigh_seed_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)fp_nh_classify(data, nlh);	/* learning: no verdict */
	return MNL_CB_OK;
}

/* The neighbour table afresh from a neighbour dump.  0 or -errno. */
static int
nl_dump_neigh(void)
{
	int err;

	fp_neigh_tab_clear(nl.neigh);
	err = nl_dump_req(RTM_GETNEIGH, sizeof(struct ndmsg), nl_neigh_seed_cb, nl.neigh);
	if (err)
		return err;
	fp_neigh_tab_seeded(nl.neigh);
	fp_debug("%zu neighbour%s known", fp_neigh_tab_count(nl.neigh),
		 fp_neigh_tab_count(nl.neigh) == 1 ? "" : "s");
	return 0;
}

/*
 * Raise the next-hop epoch for the causes in mask (1 << FP_NH_x), counted
 * under each.  Logged at debug level, at most a few lines a second.
 */
static void
nl_nh_bump(unsigned mask)
{
	char why[128] = "";
	size_t len = 0;

	if (!mask)
		return;
	fp_nh_epoch_bump(nl.fp);
	__atomic_fetch_add(&nl.nh_total, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < FP_NH__MAX; i++) {
		if (!(mask & (1u << i)))
			continue;
		__atomic_fetch_add(&nl.nh_counts[i], 1, __ATOMIC_RELAXED);
		if (len < sizeof(why))
			len += (size_t)snprintf(why + len, sizeof(why) - len, "%s%s",
						len ? ", " : "", fp_nh_why_names[i]);
	}
	log_ratelimited(LS_FASTPATH, LL_DEBUG, "next hops asked afresh (epoch %u): %s changed",
			fp_nh_epoch(nl.fp), why);
}

/*
 * Start over from dumps (start, lost notifications): links into the maps,
 * neighbours into their table; then every cached next hop is asked afresh
 * (what changed unseen is not known).  0 or the link dump's -errno; both
 * dumps' failures logged (without the neighbour dump the table is not
 * seeded: neighbours are learnt as they are announced, each one's first
 * sight counting).
 */
static int
nl_resync(struct fp *fp)
{
	int err, err2;

	err = nl_dump_links(fp);
	if (err)
		fp_warnx("link dump failed: %s", strerror(-err));
	err2 = nl_dump_neigh();
	if (err2)
		fp_warnx("neighbour dump failed: %s", strerror(-err2));
	nl_nh_bump(1u << FP_NH_RESYNC);
	return err;
}

/* One notification: links to the maps; its next-hop verdict into *mask. */
static int
nl_notify_cb(const struct nlmsghdr *nlh, void *data)
{
	unsigned *mask = data;
	enum fp_nh_why why;

	if (nlh->nlmsg_type == RTM_NEWLINK || nlh->nlmsg_type == RTM_DELLINK)
		nl_link_cb(nlh, nl.fp);
	why = fp_nh_classify(nl.neigh, nlh);
	if (why != FP_NH_NONE)
		*mask |= 1u << why;
	return MNL_CB_OK;
}

/*
 * Every notification queued (64 reads at most, then back to the loop); the
 * epoch raised once for all of them that held a change, so that a burst
 * (a routing daemon's updates, router advertisements a host on the LAN
 * sends) sends the flows to the fib once a loop turn, not once a message.
 * Lost notifications (ENOBUFS) are made good by one resync after the
 * reads, whatever the number of overruns among them: a flood that keeps
 * the socket full (forged ARP making the kernel learn neighbour after
 * neighbour) costs two dumps a loop turn, not two a read.
 */
static void
nl_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned mask = 0;
	bool lost = false;
	int ret;

	for (int i = 0; i < 64; i++) {
		ret = (int)mnl_socket_recvfrom(nl.sock, buf, sizeof(buf));
		if (ret < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			if (errno == ENOBUFS) {
				lost = true;
				continue;
			}
			fp_warn("netlink receive");
			break;
		}
		mnl_cb_run(buf, (size_t)ret, 0, 0, nl_notify_cb, &mask);
	}
	if (lost) {
		/* Start again from dumps, after what was read: it raises the epoch. */
		fp_warnx("routing notifications overran, resynchronising");
		nl_resync(nl.fp);
		return;
	}
	nl_nh_bump(mask);
}

/*
 * The groups: links (the maps and next hops), and whatever else a next hop
 * depends on.  RTNLGRP_NEXTHOP (32) is joined with NETLINK_ADD_MEMBERSHIP,
 * best effort: kernels before 5.3 have no nexthop objects.  0 or -errno.
 */
static int
nl_subscribe(struct mnl_socket *sock)
{
	static const unsigned groups[] = {
		RTNLGRP_LINK, RTNLGRP_NEIGH, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
		RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE,
	};
	unsigned mask = 0;
	int nh = RTNLGRP_NEXTHOP;

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		mask |= 1u << (groups[i] - 1);
	if (mnl_socket_bind(sock, mask, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	if (mnl_socket_setsockopt(sock, NETLINK_ADD_MEMBERSHIP, &nh, sizeof(nh)) < 0)
		fp_debug("RTNLGRP_NEXTHOP not joined (%s): nexthop objects are seen only "
			 "through their routes", strerror(errno));
	return 0;
}

void
fp_netlink_nh_counts(uint64_t out[], uint64_t *total)
{
	for (int i = 0; i < FP_NH__MAX; i++)
		out[i] = __atomic_load_n(&nl.nh_counts[i], __ATOMIC_RELAXED);
	if (total)
		*total = __atomic_load_n(&nl.nh_total, __ATOMIC_RELAXED);
}

int
fp_netlink_start(struct fp *fp, struct ev_loop *loop)
{
	int err, rcvbuf = 1 << 20;

	if (nl.sock)
		return -EBUSY;
	nl.fp = fp;
	nl.loop = loop;

	/* Subscribe first, dump second: a change in between is seen twice, never missed. */
	nl.sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!nl.sock) {
		err = -errno;
		fp_warn("netlink socket");
		return err;
	}
	if (setsockopt(mnl_socket_get_fd(nl.sock), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		fp_debug("SO_RCVBUF on the netlink socket: %s", strerror(errno));
	err = nl_subscribe(nl.sock);
	if (err) {
		fp_warnx("netlink bind to the routing groups: %s", strerror(-err));
		goto out_close;
	}
	nl.neigh = fp_neigh_tab_new(FP_NEIGH_MAX);
	if (!nl.neigh) {
		err = -ENOMEM;
		goto out_close;
	}
	err = nl_resync(fp);
	if (err)
		goto out_close;
	ev_io_init(&nl.io, nl_io_cb, mnl_socket_get_fd(nl.sock), EV_READ);
	ev_io_start(loop, &nl.io);
	return 0;

out_close:
	mnl_socket_close(nl.sock);
	nl.sock = NULL;
	fp_neigh_tab_free(nl.neigh);
	nl.neigh = NULL;
	return err;
}

void
fp_netlink_stop(void)
{
	if (!nl.sock)
		return;
	ev_io_stop(nl.loop, &nl.io);
	mnl_socket_close(nl.sock);
	nl.sock = NULL;
	free(nl.seen);
	nl.seen = NULL;
	nl.nseen = nl.seen_cap = 0;
	fp_neigh_tab_free(nl.neigh);
	nl.neigh = NULL;
}
