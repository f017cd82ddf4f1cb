// SPDX-License-Identifier: GPL-2.0
/*
 * loader.c - owner of struct fp: opens and loads the xrelay skeleton, pins its
 * maps (or reuses pinned ones after an ABI check), attaches the XDP program
 * through bpf_links and tears it all down.  Map contents are maps.c's job,
 * interface tracking is netlink.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/magic.h>

/* The generated skeleton casts away const: not ours to fix. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "xrelay.skel.h"
#pragma GCC diagnostic pop

#include "common/log.h"
#include "fastpath/fastpath.h"
#include "xrelay/maps.h"

/* This module's log lines, under the "fastpath" subsystem; fp_warn adds errno. */
#define fp_info(...)		slog(LS_FASTPATH, LL_INFO, __VA_ARGS__)
#define fp_warnx(...)		slog(LS_FASTPATH, LL_WARN, __VA_ARGS__)
#define fp_warn(fmt, ...)	\
	slog(LS_FASTPATH, LL_WARN, fmt ": %s", ##__VA_ARGS__, strerror(errno))

/* libbpf's messages, one level lower than libbpf rates them (xdp-tools). */
static int
fp_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int lvl;
	char msg[1024];
	size_t n;

	switch (level) {
	case LIBBPF_WARN:
		lvl = LL_INFO;
		break;
	case LIBBPF_INFO:
	case LIBBPF_DEBUG:
	default:
		lvl = LL_DEBUG;
		break;
	}
	if (!log_enabled(LS_FASTPATH, lvl))
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	/* most of libbpf's messages name it already */
	logs(LS_FASTPATH, lvl, "libbpf: %s",
	     strncmp(msg, "libbpf: ", 8) == 0 ? msg + 8 : msg);
	return 0;
}

/*
 * bpf_fib_lookup() answers FWD_DISABLED unless forwarding is on for the device
 * the lookup runs on; the program looks up on lo (fib_ifindex = 1), so lo is
 * the only device that needs it.  Edge hosts keep ip_forward=0 and, with
 * forwarding on lo alone, still route nothing between real interfaces.
 */
static const char *const fp_lo_fwd_paths[] = {
	"/proc/sys/net/ipv4/conf/lo/forwarding",
	"/proc/sys/net/ipv6/conf/lo/forwarding",
};
#define FP_LO_FWD_N	(sizeof(fp_lo_fwd_paths) / sizeof(fp_lo_fwd_paths[0]))

/*
 * Write "1" to each of lo's forwarding knobs, keeping what each said before
 * in prev ('0', '1', or 0 when unreadable) for fp_restore_lo_forwarding().
 */
static int
fp_enable_lo_forwarding(char prev[FP_LO_FWD_N])
{
	static bool logged;
	int err = 0;

	for (size_t i = 0; i < FP_LO_FWD_N; i++) {
		int fd = open(fp_lo_fwd_paths[i], O_RDONLY | O_CLOEXEC);
		char c = 0;

		prev[i] = 0;
		if (fd >= 0 && pread(fd, &c, 1, 0) == 1)
			prev[i] = c;
		if (fd >= 0)
			close(fd);
		/*
		 * Already on (e.g. set before start by a service manager whose
		 * sandbox makes /proc/sys read-only): nothing to write.
		 */
		if (c == '1')
			continue;
		fd = open(fp_lo_fwd_paths[i], O_WRONLY | O_CLOEXEC);
		if (fd < 0 || pwrite(fd, "1\n", 2, 0) != 2) {
			err = -errno;
			fp_warn("cannot enable forwarding (%s)", fp_lo_fwd_paths[i]);
		}
		if (fd >= 0)
			close(fd);
	}
	if (!err && !logged) {
		fp_info("forwarding enabled on lo only (for bpf_fib_lookup); "
			"other interfaces keep their setting");
		logged = true;
	}
	return err;
}

/* Put back what fp_enable_lo_forwarding() found, when start-up fails after it. */
static void
fp_restore_lo_forwarding(const char prev[FP_LO_FWD_N])
{
	for (size_t i = 0; i < FP_LO_FWD_N; i++) {
		char v[2] = { prev[i], '\n' };
		int fd;

		if (prev[i] != '0')	/* was on, or unknown: leave it */
			continue;
		fd = open(fp_lo_fwd_paths[i], O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, v, 2) != 2)
			fp_warn("cannot restore %s", fp_lo_fwd_paths[i]);
		if (fd >= 0)
			close(fd);
	}
}

/*
 * Take the pin directory for this daemon: an exclusive, non-blocking flock()
 * on the directory itself (bpffs holds no regular files, but any directory
 * can be flock()ed).  The lock goes with the open file description, so it
 * survives the daemon's fork into the background and dies with the process
 * whatever kills it.  Returns the locked fd, -EBUSY when another process
 * holds it (logged), or -errno.
 */
static int
fp_lock_pin_dir(const char *pin_dir)
{
	int fd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err;

	if (fd < 0) {
		err = -errno;
		fp_warn("cannot open %s", pin_dir);
		return err;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	err = errno == EWOULDBLOCK ? -EBUSY : -errno;
	if (err == -EBUSY)
		fp_warnx("pin directory %s is in use by another running xrelayd: "
			 "stop it, or give this one its own --pin-dir", pin_dir);
	else
		fp_warn("cannot lock %s", pin_dir);
	close(fd);
	return err;
}

static const char *
fp_map_type_str(enum bpf_map_type t)
{
	const char *s = libbpf_bpf_map_type_str(t);

	return s ? s : "unknown";
}

static void
fp_abi_compiled(struct xr_abi *abi)
{
	memset(abi, 0, sizeof(*abi));
	abi->version = XR_ABI_VERSION;
	abi->cfg_size = sizeof(struct xr_cfg);
	abi->ent_size = sizeof(struct xr_flow_ent);
	abi->pc_size = sizeof(struct xr_flow_pc);
	abi->ncounters = XR_CNT__MAX;
	abi->side_size = sizeof(struct xr_flow_side);
}

/*
 * Read the struct xr_abi stored in a pinned xr_abi map.  Returns 0 (abi
 * filled), -ENOENT when no such pin exists, or -errno.
 */
static int
fp_pinned_abi(const char *pin_dir, struct xr_abi *abi)
{
	char path[PATH_MAX];
	__u32 key = 0;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, XR_MAP_ABI);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	memset(abi, 0, sizeof(*abi));
	if (bpf_map_lookup_elem(fd, &key, abi))
		err = -errno;
	close(fd);
	return err;
}

/*
 * For every map of the (opened, not loaded) skeleton: when pin_dir holds a pin
 * of that name, check it against what this build expects and hand it to
 * libbpf to reuse; otherwise ask libbpf to pin the new map there.
 * Returns 0, -EPROTO after one log line on any mismatch, or -errno.
 *
 * Long (~90 lines) because each map's checks (type, key, value, entries,
 * flags) are one table-like sequence with one log line each.
 */
static int
fp_prepare_pins(struct xrelay *skel, const char *pin_dir, bool *reused_flows)
{
	struct xr_abi want, have;
	bool have_abi = false;
	struct bpf_map *map;
	int err;

	fp_abi_compiled(&want);
	err = fp_pinned_abi(pin_dir, &have);
	if (err == 0) {
		have_abi = true;
	} else if (err != -ENOENT) {
		fp_warnx("cannot read %s/%s: %s", pin_dir, XR_MAP_ABI, strerror(-err));
		return err;
	}

	bpf_object__for_each_map(map, skel->obj) {
		struct bpf_map_info info;
		__u32 len = sizeof(info);
		char path[PATH_MAX];
		int fd;

		if (bpf_map__is_internal(map))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, bpf_map__name(map));
		fd = bpf_obj_get(path);
		if (fd < 0 && errno != ENOENT) {
			err = -errno;
			fp_warn("cannot open pinned map %s", path);
			return err;
		}
		if (fd < 0) {
			err = bpf_map__set_pin_path(map, path);
			if (err) {
				fp_warnx("cannot set pin path %s: %s", path,
					 strerror(-err));
				return err;
			}
			continue;
		}
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			err = -errno;
			fp_warn("cannot query pinned map %s", path);
			close(fd);
			return err;
		}
		/* The kernel marks devmaps read-only for programs on its own. */
		if (info.type == BPF_MAP_TYPE_DEVMAP || info.type == BPF_MAP_TYPE_DEVMAP_HASH)
			info.map_flags &= ~(__u32)BPF_F_RDONLY_PROG;
		/* libbpf would refuse any of these too, with a less helpful -EINVAL. */
		if (info.type != (__u32)bpf_map__type(map) ||
		    info.key_size != bpf_map__key_size(map) ||
		    info.value_size != bpf_map__value_size(map) ||
		    info.max_entries != bpf_map__max_entries(map) ||
		    info.map_flags != bpf_map__map_flags(map)) {
			fp_warnx("pinned map %s is %s (key %u, value %u bytes, %u entries) "
				 "of ABI %u, this xrelayd is ABI %u and wants %s (key %u, "
				 "value %u bytes, %u entries): "
				 "stop the old daemon and remove the directory",
				 path, fp_map_type_str(info.type), info.key_size, info.value_size,
				 info.max_entries, have_abi ? have.version : 0, want.version,
				 fp_map_type_str(bpf_map__type(map)), bpf_map__key_size(map),
				 bpf_map__value_size(map), bpf_map__max_entries(map));
			close(fd);
			return -EPROTO;
		}
		err = bpf_map__reuse_fd(map, fd);
		close(fd);	/* reuse_fd keeps its own duplicate */
		if (!err && map == skel->maps.xr_flows)
			*reused_flows = true;
		if (err) {
			fp_warnx("cannot reuse pinned map %s: %s", path, strerror(-err));
			return err;
		}
		/* So bpf_map__is_pinned()/pin_path() tell the truth about it. */
		bpf_map__set_pin_path(map, path);
	}

	/*
	 * Matching map shapes are not enough: a struct can change meaning at the
	 * same size.  An all-zero record is a daemon that died between load and
	 * writing it; the shapes above already matched, so accept it.
	 */
	if (have_abi && have.version != 0 && memcmp(&have, &want, sizeof(want)) != 0) {
		fp_warnx("pinned maps under %s are ABI %u (flow entry %u bytes), "
			 "this xrelayd is ABI %u (flow entry %u bytes): "
			 "stop the old daemon and remove the directory",
			 pin_dir, have.version, have.ent_size, want.version, want.ent_size);
		return -EPROTO;
	}
	return 0;
}

/*
 * A pin directory under /sys/fs/bpf needs a bpffs there.  `ip netns exec`
 * remounts /sys in a private mount namespace without one; mount it then, as
 * `make deps` does on the host.  Pins in such a private instance live as long
 * as the mount namespace, which is said once in the log.
 */
static int
fp_ensure_bpffs(const char *dir)
{
	static const char bpffs[] = "/sys/fs/bpf";
	struct statfs sfs;

	if (strncmp(dir, bpffs, sizeof(bpffs) - 1) != 0 ||
	    (dir[sizeof(bpffs) - 1] != '/' && dir[sizeof(bpffs) - 1] != '\0'))
		return 0;
	if (statfs(bpffs, &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", bpffs, "bpf", 0, "mode=0700")) {
		int err = -errno;

		fp_warn("no bpffs at %s and cannot mount one", bpffs);
		return err;
	}
	fp_info("mounted a bpffs at %s (none in this mount namespace): pins last as long "
		"as the namespace", bpffs);
	return 0;
}

static int
fp_mkdir_p(const char *dir)
{
	char buf[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, dir, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * The flow table follows --media x --ports: its index means (address row,
 * port).  A pinned table of an earlier daemon whose xr_cfg says other
 * addresses or another range (or that has another size) cannot be read
 * with this configuration: its pins (xr_flows, xr_flow_side, xr_flow_pc, xr_cfg) are removed so that
 * fresh maps are made, and, in adopt mode, its flows are lost (logged; the
 * restored calls' flows are written again by daemon/ha/'s reconcile).  An
 * old program still attached through a pinned link keeps its own maps
 * until the link moves to ours.  want: this configuration's xr_cfg.
 */
static void
fp_table_pins(const char *pin_dir, const struct xr_cfg *want, __u32 nents, bool adopt)
{
	char fpath[PATH_MAX], cpath[PATH_MAX];
	struct bpf_map_info info;
	__u32 len = sizeof(info), key = 0;
	struct xr_cfg have;
	struct xr_abi abi;
	int ffd, cfd;
	bool same = false;

	if (!pin_dir || !*pin_dir)
		return;
	/* Another ABI: fp_prepare_pins() refuses the directory, untouched. */
	if (fp_pinned_abi(pin_dir, &abi) == 0 && abi.version != 0 &&
	    abi.version != XR_ABI_VERSION)
		return;
	snprintf(fpath, sizeof(fpath), "%s/%s", pin_dir, XR_MAP_FLOWS);
	snprintf(cpath, sizeof(cpath), "%s/%s", pin_dir, XR_MAP_CFG);
	ffd = bpf_obj_get(fpath);
	cfd = bpf_obj_get(cpath);
	if (ffd < 0 && cfd < 0)
		return;
	memset(&info, 0, sizeof(info));
	if (ffd >= 0 && cfd >= 0 && bpf_obj_get_info_by_fd(ffd, &info, &len) == 0 &&
	    info.type == BPF_MAP_TYPE_ARRAY && info.max_entries == nents &&
	    info.value_size == sizeof(struct xr_flow_ent) &&
	    bpf_map_lookup_elem(cfd, &key, &have) == 0)
		same = fp_cfg_same(&have, want) || (have.nports == 0 && have.n4 + have.n6 == 0);
	if (ffd >= 0)
		close(ffd);
	if (cfd >= 0)
		close(cfd);
	if (same)
		return;
	if (adopt)
		fp_warnx("the pinned flow table of the previous daemon is for other --media "
			 "addresses or --ports: its flows cannot be adopted (a new table is made)");
	else
		fp_info("the pinned flow table is for other --media addresses or --ports: "
			"a new one is made");
	if (unlink(fpath) && errno != ENOENT)
		fp_warn("cannot unpin %s", fpath);
	if (unlink(cpath) && errno != ENOENT)
		fp_warn("cannot unpin %s", cpath);
	for (size_t i = 0; i < 2; i++) {
		snprintf(fpath, sizeof(fpath), "%s/%s", pin_dir,
			 i ? XR_MAP_FLOW_SIDE : XR_MAP_FLOW_PC);
		if (unlink(fpath) && errno != ENOENT)
			fp_warn("cannot unpin %s", fpath);
	}
}

int
fp_size_maps(struct xrelay *skel, __u32 nents)
{
	int ncpus = libbpf_num_possible_cpus();
	__u32 n;

	if (ncpus <= 0)
		return ncpus < 0 ? ncpus : -EINVAL;
	if (nents && bpf_map__set_max_entries(skel->maps.xr_flows, nents))
		return -EINVAL;
	n = bpf_map__max_entries(skel->maps.xr_flows);
	if ((uint64_t)n * (uint64_t)ncpus > UINT32_MAX)
		return -E2BIG;
	if (bpf_map__set_max_entries(skel->maps.xr_flow_side, n))
		return -EINVAL;
	if (bpf_map__set_max_entries(skel->maps.xr_flow_pc, n * (__u32)ncpus))
		return -EINVAL;
	skel->rodata->flow_pc_stride = n;
	return 0;
}

static void
fp_reset(struct fp *fp)
{
	memset(fp, 0, sizeof(*fp));
	fp->flows_fd = fp->side_fd = fp->pc_fd = fp->cfg_fd = fp->counters_fd = -1;
	fp->tx_ports_fd = fp->vlans_fd = fp->abi_fd = fp->prog_fd = -1;
	fp->bans_fd = -1;
	fp->lock_fd = -1;
}

/*
 * Long (~110 lines) because it is the loader's ordered steps (lock, open,
 * pins, load, ABI check, attach), each with the label that undoes it.
 */
int
fp_open(struct fp *fp, const char *pin_dir)
{
	return fp_open_opts(fp, pin_dir, NULL);
}

int
fp_open_opts(struct fp *fp, const char *pin_dir, const struct fp_opts *o)
{
	struct xrelay *skel;
	struct bpf_program *prog;
	char lo_prev[FP_LO_FWD_N];
	struct xr_abi abi;
	struct xr_cfg want;
	__u32 key = 0, nents = 0;
	bool reused = false;
	int err, n, lock_fd = -1;

	fp_reset(fp);
	libbpf_set_print(fp_libbpf_print);

	skel = xrelay__open();
	if (!skel) {
		err = -errno;
		fp_warnx("cannot open the BPF object: %s", strerror(-err));
		return err;
	}
	skel->rodata->fib_ifindex = 1;	/* lo: see fp_enable_lo_forwarding() */
	skel->rodata->wrong_src_sample = o ? o->wrong_src_sample : FP_WRONG_SRC_SAMPLE;
	skel->rodata->media_max_pps = o ? o->media_max_pps : 0;
	if (o && o->naddrs)
		nents = (__u32)fp_table_entries(o->naddrs, o->port_lo, o->port_hi);
	if (o && o->naddrs && !nents) {
		err = -EINVAL;
		fp_warnx("no flow table for %d addresses and ports %u-%u", o->naddrs,
			 o->port_lo, o->port_hi);
		goto out_destroy;
	}
	err = fp_size_maps(skel, nents);
	if (err) {
		fp_warnx("cannot size the flow table to %u entries: %s", nents, strerror(-err));
		goto out_destroy;
	}

	if (pin_dir && *pin_dir) {
		if (strlen(pin_dir) >= sizeof(fp->pin_dir)) {
			err = -ENAMETOOLONG;
			fp_warnx("pin directory name too long: %s", pin_dir);
			goto out_destroy;
		}
		err = fp_ensure_bpffs(pin_dir);
		if (err)
			goto out_destroy;
		err = fp_mkdir_p(pin_dir);
		if (err) {
			fp_warnx("cannot create %s: %s", pin_dir, strerror(-err));
			goto out_destroy;
		}
		/* Before anything is read or flushed: a live owner's flows stay. */
		lock_fd = fp_lock_pin_dir(pin_dir);
		if (lock_fd < 0) {
			err = lock_fd;
			goto out_destroy;
		}
		if (nents) {
			fp_cfg_make(&want, o->addrs, o->naddrs, o->port_lo, o->port_hi);
			fp_table_pins(pin_dir, &want, nents, o->adopt);
		}
		err = fp_prepare_pins(skel, pin_dir, &reused);
		if (err)
			goto out_unlock;
		strcpy(fp->pin_dir, pin_dir);
	} else {
		struct bpf_map *map;

		/* Maps declared with LIBBPF_PIN_BY_NAME would pin anyway. */
		bpf_object__for_each_map(map, skel->obj)
			bpf_map__set_pin_path(map, NULL);
	}

	err = xrelay__load(skel);
	if (err) {
		fp_warnx("cannot load the XDP program: %s", strerror(-err));
		goto out_unlock;
	}

	prog = skel->progs.xr_xdp_rx;
	/*
	 * Only now that there is a program to use it.  Not fatal: the program
	 * then passes everything up (pass_fib_disabled).
	 */
	if (fp_enable_lo_forwarding(lo_prev))
		fp_warnx("without forwarding on lo every packet goes to the userspace relay");
	fp->skel = skel;
	fp->lock_fd = lock_fd;
	fp->prog_fd = bpf_program__fd(prog);
	fp->flows_fd = bpf_map__fd(skel->maps.xr_flows);
	fp->side_fd = bpf_map__fd(skel->maps.xr_flow_side);
	fp->pc_fd = bpf_map__fd(skel->maps.xr_flow_pc);
	fp->cfg_fd = bpf_map__fd(skel->maps.xr_cfg);
	fp->counters_fd = bpf_map__fd(skel->maps.xr_counters);
	fp->tx_ports_fd = bpf_map__fd(skel->maps.xr_tx_ports);
	fp->vlans_fd = bpf_map__fd(skel->maps.xr_vlans);
	fp->abi_fd = bpf_map__fd(skel->maps.xr_abi);
	fp->bans_fd = bpf_map__fd(skel->maps.xr_bans);
	fp->ncpus = libbpf_num_possible_cpus();
	err = fp_clock_calibrate(fp, bpf_program__fd(skel->progs.xr_clock));
	if (err)
		fp_warnx("the packets' clock stays the helper (%s): ~1 ns a packet more",
			 strerror(-err));
	else
		fp_info("packets' clock: jiffies x %u ns", fp->jiffy_ns);
	if (nents) {
		err = fp_table_init(fp, o->addrs, o->naddrs, o->port_lo, o->port_hi);
		if (err) {
			fp_warnx("cannot map the flow table: %s", strerror(-err));
			goto out_reset;
		}
		fp_info("flow table: %d address%s x %u ports = %u entries of %zu bytes, %.1f MB; "
			"sessions and rate windows %zu bytes an entry, %.1f MB; "
			"counters %d CPUs x %zu bytes an entry, %.1f MB",
			o->naddrs, o->naddrs == 1 ? "" : "es", fp->nports, nents,
			sizeof(struct xr_flow_ent), (double)fp->tab_bytes / (1024.0 * 1024.0),
			sizeof(struct xr_flow_side), (double)fp->side_bytes / (1024.0 * 1024.0),
			fp->ncpus, sizeof(struct xr_flow_pc),
			(double)fp->pc_bytes / (1024.0 * 1024.0));
	}
	if (fp->ncpus < 0) {
		err = fp->ncpus;
		fp_warnx("cannot count CPUs: %s", strerror(-err));
		goto out_reset;
	}

	fp_abi_compiled(&abi);
	if (bpf_map_update_elem(fp->abi_fd, &key, &abi, BPF_ANY)) {
		err = -errno;
		fp_warn("cannot write %s", XR_MAP_ABI);
		goto out_reset;
	}

	fp->adopt = o && o->adopt;
	fp_bans_sync(fp);	/* bans of an earlier daemon (pinned) are enforced at once */
	if (fp->adopt) {
		/* Restored and reconciled by daemon/ha/ before SIP starts; counters kept. */
		n = fp_flows_count(fp);
		fp_info("loaded (ABI %u, %d CPUs%s%s), %d leftover flow%s kept for adoption",
			XR_ABI_VERSION, fp->ncpus, fp->pin_dir[0] ? ", maps pinned under " : "",
			fp->pin_dir, n < 0 ? 0 : n, n == 1 ? "" : "s");
		return 0;
	}
	/* A table just made is all zero: only a reused (pinned) one is cleared. */
	n = reused ? fp_flows_flush(fp) : 0;
	fp_info("loaded (ABI %u, %d CPUs, %u flows at most%s%s), %d leftover flow%s flushed",
		XR_ABI_VERSION, fp->ncpus, fp->nents,
		fp->pin_dir[0] ? ", maps pinned under " : "", fp->pin_dir, n, n == 1 ? "" : "s");
	return 0;

out_reset:
	fp_restore_lo_forwarding(lo_prev);
	fp_table_free(fp);
	fp_reset(fp);
out_unlock:
	if (lock_fd >= 0)
		close(lock_fd);
out_destroy:
	xrelay__destroy(skel);
	return err;
}

/* Attach with one set of mode flags; the link fd or -errno. */
static int
fp_link_xdp(int prog_fd, int ifindex, unsigned flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);

	return fd < 0 ? -errno : fd;
}

/* <pin_dir>/link_<ifname>: where an adopting daemon pins its XDP link. */
static void
fp_link_pin_path(const struct fp *fp, const char *ifname, char *path, size_t cap)
{
	snprintf(path, cap, "%s/link_%s", fp->pin_dir, ifname);
}

/*
 * A link an earlier daemon pinned for ifname: in adopt mode moved to our
 * program (atomically: the kernel never forwards without one) and its fd
 * returned; otherwise, or when that fails, unpinned and closed (the stale
 * program goes) and -ENOENT returned, as when there is none.
 */
static int
fp_link_adopt(struct fp *fp, const char *ifname)
{
	char path[PATH_MAX];
	int fd;

	if (!fp->pin_dir[0])
		return -ENOENT;
	fp_link_pin_path(fp, ifname, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -ENOENT;
	if (fp->adopt && bpf_link_update(fd, fp->prog_fd, NULL) == 0) {
		fp_info("XDP link on %s adopted from the previous daemon", ifname);
		return fd;
	}
	if (fp->adopt)
		fp_warn("cannot move the pinned XDP link of %s to this program", ifname);
	if (unlink(path) && errno != ENOENT)
		fp_warn("cannot unpin %s", path);
	close(fd);
	return -ENOENT;
}

int
fp_attach(struct fp *fp, const char *ifname, enum xr_xdp_mode mode)
{
	struct fp_link *l;
	unsigned flags;
	int ifindex, fd, err;

	if (fp->prog_fd < 0)
		return -EBADF;
	if (fp->nlinks >= FP_MAX_LINKS) {
		fp_warnx("cannot attach to %s: already on %d interfaces",
			 ifname, fp->nlinks);
		return -ENOSPC;
	}
	ifindex = (int)if_nametoindex(ifname);
	if (ifindex == 0) {
		err = -errno;
		fp_warn("no interface %s", ifname);
		return err;
	}
	for (int i = 0; i < fp->nlinks; i++) {
		if (fp->links[i].ifindex == ifindex) {
			fp_warnx("already attached to %s", ifname);
			return -EEXIST;
		}
	}

	fd = fp_link_adopt(fp, ifname);
	if (fd >= 0) {
		flags = mode == XR_XDP_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
		goto out_link;
	}
	switch (mode) {
	case XR_XDP_NATIVE:
		flags = XDP_FLAGS_DRV_MODE;
		fd = fp_link_xdp(fp->prog_fd, ifindex, flags);
		break;
	case XR_XDP_GENERIC:
		flags = XDP_FLAGS_SKB_MODE;
		fd = fp_link_xdp(fp->prog_fd, ifindex, flags);
		break;
	case XR_XDP_AUTO:
	default:
		flags = XDP_FLAGS_DRV_MODE;
		fd = fp_link_xdp(fp->prog_fd, ifindex, flags);
		if (fd < 0 && fd != -EBUSY && fd != -EEXIST) {
			fp_debug("native XDP on %s failed (%s), trying generic",
				 ifname, strerror(-fd));
			flags = XDP_FLAGS_SKB_MODE;
			fd = fp_link_xdp(fp->prog_fd, ifindex, flags);
		}
		break;
	}
	if (fd < 0) {
		fp_warnx("cannot attach XDP (%s) to %s: %s",
			 mode == XR_XDP_GENERIC ? "generic" : mode == XR_XDP_NATIVE ?
			 "native" : "native or generic", ifname, strerror(-fd));
		return fd;
	}

out_link:
	l = &fp->links[fp->nlinks++];
	memset(l, 0, sizeof(*l));
	l->ifindex = ifindex;
	snprintf(l->name, sizeof(l->name), "%s", ifname);
	l->link_fd = fd;
	l->xdp_flags = flags;
	if (fp->adopt && fp->pin_dir[0]) {
		char path[PATH_MAX];

		fp_link_pin_path(fp, ifname, path, sizeof(path));
		if (bpf_obj_pin(fd, path) == 0 || errno == EEXIST)
			l->pinned = true;
		else
			fp_warn("cannot pin the XDP link of %s: it stops with the daemon", ifname);
	}

	err = fp_tx_port_set(fp, ifindex, true);
	if (err)
		fp_warnx("cannot add %s to %s: %s (netlink retries)", ifname,
			 XR_MAP_TX_PORTS, strerror(-err));
	fp_info("XDP attached to %s (ifindex %d) in %s mode", ifname, ifindex,
		flags == XDP_FLAGS_DRV_MODE ? "native" : "generic");
	return 0;
}

static void
fp_unpin(struct fp *fp)
{
	struct bpf_map *map;

	if (!fp->skel || !fp->pin_dir[0])
		return;
	bpf_object__for_each_map(map, fp->skel->obj) {
		char path[PATH_MAX];

		if (bpf_map__is_internal(map))
			continue;
		snprintf(path, sizeof(path), "%s/%s", fp->pin_dir, bpf_map__name(map));
		if (unlink(path) && errno != ENOENT)
			fp_warn("cannot unpin %s", path);
	}
	if (rmdir(fp->pin_dir) && errno != ENOENT)
		fp_warn("cannot remove %s", fp->pin_dir);
}

int
fp_chown(struct fp *fp, uid_t uid, gid_t gid)
{
	struct bpf_map *map;
	int err = 0;

	if (!fp->skel || !fp->pin_dir[0])
		return 0;
	if (chown(fp->pin_dir, uid, gid) < 0)
		err = -errno;
	bpf_object__for_each_map(map, fp->skel->obj) {
		char path[PATH_MAX];

		if (bpf_map__is_internal(map))
			continue;
		snprintf(path, sizeof(path), "%s/%s", fp->pin_dir, bpf_map__name(map));
		if (chown(path, uid, gid) < 0 && !err)
			err = -errno;
	}
	if (err)
		fp_warnx("cannot give %s to uid %u: %s", fp->pin_dir, (unsigned)uid,
			 strerror(-err));
	return err;
}

void
fp_close(struct fp *fp, bool unpin)
{
	int n;

	for (int i = 0; i < fp->nlinks; i++) {
		struct fp_link *l = &fp->links[i];

		if (fp->tx_ports_fd >= 0)
			fp_tx_port_set(fp, l->ifindex, false);
		if (l->pinned) {
			char path[PATH_MAX];

			fp_link_pin_path(fp, l->name, path, sizeof(path));
			if (unlink(path) && errno != ENOENT)
				fp_warn("cannot unpin %s", path);
		}
		close(l->link_fd);	/* last reference: the program is detached */
		fp_info("XDP detached from %s", l->name);
	}
	fp->nlinks = 0;
	if (fp->tab) {
		n = fp_flows_flush(fp);
		if (n > 0)
			fp_info("%d flow%s removed", n, n == 1 ? "" : "s");
	}
	if (unpin)
		fp_unpin(fp);
	if (fp->skel)
		xrelay__destroy(fp->skel);
	if (fp->lock_fd >= 0)
		close(fp->lock_fd);	/* the next daemon may take the directory */
	fp_table_free(fp);
	fp_reset(fp);
}
