/* procnet.c — /proc/net/{tcp,tcp6,udp,udp6,unix,packet} from the guest's sockets, and its net devices. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shadow/shadow.h"
#include "util/bytes.h"
#include "xvids/err.h"
#include "xvids/obj.h"

#define SH_MAX_SOCKS 65536
#define SH_MAX_DEVS 4096

static uint64_t f64(struct shadow *s, const char *type, const char *path, uint64_t obj)
{
	uint64_t v = 0;

	if (obj && xv_obj_u64(s->k, type, path, obj, &v) < 0)
		v = 0;
	return v;
}

#define SK(path) f64(s, "sock", path, sk)

struct sock_ref {
	uint64_t sk;
	uint64_t ino;
};

static int by_sk(const void *a, const void *b)
{
	const struct sock_ref *x = a, *y = b;

	return (x->sk > y->sk) - (x->sk < y->sk);
}

static int by_ino(const void *a, const void *b)
{
	const struct sock_ref *x = a, *y = b;

	return (x->ino > y->ino) - (x->ino < y->ino);
}

/* Sockets reachable from the open files of the guest's processes (deduplicated). Sockets no
 * process holds (TIME_WAIT, kernel sockets) are not seen this way. */
static int collect_socks(struct shadow *s, struct sock_ref **out, size_t *n)
{
	struct sock_ref *v = NULL;
	size_t cnt = 0, cap = 0;
	char fstype[32];

	for (size_t i = 0; i < s->snap.ntasks; i++) {
		const struct sh_task *t = &s->snap.tasks[i];
		uint64_t files = t->t.kthread ? 0 : f64(s, "task_struct", "files", t->t.addr);
		uint32_t max = files ? (uint32_t)f64(s, "files_struct", "fdt->max_fds", files) : 0;
		uint64_t arr = files ? f64(s, "files_struct", "fdt->fd", files) : 0;

		if (!arr || !max)
			continue;
		if (max > 65536)
			max = 65536;
		uint64_t *fdv = malloc((size_t)max * 8);

		if (!fdv || xv_kernel_read(s->k, arr, fdv, (size_t)max * 8) < 0) {
			free(fdv);
			continue;
		}
		for (uint32_t fd = 0; fd < max; fd++) {
			uint64_t file = xv_le64(&fdv[fd]);

			if (!file)
				continue;
			if (xv_obj_str(s->k, "file", "f_path.dentry->d_sb->s_type->name", file, fstype,
				       sizeof(fstype)) < 0 ||
			    strcmp(fstype, "sockfs") != 0)
				continue;
			uint64_t sock = f64(s, "file", "private_data", file);
			uint64_t sk = sock ? f64(s, "socket", "sk", sock) : 0;

			if (!sk)
				continue;
			if (cnt == cap) {
				if (cap >= SH_MAX_SOCKS)
					break;
				cap = cap ? cap * 2 : 64;
				struct sock_ref *p = realloc(v, cap * sizeof(*p));

				if (!p) {
					free(v);
					free(fdv);
					return -ENOMEM;
				}
				v = p;
			}
			v[cnt].sk = sk;
			v[cnt].ino = f64(s, "file", "f_inode->i_ino", file);
			cnt++;
		}
		free(fdv);
	}
	/* One entry per sock (several fds may share one), in inode order like a stable listing. */
	size_t u = 0;

	if (cnt) {
		qsort(v, cnt, sizeof(*v), by_sk);
		for (size_t i = 0; i < cnt; i++)
			if (!u || v[u - 1].sk != v[i].sk)
				v[u++] = v[i];
		qsort(v, u, sizeof(*v), by_ino);
	}
	*out = v;
	*n = u;
	return 0;
}

static void put_v6(struct shadow *s, struct sh_buf *out, uint64_t addr)
{
	uint8_t a[16] = { 0 };

	if (addr)
		xv_kernel_read(s->k, addr, a, 16);
	for (int i = 0; i < 4; i++)
		sh_printf(out, "%08X", xv_le32(a + 4 * i));
}

static void put_inet(struct shadow *s, uint64_t sk, uint64_t ino, int i, int v6, int tcp,
		     struct sh_buf *out)
{
	uint32_t off;
	int state = (int)SK("__sk_common.skc_state");
	unsigned lport = (unsigned)SK("__sk_common.skc_num");
	unsigned rport = (unsigned)SK("__sk_common.skc_dport");
	uint64_t tx = 0, rx = 0;

	rport = ((rport & 0xff) << 8) | ((rport >> 8) & 0xff);
	if (tcp && state == 10) { /* TCP_LISTEN: get_tcp4_sock() */
		rx = SK("sk_ack_backlog");
	} else if (tcp) {
		uint32_t w = (uint32_t)f64(s, "tcp_sock", "write_seq", sk);
		uint32_t u = (uint32_t)f64(s, "tcp_sock", "snd_una", sk);
		int32_t r = (int32_t)((uint32_t)f64(s, "tcp_sock", "rcv_nxt", sk) -
				      (uint32_t)f64(s, "tcp_sock", "copied_seq", sk));

		tx = w - u;
		rx = r > 0 ? (uint64_t)r : 0;
	}
	size_t start = out->len;

	sh_printf(out, tcp ? "%4d: " : "%5d: ", i);
	if (v6) {
		xv_off(s->k, "sock", "__sk_common.skc_v6_rcv_saddr", &off);
		put_v6(s, out, sk + off);
		sh_printf(out, ":%04X ", lport);
		xv_off(s->k, "sock", "__sk_common.skc_v6_daddr", &off);
		put_v6(s, out, sk + off);
		sh_printf(out, ":%04X", rport);
	} else {
		sh_printf(out, "%08X:%04X %08X:%04X", (unsigned)SK("__sk_common.skc_rcv_saddr"), lport,
			  (unsigned)SK("__sk_common.skc_daddr"), rport);
	}
	sh_printf(out, " %02X %08X:%08X %02X:%08lX %08X %5u %8d %" PRIu64 " %d %016x",
		  state, (unsigned)tx, (unsigned)rx, 0, 0ul, 0, (unsigned)SK("sk_uid.val"), 0, ino,
		  (int)SK("__sk_common.skc_refcnt.refs.counter"), 0);
	if (tcp) {
		sh_printf(out, state == 10 ? " 100 0 0 10 0" : " 20 4 0 10 -1");
		if (v6)
			sh_printf(out, "\n");
		else
			sh_pad(out, start, 150);
	} else {
		sh_printf(out, " 0");
		if (v6)
			sh_printf(out, "\n");
		else
			sh_pad(out, start, 128);
	}
}

static void put_unix(struct shadow *s, uint64_t sk, uint64_t ino, struct sh_buf *out)
{
	int state = (int)SK("__sk_common.skc_state");
	uint64_t sock = SK("sk_socket"), addr = f64(s, "unix_sock", "addr", sk);
	int st = sock ? (state == 1 ? 3 : 1) : (state == 1 ? 2 : 4);

	sh_printf(out, "%016x: %08X %08X %08X %04X %02X %5" PRIu64, 0,
		  (unsigned)SK("__sk_common.skc_refcnt.refs.counter"), 0,
		  state == 10 ? 1u << 16 : 0, (unsigned)SK("sk_type"), st, ino);
	if (addr) {
		uint32_t len = (uint32_t)f64(s, "unix_address", "len", addr), off;
		char path[110];

		if (len > 2 && len <= 2 + 108 && xv_off(s->k, "unix_address", "name", &off) == 0 &&
		    xv_kernel_read(s->k, addr + off + 2, path, len - 2) == 0) {
			size_t n = len - 2;

			sh_printf(out, " ");
			if (path[0] == '\0') {
				path[0] = '@';
			} else {
				n = strnlen(path, n);
			}
			for (size_t i = 0; i < n; i++)
				sh_putn(out, path[i] ? &path[i] : "@", 1);
		}
	}
	sh_printf(out, "\n");
}

int sh_proc_net_file(struct shadow *s, const char *name, struct sh_buf *out)
{
	int want_fam, want_proto = 0;

	if (strcmp(name, "tcp") == 0 || strcmp(name, "udp") == 0)
		want_fam = 2;
	else if (strcmp(name, "tcp6") == 0 || strcmp(name, "udp6") == 0)
		want_fam = 10;
	else if (strcmp(name, "unix") == 0)
		want_fam = 1;
	else if (strcmp(name, "packet") == 0)
		want_fam = 17;
	else if (strcmp(name, "dev") == 0)
		want_fam = -1;
	else
		return -ENOENT;
	if (want_fam == 2 || want_fam == 10)
		want_proto = name[0] == 't' ? 6 : 17;
	int v6 = want_fam == 10;

	if (want_proto == 6)
		sh_printf(out, v6 ? "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
				  : "%-149s\n", "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode");
	else if (want_proto == 17)
		sh_printf(out, v6 ? "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
				  : "%-127s\n", "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops");
	else if (want_fam == 1)
		sh_printf(out, "Num       RefCount Protocol Flags    Type St Inode Path\n");
	else if (want_fam == 17)
		sh_printf(out, "%-17sRefCnt Type Proto  Iface R Rmem   User   Inode\n", "sk");
	else {
		sh_printf(out, "Inter-|   Receive                                                |  Transmit\n"
			       " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n");
		for (size_t i = 0; i < s->snap.ndevs; i++)
			sh_printf(out, "%6s: %7d %7d %4d %4d %4d %5d %10d %9d %8d %7d %4d %4d %4d %5d %7d %10d\n",
				  s->snap.devs[i].name, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
		return 0;
	}
	struct sock_ref *v;
	size_t n;
	int idx = 0;

	if (collect_socks(s, &v, &n) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint64_t sk = v[i].sk;
		int fam = (int)SK("__sk_common.skc_family"), proto = (int)SK("sk_protocol");

		if (fam != want_fam)
			continue;
		if (want_proto && proto != want_proto)
			continue;
		if (want_proto)
			put_inet(s, sk, v[i].ino, idx++, v6, want_proto == 6, out);
		else if (fam == 1)
			put_unix(s, sk, v[i].ino, out);
		else {
			unsigned num = (unsigned)f64(s, "packet_sock", "num", sk);

			sh_printf(out, "%016x %-6d %-4d %04x   %-5d %1d %-6u %-6u %-6" PRIu64 "\n", 0,
				  (int)SK("__sk_common.skc_refcnt.refs.counter"), (int)SK("sk_type"),
				  ((num & 0xff) << 8) | ((num >> 8) & 0xff),
				  (int)f64(s, "packet_sock", "ifindex", sk),
				  (int)(f64(s, "packet_sock", "running", sk) & 1), 0u,
				  (unsigned)SK("sk_uid.val"), v[i].ino);
		}
	}
	free(v);
	return out->oom ? -ENOMEM : 0;
}

/* ---- network devices of init's network namespace ---- */

struct dev_ctx {
	struct shadow *s;
	struct sh_net_dev *v;
	size_t n;
};

static int dev_visit(struct xv_kernel *k, uint64_t dev, void *arg)
{
	struct dev_ctx *c = arg;
	struct shadow *s = c->s;
	struct sh_net_dev *d;

	if (c->n >= SH_MAX_DEVS)
		return 1;
	d = &c->v[c->n];
	memset(d, 0, sizeof(*d));
	if (xv_obj_str(k, "net_device", "name", dev, d->name, sizeof(d->name)) < 0)
		return 0;
	uint32_t fl = (uint32_t)f64(s, "net_device", "flags", dev);
	uint32_t gfl = (uint32_t)f64(s, "net_device", "gflags", dev);
	uint64_t state = f64(s, "net_device", "state", dev);
	unsigned oper = (unsigned)f64(s, "net_device", "operstate", dev);

	/* dev_get_flags() */
	d->flags = (fl & ~(0x100u | 0x200u | 0x40u | 0x10000u | 0x20000u)) | (gfl & (0x100u | 0x200u));
	if (state & 1) {
		if (oper == 6 || oper == 0)
			d->flags |= 0x40;     /* IFF_RUNNING */
		if (!(state & 4))
			d->flags |= 0x10000;  /* IFF_LOWER_UP */
		if (state & 16)
			d->flags |= 0x20000;  /* IFF_DORMANT */
	}
	d->ifindex = (int)f64(s, "net_device", "ifindex", dev);
	d->mtu = (uint32_t)f64(s, "net_device", "mtu", dev);
	d->type = (uint16_t)f64(s, "net_device", "type", dev);
	uint64_t hw = f64(s, "net_device", "dev_addr", dev);

	if (hw)
		xv_kernel_read(k, hw, d->hwaddr, 6);
	uint64_t ifa = f64(s, "net_device", "ip_ptr->ifa_list", dev);

	if (ifa)
		d->addr4 = (uint32_t)f64(s, "in_ifaddr", "ifa_local", ifa);
	c->n++;
	return 0;
}

int sh_net_devs(struct shadow *s, struct sh_net_dev **out, size_t *n)
{
	const struct sh_task *init = NULL;
	struct dev_ctx c = { .s = s };
	uint32_t head_off, list_off;
	uint64_t net;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < s->snap.ntasks && !init; i++)
		if (s->snap.tasks[i].t.pid == 1)
			init = &s->snap.tasks[i];
	if (!init)
		return -ENOENT;
	net = f64(s, "task_struct", "nsproxy->net_ns", init->t.addr);
	if (!net || xv_off(s->k, "net", "dev_base_head", &head_off) < 0 ||
	    xv_off(s->k, "net_device", "dev_list", &list_off) < 0)
		return -ENOENT;
	c.v = calloc(SH_MAX_DEVS, sizeof(*c.v));
	if (!c.v)
		return -ENOMEM;
	int rc = xv_list_walk(s->k, net + head_off, list_off, SH_MAX_DEVS, dev_visit, &c);

	if (rc < 0 && !c.n) {
		free(c.v);
		return rc;
	}
	*out = c.v;
	*n = c.n;
	return 0;
}
