// SPDX-License-Identifier: GPL-2.0
/*
 * test_loader.c - daemon/fastpath/loader.c and netlink.c against the real
 * kernel: pinning and reuse under bpffs, the ABI guard, XDP attach/detach on
 * veths, and xr_tx_ports/xr_vlans following link changes.  Runs in a private
 * network namespace; needs root (exit 77 otherwise).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ev.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "xrelay.skel.h"
#pragma GCC diagnostic pop

#include "common/log.h"
#include "fastpath/fastpath.h"
#include "xrelay/maps.h"

static char pin_dir[128];	/* /sys/fs/bpf/xr-test-<pid> */
static char pin_dir2[128];	/* ... -bad, for the ABI cases */

static const char *const map_names[] = {
	XR_MAP_FLOWS, XR_MAP_FLOW_SIDE, XR_MAP_FLOW_PC, XR_MAP_CFG, XR_MAP_COUNTERS,
	XR_MAP_TX_PORTS, XR_MAP_VLANS, XR_MAP_ABI, XR_MAP_SAMPLE, XR_MAP_BANS,
};
#define NMAPS	(sizeof(map_names) / sizeof(map_names[0]))

static void
rm_pin_dir(const char *dir)
{
	char path[256];

	if (!dir[0])
		return;
	for (size_t i = 0; i < NMAPS; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, map_names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void
cleanup(void)
{
	rm_pin_dir(pin_dir);
	rm_pin_dir(pin_dir2);
}

static void
sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
}

static int
map_count(int fd)
{
	char key[64], next[64];
	void *prev = NULL;
	int n = 0;

	while (bpf_map_get_next_key(fd, prev, next) == 0 && n < 1000000) {
		memcpy(key, next, sizeof(key));
		prev = key;
		n++;
	}
	return n;
}

static __u32
map_id(int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.id;
}

static bool
has_key(int fd, __u32 key)
{
	__u64 val[2];

	return bpf_map_lookup_elem(fd, &key, val) == 0;
}

static int
ifidx(const char *name)
{
	int i = (int)if_nametoindex(name);

	if (i == 0)
		fail_msg("no interface %s", name);
	return i;
}

/* The table the tests open: one address, 192.0.2.1, ports 30000-30999. */
static const union xr_sa *
test_addr(void)
{
	static union xr_sa a;

	assert_int_equal(xr_sa_parse(&a, "192.0.2.1:0", -1), 0);
	return &a;
}

/* fp_open() with that table (adopt: --redis's mode). */
static int
topen(struct fp *f, const char *dir, bool adopt, uint16_t hi)
{
	struct fp_opts o = { .wrong_src_sample = FP_WRONG_SRC_SAMPLE, .adopt = adopt,
			     .addrs = test_addr(), .naddrs = 1, .port_lo = 30000,
			     .port_hi = hi };

	return fp_open_opts(f, dir, &o);
}

static void
test_key(struct xr_flow_key *k, __u16 port)
{
	union xr_sa a = *test_addr();

	xr_sa_set_port(&a, port);
	fp_key_make(k, &a);
}

static void
put_test_flow(struct fp *f, __u16 port)
{
	struct xr_flow_key k;
	struct xr_flow v;

	test_key(&k, port);
	memset(&v, 0, sizeof(v));
	v.session_id = port;
	assert_int_equal(fp_flow_put(f, &k, &v), 0);
}

/* Flows in the table pinned at path, read through a mapping of its own. */
static int
pinned_flows(const char *path)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	struct xr_flow_ent *t;
	size_t bytes;
	int fd = bpf_obj_get(path), n = 0;

	assert_true(fd >= 0);
	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	bytes = ((size_t)info.max_entries * info.value_size + 4095) & ~(size_t)4095;
	t = mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(t != MAP_FAILED);
	for (__u32 i = 0; i < info.max_entries; i++)
		if (t[i].fwd.flags & XR_FLOW_F_ACTIVE)
			n++;
	munmap(t, bytes);
	close(fd);
	return n;
}

static int
read_int_file(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* fp_open pins every map, writes xr_abi, enables forwarding on lo only. */
static void
test_open_pins(void **state)
{
	struct fp a;
	struct xr_abi abi;
	char path[256];
	__u32 key = 0;

	sh("sysctl -qw net.ipv4.conf.all.forwarding=0 net.ipv4.conf.lo.forwarding=0");
	assert_int_equal(fp_open(&a, pin_dir), 0);
	assert_non_null(a.skel);
	assert_true(a.prog_fd >= 0);
	assert_int_equal(a.ncpus, libbpf_num_possible_cpus());
	assert_string_equal(a.pin_dir, pin_dir);
	for (size_t i = 0; i < NMAPS; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/%s", pin_dir, map_names[i]);
		fd = bpf_obj_get(path);
		if (fd < 0)
			fail_msg("%s not pinned: %s", path, strerror(errno));
		close(fd);
	}
	assert_int_equal(bpf_map_lookup_elem(a.abi_fd, &key, &abi), 0);
	assert_int_equal(abi.version, XR_ABI_VERSION);
	assert_int_equal(abi.cfg_size, sizeof(struct xr_cfg));
	assert_int_equal(abi.ent_size, sizeof(struct xr_flow_ent));
	assert_int_equal(abi.side_size, sizeof(struct xr_flow_side));
	assert_int_equal(abi.ncounters, XR_CNT__MAX);
	assert_int_equal(a.skel->rodata->fib_ifindex, 1);	/* lookups on lo */
	assert_int_equal(a.skel->rodata->wrong_src_sample, FP_WRONG_SRC_SAMPLE);
	assert_int_equal(read_int_file("/proc/sys/net/ipv4/conf/lo/forwarding"), 1);
	assert_int_equal(read_int_file("/proc/sys/net/ipv6/conf/lo/forwarding"), 1);
	assert_int_equal(read_int_file("/proc/sys/net/ipv4/conf/all/forwarding"), 0);
	fp_close(&a, false);
	/* closed without unpin: the maps stay */
	snprintf(path, sizeof(path), "%s/%s", pin_dir, XR_MAP_FLOWS);
	assert_int_equal(access(path, F_OK), 0);
}

static void
write_int_file(const char *path, int v)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "%d\n", v);
	assert_int_equal(fclose(f), 0);
}

/*
 * A daemon killed with -9 (a child that exits without fp_close) leaves its
 * pinned maps and flows; the next fp_open on the directory reuses the same
 * maps (same ids) and flushes those flows; fp_close flushes; unpin removes
 * the directory.
 */
static void
test_reuse_and_flush(void **state)
{
	struct fp a, b;
	struct xr_flow_key k;
	struct xr_flow v;
	__u32 child_flows_id = 0;
	char path[256];
	int pfd[2], st;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		__u32 id;

		close(pfd[0]);
		if (topen(&a, pin_dir, false, 30999))
			_exit(1);
		put_test_flow(&a, 30000);
		put_test_flow(&a, 30002);
		id = map_id(a.flows_fd);
		if (write(pfd[1], &id, sizeof(id)) != sizeof(id))
			_exit(1);
		_exit(0);	/* no fp_close: as kill -9 would */
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &child_flows_id, sizeof(child_flows_id)),
			 sizeof(child_flows_id));
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* the dead daemon's lock went with it; its flows are still there */
	snprintf(path, sizeof(path), "%s/%s", pin_dir, XR_MAP_FLOWS);
	assert_int_equal(pinned_flows(path), 2);

	assert_int_equal(topen(&b, pin_dir, false, 30999), 0);
	assert_int_equal(map_id(b.flows_fd), child_flows_id);
	/* the open flushed what the dead one left */
	assert_int_equal(fp_flows_count(&b), 0);
	assert_int_equal(pinned_flows(path), 0);

	put_test_flow(&b, 30004);
	test_key(&k, 30004);
	assert_int_equal(fp_flow_get(&b, &k, &v), 0);
	assert_int_equal(v.session_id, 30004);
	assert_int_equal(pinned_flows(path), 1);

	fp_close(&b, false);
	/* fp_close flushes too: nothing forwards that no daemon knows */
	assert_int_equal(pinned_flows(path), 0);
	assert_int_equal(topen(&b, pin_dir, false, 30999), 0);
	put_test_flow(&b, 30006);
	fp_close(&b, true);

	assert_true(bpf_obj_get(path) < 0);
	assert_int_equal(access(pin_dir, F_OK), -1);
}

/*
 * --redis: a daemon that dies leaves its flows forwarding, counters and all;
 * the next one in adopt mode keeps them (same map, same entries).  One with
 * another --ports cannot read that table: a new one is made.
 */
static void
test_adopt(void **state)
{
	struct fp a, b;
	struct xr_flow_key k;
	struct xr_flow_stats st;
	struct xr_flow v;
	char path[256];
	__u32 id, side_id;
	int stt;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		long idx;

		if (topen(&a, pin_dir, true, 30999))
			_exit(1);
		put_test_flow(&a, 30010);
		test_key(&k, 30010);
		idx = fp_flow_index(&a, &k);
		if (idx != 10)
			_exit(2);
		/* as the program would have counted, on the last CPU */
		fp_ent_set_stats(&a, (size_t)idx, a.ncpus - 1,
				 &(struct xr_flow_stats){ .packets = 42, .bytes = 4200 });
		_exit(0);	/* no fp_close: as kill -9 would */
	}
	assert_int_equal(waitpid(pid, &stt, 0), pid);
	assert_true(WIFEXITED(stt) && WEXITSTATUS(stt) == 0);
	assert_int_equal(topen(&b, pin_dir, true, 30999), 0);
	assert_int_equal(fp_flows_count(&b), 1);
	test_key(&k, 30010);
	assert_int_equal(fp_flow_stats(&b, &k, &st), 0);
	assert_int_equal(st.packets, 42);
	assert_int_equal(st.bytes, 4200);
	/* the session id too (xr_flow_side, pinned beside the table) */
	assert_int_equal(fp_flow_get(&b, &k, &v), 0);
	assert_int_equal(v.session_id, 30010);
	assert_int_equal(b.cfgm->port_lo, 30000);
	assert_int_equal(b.cfgm->nports, 1000);
	assert_int_equal(b.cfgm->n4, 1);
	id = map_id(b.flows_fd);
	side_id = map_id(b.side_fd);
	fp_close(&b, false);
	/* another range: the table cannot be read that way, a fresh one is made */
	assert_int_equal(topen(&a, pin_dir, true, 30499), 0);
	assert_int_equal(a.nents, 500);
	assert_true(map_id(a.flows_fd) != id);
	assert_true(map_id(a.side_fd) != side_id);
	assert_int_equal(fp_flows_count(&a), 0);
	assert_int_equal(a.cfgm->nports, 500);
	snprintf(path, sizeof(path), "%s/%s", pin_dir, XR_MAP_FLOWS);
	assert_int_equal(pinned_flows(path), 0);
	fp_close(&a, true);
}

/*
 * A second daemon on a pin directory a live one holds is refused with
 * -EBUSY and flushes nothing; once the first closes, it may open.  The same
 * from another process (the lock is an flock on the directory).
 */
static void
test_pin_dir_locked(void **state)
{
	struct fp a, b;
	int st;
	pid_t pid;

	assert_int_equal(topen(&a, pin_dir, false, 30999), 0);
	put_test_flow(&a, 30000);
	put_test_flow(&a, 30002);

	assert_int_equal(topen(&b, pin_dir, false, 30999), -EBUSY);
	assert_int_equal(fp_flows_count(&a), 2);
	assert_int_equal(b.lock_fd, -1);
	assert_true(b.skel == NULL && b.flows_fd < 0);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(topen(&b, pin_dir, false, 30999) == -EBUSY ? 0 : 1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(fp_flows_count(&a), 2);

	fp_close(&a, false);
	assert_int_equal(topen(&b, pin_dir, false, 30999), 0);
	fp_close(&b, true);
	assert_int_equal(access(pin_dir, F_OK), -1);
}

/* A pinned map of another shape (an older daemon's) is refused with -EPROTO. */
static void
test_abi_mismatch_shape(void **state)
{
	struct fp f;
	char path[256];
	int fd;

	assert_int_equal(mkdir(pin_dir2, 0700), 0);
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, XR_MAP_FLOWS, sizeof(struct xr_flow_key),
			    sizeof(struct xr_flow), 1024, NULL);	/* ABI 4's */
	assert_true(fd >= 0);
	snprintf(path, sizeof(path), "%s/%s", pin_dir2, XR_MAP_FLOWS);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);

	/* a refused open turns nothing on: lo forwarding is set only after a load */
	write_int_file("/proc/sys/net/ipv4/conf/lo/forwarding", 0);
	write_int_file("/proc/sys/net/ipv6/conf/lo/forwarding", 0);
	assert_int_equal(fp_open(&f, pin_dir2), -EPROTO);
	assert_int_equal(read_int_file("/proc/sys/net/ipv4/conf/lo/forwarding"), 0);
	assert_int_equal(read_int_file("/proc/sys/net/ipv6/conf/lo/forwarding"), 0);
	/* nothing was pinned next to the bad map, the bad map is untouched */
	snprintf(path, sizeof(path), "%s/%s", pin_dir2, XR_MAP_ABI);
	assert_int_equal(access(path, F_OK), -1);
	rm_pin_dir(pin_dir2);

	/* right key and value, wrong size: libbpf could not reuse it either */
	assert_int_equal(mkdir(pin_dir2, 0700), 0);
	{
		LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_MMAPABLE);

		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, XR_MAP_FLOWS, sizeof(__u32),
				    sizeof(struct xr_flow_ent), XR_FLOWS_DEFAULT / 2, &mo);
	}
	assert_true(fd >= 0);
	snprintf(path, sizeof(path), "%s/%s", pin_dir2, XR_MAP_FLOWS);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);
	assert_int_equal(fp_open(&f, pin_dir2), -EPROTO);
	rm_pin_dir(pin_dir2);
}

/* Same shapes, but the stored ABI record says another version: -EPROTO. */
static void
test_abi_mismatch_version(void **state)
{
	struct fp f;
	struct xr_abi abi;
	char path[256];
	__u32 key = 0;
	int fd;

	assert_int_equal(mkdir(pin_dir2, 0700), 0);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, XR_MAP_ABI, sizeof(__u32), sizeof(abi), 1, NULL);
	assert_true(fd >= 0);
	memset(&abi, 0, sizeof(abi));
	abi.version = XR_ABI_VERSION + 1;
	abi.cfg_size = sizeof(struct xr_cfg);
	abi.ent_size = sizeof(struct xr_flow_ent);
	abi.pc_size = sizeof(struct xr_flow_pc);
	abi.side_size = sizeof(struct xr_flow_side);
	abi.ncounters = XR_CNT__MAX;
	assert_int_equal(bpf_map_update_elem(fd, &key, &abi, BPF_ANY), 0);
	snprintf(path, sizeof(path), "%s/%s", pin_dir2, XR_MAP_ABI);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);

	assert_int_equal(fp_open(&f, pin_dir2), -EPROTO);

	/* the same record with the right version is accepted */
	fd = bpf_obj_get(path);
	assert_true(fd >= 0);
	abi.version = XR_ABI_VERSION;
	assert_int_equal(bpf_map_update_elem(fd, &key, &abi, BPF_ANY), 0);
	close(fd);
	assert_int_equal(fp_open(&f, pin_dir2), 0);
	fp_close(&f, true);
	assert_int_equal(access(pin_dir2, F_OK), -1);
}

static __u32
xdp_mode_of(int ifindex, __u32 *prog_id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	assert_int_equal(bpf_xdp_query(ifindex, 0, &q), 0);
	if (prog_id)
		*prog_id = q.prog_id;
	return q.attach_mode;
}

static __u32
prog_id_of(int fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.id;
}

/* Native and generic attach on veths, auto picks native, fp_close detaches. */
static void
test_attach_detach(void **state)
{
	struct fp f;
	int i0, i1, i2;
	__u32 id;

	sh("ip link add xr-a0 type veth peer name xr-a1");
	sh("ip link add xr-a2 type veth peer name xr-a3");
	sh("ip link set xr-a0 up && ip link set xr-a1 up");
	sh("ip link set xr-a2 up && ip link set xr-a3 up");
	i0 = ifidx("xr-a0");
	i1 = ifidx("xr-a1");
	i2 = ifidx("xr-a2");

	assert_int_equal(fp_open(&f, NULL), 0);
	assert_string_equal(f.pin_dir, "");
	assert_int_equal(fp_attach(&f, "xr-a0", XR_XDP_NATIVE), 0);
	assert_int_equal(fp_attach(&f, "xr-a1", XR_XDP_GENERIC), 0);
	assert_int_equal(fp_attach(&f, "xr-a2", XR_XDP_AUTO), 0);
	assert_int_equal(fp_attach(&f, "xr-nonexistent", XR_XDP_AUTO), -ENODEV);
	assert_int_equal(fp_attach(&f, "xr-a0", XR_XDP_AUTO), -EEXIST);
	/* a bridge has no native XDP: native fails, auto falls back to generic */
	sh("ip link add xr-ab type bridge && ip link set xr-ab up");
	assert_true(fp_attach(&f, "xr-ab", XR_XDP_NATIVE) < 0);
	assert_int_equal(f.nlinks, 3);
	assert_int_equal(fp_attach(&f, "xr-ab", XR_XDP_AUTO), 0);
	assert_int_equal(f.nlinks, 4);
	assert_int_equal(f.links[3].xdp_flags, XDP_FLAGS_SKB_MODE);
	assert_int_equal(xdp_mode_of(ifidx("xr-ab"), NULL), XDP_ATTACHED_SKB);
	assert_int_equal(f.links[0].xdp_flags, XDP_FLAGS_DRV_MODE);
	assert_int_equal(f.links[1].xdp_flags, XDP_FLAGS_SKB_MODE);
	assert_int_equal(f.links[2].xdp_flags, XDP_FLAGS_DRV_MODE);

	assert_int_equal(xdp_mode_of(i0, &id), XDP_ATTACHED_DRV);
	assert_int_equal(id, prog_id_of(f.prog_fd));
	assert_int_equal(xdp_mode_of(i1, &id), XDP_ATTACHED_SKB);
	assert_int_equal(id, prog_id_of(f.prog_fd));
	assert_int_equal(xdp_mode_of(i2, NULL), XDP_ATTACHED_DRV);
	assert_true(has_key(f.tx_ports_fd, (__u32)i0));
	assert_true(has_key(f.tx_ports_fd, (__u32)i1));
	assert_true(has_key(f.tx_ports_fd, (__u32)i2));

	fp_close(&f, false);
	assert_int_equal(xdp_mode_of(i0, NULL), XDP_ATTACHED_NONE);
	assert_int_equal(xdp_mode_of(i1, NULL), XDP_ATTACHED_NONE);
	assert_int_equal(xdp_mode_of(i2, NULL), XDP_ATTACHED_NONE);
	assert_int_equal(xdp_mode_of(ifidx("xr-ab"), NULL), XDP_ATTACHED_NONE);
	sh("ip link del xr-a0 && ip link del xr-a2 && ip link del xr-ab");
}

/* Run the loop without blocking until pred holds; at most ~3 s. */
static bool
wait_for(struct ev_loop *loop, bool (*pred)(const struct fp *, int), const struct fp *f, int arg)
{
	for (int i = 0; i < 300; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		if (pred(f, arg))
			return true;
		usleep(10000);
	}
	return false;
}

static bool
tx_has(const struct fp *f, int ifindex)
{
	return has_key(f->tx_ports_fd, (__u32)ifindex);
}

static bool
tx_lacks(const struct fp *f, int ifindex)
{
	return !has_key(f->tx_ports_fd, (__u32)ifindex);
}

static bool
vlan_has(const struct fp *f, int ifindex)
{
	return has_key(f->vlans_fd, (__u32)ifindex);
}

static bool
vlan_lacks(const struct fp *f, int ifindex)
{
	return !has_key(f->vlans_fd, (__u32)ifindex);
}

/*
 * The dump takes up veths and skips lo, bridges and down links;
 * notifications add links that come up and drop links that go down or are
 * deleted.
 */
static void
test_netlink(void **state)
{
	struct ev_loop *loop;
	struct fp f;
	int n0, n1, d0, d1, br, lo, n2;
	__u32 key;

	sh("ip link add xr-n0 type veth peer name xr-n1");
	sh("ip link add xr-d0 type veth peer name xr-d1");
	sh("ip link add xr-br0 type bridge");
	sh("ip link set lo up && ip link set xr-n0 up && ip link set xr-n1 up");
	sh("ip link set xr-br0 up");
	n0 = ifidx("xr-n0");
	n1 = ifidx("xr-n1");
	d0 = ifidx("xr-d0");
	d1 = ifidx("xr-d1");
	br = ifidx("xr-br0");
	lo = ifidx("lo");

	loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(loop);
	assert_int_equal(fp_open(&f, NULL), 0);
	/* a stale entry an earlier daemon might have left is swept by the dump */
	key = (__u32)br;
	assert_int_equal(bpf_map_update_elem(f.tx_ports_fd, &key, &key, BPF_ANY), 0);

	assert_int_equal(fp_netlink_start(&f, loop), 0);
	assert_true(tx_has(&f, n0));
	assert_true(tx_has(&f, n1));
	assert_false(tx_has(&f, d0));	/* down */
	assert_false(tx_has(&f, d1));
	assert_false(tx_has(&f, br));	/* no ndo_xdp_xmit */
	assert_false(tx_has(&f, lo));
	assert_int_equal(map_count(f.tx_ports_fd), 2);
	assert_int_equal(map_count(f.vlans_fd), 0);

	sh("ip link set xr-d0 up && ip link set xr-d1 up");
	assert_true(wait_for(loop, tx_has, &f, d0));
	assert_true(wait_for(loop, tx_has, &f, d1));

	/* a link created after the dump */
	sh("ip link add xr-n2 type veth peer name xr-n3 && ip link set xr-n2 up");
	n2 = ifidx("xr-n2");
	assert_true(wait_for(loop, tx_has, &f, n2));

	sh("ip link set xr-n1 down");
	assert_true(wait_for(loop, tx_lacks, &f, n1));
	assert_true(tx_has(&f, n0));

	sh("ip link del xr-d0");
	assert_true(wait_for(loop, tx_lacks, &f, d0));
	assert_true(wait_for(loop, tx_lacks, &f, d1));
	assert_true(tx_has(&f, n0));
	assert_true(tx_has(&f, n2));
	assert_false(tx_has(&f, br));
	assert_int_equal(map_count(f.tx_ports_fd), 2);

	fp_netlink_stop();
	fp_close(&f, false);
	ev_loop_destroy(loop);
	sh("ip link del xr-n0 && ip link del xr-n2 && ip link del xr-br0");
}

/* VLAN devices land in xr_vlans (lower device, tag), never in xr_tx_ports. */
static void
test_netlink_vlan(void **state)
{
	struct ev_loop *loop;
	struct xr_vlan vl;
	struct fp f;
	int v0, vl7;
	__u32 key;

	sh("ip link add xr-v0 type veth peer name xr-v1 && ip link set xr-v0 up");
	if (system("ip link add link xr-v0 name xr-v0.7 type vlan id 7 2>/dev/null") != 0) {
		sh("ip link del xr-v0");
		printf("no VLAN support in this kernel (8021q): VLAN case not run\n");
		skip();
	}
	sh("ip link set xr-v0.7 up");
	v0 = ifidx("xr-v0");
	vl7 = ifidx("xr-v0.7");

	loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(loop);
	assert_int_equal(fp_open(&f, NULL), 0);
	assert_int_equal(fp_netlink_start(&f, loop), 0);
	assert_false(tx_has(&f, vl7));
	key = (__u32)vl7;
	assert_int_equal(bpf_map_lookup_elem(f.vlans_fd, &key, &vl), 0);
	assert_int_equal(vl.lower_ifindex, v0);
	assert_int_equal(vl.vlan_id, 7);

	sh("ip link set xr-v0.7 down");
	assert_true(wait_for(loop, vlan_lacks, &f, vl7));
	sh("ip link set xr-v0.7 up");
	assert_true(wait_for(loop, vlan_has, &f, vl7));
	sh("ip link del xr-v0.7");
	assert_true(wait_for(loop, vlan_lacks, &f, vl7));

	fp_netlink_stop();
	fp_close(&f, false);
	ev_loop_destroy(loop);
	sh("ip link del xr-v0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_pins),
		cmocka_unit_test(test_reuse_and_flush),
		cmocka_unit_test(test_adopt),
		cmocka_unit_test(test_pin_dir_locked),
		cmocka_unit_test(test_abi_mismatch_shape),
		cmocka_unit_test(test_abi_mismatch_version),
		cmocka_unit_test(test_attach_detach),
		cmocka_unit_test(test_netlink),
		cmocka_unit_test(test_netlink_vlan),
	};
	struct statfs sfs;
	int rc;

	if (geteuid() != 0) {
		printf("SKIP: needs root (network namespace, bpffs, XDP attach)\n");
		return 77;
	}
	if (statfs("/sys/fs/bpf", &sfs) || sfs.f_type != BPF_FS_MAGIC) {
		printf("SKIP: no bpffs mounted at /sys/fs/bpf\n");
		return 77;
	}
	if (unshare(CLONE_NEWNET)) {
		printf("SKIP: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 77;
	}
	log_init(true, getenv("XR_TEST_VERBOSE") ? LL_DEBUG : LL_INFO, "test_loader");
	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/xr-test-%d", (int)getpid());
	snprintf(pin_dir2, sizeof(pin_dir2), "/sys/fs/bpf/xr-test-%d-bad", (int)getpid());
	atexit(cleanup);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	return rc ? 1 : 0;
}
