// SPDX-License-Identifier: GPL-2.0
/*
 * netlink.c - keeps xr_tx_ports (where XDP may redirect) and xr_vlans (VLAN
 * device -> lower device and tag) in step with the host's links: one
 * RTM_GETLINK dump at start, then RTNLGRP_LINK notifications on a libev loop.
 * Addresses and routes are not tracked here: bpf_fib_lookup asks the kernel.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <ev.h>
#include <libmnl/libmnl.h>
#include <net/if_arp.h>
#include <linux/if_link.h>
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
	struct mnl_socket	*sock;	/* subscribed to RTNLGRP_LINK */
	ev_io			 io;
	int			*seen;	/* ifindexes kept during a dump (sweep) */
	int			 nseen, seen_cap;
	bool			 dumping;
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
 * One full RTM_GETLINK dump on a throw-away socket, applied to the maps, then
 * entries for links the dump did not keep (left by an earlier daemon) swept.
 */
static int
nl_dump(struct fp *fp)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *s;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	unsigned seq = (unsigned)time(NULL), portid;
	int ret, err = 0, ntx = 0, nvlan = 0;
	__u32 key, next;
	void *prev;

	s = mnl_socket_open(NETLINK_ROUTE);
	if (!s)
		return -errno;
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out_close;
	}
	portid = mnl_socket_get_portid(s);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0) {
		err = -errno;
		goto out_close;
	}

	nl.nseen = 0;
	nl.dumping = true;
	for (;;) {
		ret = (int)mnl_socket_recvfrom(s, buf, sizeof(buf));
		if (ret < 0) {
			err = -errno;
			break;
		}
		ret = mnl_cb_run(buf, (size_t)ret, seq, portid, nl_link_cb, fp);
		if (ret <= MNL_CB_STOP) {
			if (ret < 0)
				err = -errno;
			break;
		}
	}
	nl.dumping = false;
	if (!err) {
		nl_sweep(fp->tx_ports_fd);
		nl_sweep(fp->vlans_fd);
	}

	for (prev = NULL; bpf_map_get_next_key(fp->tx_ports_fd, prev, &next) == 0; prev = &key) {
		key = next;
		ntx++;
	}
	for (prev = NULL; bpf_map_get_next_key(fp->vlans_fd, prev, &next) == 0; prev = &key) {
		key = next;
		nvlan++;
	}
	if (!err)
		fp_info("%d interface%s can take redirected frames, %d VLAN device%s known",
			ntx, ntx == 1 ? "" : "s", nvlan, nvlan == 1 ? "" : "s");
out_close:
	mnl_socket_close(s);
	return err;
}

static void
nl_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int ret, err;

	for (int i = 0; i < 64; i++) {	/* bounded: yield to the loop now and then */
		ret = (int)mnl_socket_recvfrom(nl.sock, buf, sizeof(buf));
		if (ret < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			if (errno == ENOBUFS) {
				/* Notifications were lost: start again from a dump. */
				fp_warnx("link notifications overran, resynchronising");
				err = nl_dump(nl.fp);
				if (err)
					fp_warnx("link dump failed: %s", strerror(-err));
				continue;
			}
			fp_warn("netlink receive");
			return;
		}
		mnl_cb_run(buf, (size_t)ret, 0, 0, nl_link_cb, nl.fp);
	}
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
	if (mnl_socket_bind(nl.sock, 1u << (RTNLGRP_LINK - 1), MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		fp_warn("netlink bind to RTNLGRP_LINK");
		goto out_close;
	}
	err = nl_dump(fp);
	if (err) {
		fp_warnx("link dump failed: %s", strerror(-err));
		goto out_close;
	}
	ev_io_init(&nl.io, nl_io_cb, mnl_socket_get_fd(nl.sock), EV_READ);
	ev_io_start(loop, &nl.io);
	return 0;

out_close:
	mnl_socket_close(nl.sock);
	nl.sock = NULL;
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
}
