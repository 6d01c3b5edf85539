/* switch.c — the L2 learning switch: MAC learning with ageing, flooding, inline IDS, mirror, control. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "net/swpriv.h"
#include "xvids/err.h"

enum { TAG_DATA = 1, TAG_LISTEN, TAG_CONTROL };

struct mac_ent {
	int32_t port;
};

struct xv_switch {
	struct xv_switch_config cfg;
	struct xv_port ports[XV_SW_MAX_PORTS];
	unsigned nports;
	int efd;
	struct xv_ktab macs;
	struct xv_pcap_writer *mirror;
	bool mirror_dirty;
	struct xv_port mirror_tap; /* --mirror tap:IFNAME: frames copied to a TAP device */
	bool have_mirror_tap;
	int cfd;
	char *control_path;
	uint8_t *scratch;
	uint64_t now;
};

static uint64_t now_usec(const struct xv_switch *sw)
{
	if (sw->cfg.clock)
		return sw->cfg.clock(sw->cfg.clock_arg);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int ep_set(struct xv_switch *sw, int op, int fd, uint32_t events, int tag, unsigned idx)
{
	struct epoll_event ev = { .events = events, .data.u64 = (uint64_t)tag << 32 | idx };
	return epoll_ctl(sw->efd, op, fd, &ev) < 0 ? -errno : 0;
}

struct xv_switch *xv_switch_new(const struct xv_switch_config *cfg)
{
	struct xv_switch *sw = calloc(1, sizeof(*sw));
	if (!sw) {
		errno = ENOMEM;
		return NULL;
	}
	if (cfg)
		sw->cfg = *cfg;
	if (!sw->cfg.mac_ageing)
		sw->cfg.mac_ageing = 300;
	if (!sw->cfg.mac_capacity)
		sw->cfg.mac_capacity = 4096;
	sw->cfd = -1;
	sw->efd = epoll_create1(EPOLL_CLOEXEC);
	sw->scratch = malloc((size_t)XV_SW_BATCH * XV_SW_MAX_FRAME);
	if (sw->efd < 0 || !sw->scratch ||
	    xv_ktab_init(&sw->macs, sw->cfg.mac_capacity, 1, sizeof(struct mac_ent),
			 (uint64_t)sw->cfg.mac_ageing * 1000000)) {
		xv_err(errno ? errno : ENOMEM, "cannot create the switch: %s", strerror(errno));
		xv_switch_free(sw);
		return NULL;
	}
	sw->mirror_tap.fd = sw->mirror_tap.lfd = -1;
	if (sw->cfg.mirror && !strncmp(sw->cfg.mirror, "tap:", 4)) {
		int r = xv_port_open(&sw->mirror_tap, sw->cfg.mirror);
		if (r < 0) {
			xv_port_close(&sw->mirror_tap);
			xv_err_ctx(-r, "mirror: ");
			xv_switch_free(sw);
			errno = -r;
			return NULL;
		}
		sw->have_mirror_tap = true;
	} else if (sw->cfg.mirror && !(sw->mirror = xv_pcap_writer_open(sw->cfg.mirror))) {
		int e = errno;
		xv_switch_free(sw);
		errno = e;
		return NULL;
	}
	return sw;
}

void xv_switch_free(struct xv_switch *sw)
{
	if (!sw)
		return;
	for (unsigned i = 0; i < sw->nports; i++)
		xv_port_close(&sw->ports[i]);
	if (sw->cfd >= 0)
		close(sw->cfd);
	if (sw->control_path)
		unlink(sw->control_path);
	free(sw->control_path);
	if (sw->efd >= 0)
		close(sw->efd);
	xv_pcap_writer_close(sw->mirror);
	if (sw->have_mirror_tap)
		xv_port_close(&sw->mirror_tap);
	xv_ktab_fini(&sw->macs);
	free(sw->scratch);
	free(sw);
}

int xv_switch_add_port(struct xv_switch *sw, const char *spec)
{
	if (sw->nports >= XV_SW_MAX_PORTS)
		return xv_err(ENOSPC, "a switch has at most %d ports", XV_SW_MAX_PORTS);
	struct xv_port *p = &sw->ports[sw->nports];
	memset(p, 0, sizeof(*p));
	p->idx = (int)sw->nports;
	int r = xv_port_open(p, spec);
	if (r < 0) {
		xv_port_close(p);
		return xv_err_ctx(-r, "port %s: ", spec);
	}
	for (unsigned i = 0; i < sw->nports; i++)
		if (!strcmp(sw->ports[i].st.name, p->st.name)) {
			xv_port_close(p);
			return xv_err(EEXIST, "two ports named %s", p->st.name);
		}
	if (p->lfd >= 0)
		r = ep_set(sw, EPOLL_CTL_ADD, p->lfd, EPOLLIN, TAG_LISTEN, sw->nports);
	else
		r = ep_set(sw, EPOLL_CTL_ADD, p->fd, EPOLLIN, TAG_DATA, sw->nports);
	if (r < 0) {
		xv_port_close(p);
		return xv_err(-r, "epoll: %s", strerror(-r));
	}
	return (int)sw->nports++;
}

static void send_to(struct xv_switch *sw, struct xv_port *p, const uint8_t *f, uint32_t len)
{
	int r = xv_port_send(p, f, len);
	if (r < 0) {
		p->st.tx_dropped++;
		return;
	}
	p->st.tx_frames++;
	p->st.tx_bytes += len;
	if (r == 1)
		ep_set(sw, EPOLL_CTL_MOD, p->fd, EPOLLIN | EPOLLOUT, TAG_DATA, (unsigned)p->idx);
}

static void forward(void *arg, struct xv_port *in, const uint8_t *f, uint32_t len)
{
	struct xv_switch *sw = arg;
	in->st.rx_frames++;
	in->st.rx_bytes += len;
	if (len < 14) {
		in->st.rx_errors++;
		return;
	}
	enum xv_net_verdict v = XV_VERDICT_FORWARD;
	if (sw->cfg.engine)
		v = xv_net_inspect(sw->cfg.engine, f, len, sw->now, in->idx, in->st.name);
	if (sw->mirror) {
		/* a mirror that fails (reader gone) is closed rather than stopping the switch */
		if (xv_pcap_writer_write(sw->mirror, f, len, sw->now) < 0) {
			xv_pcap_writer_close(sw->mirror);
			sw->mirror = NULL;
		} else {
			sw->mirror_dirty = true;
		}
	}
	if (sw->have_mirror_tap && xv_port_send(&sw->mirror_tap, f, len) == 0)
		sw->mirror_tap.st.tx_frames++;
	if (v == XV_VERDICT_DROP && sw->cfg.inline_drop) {
		in->st.ids_dropped++;
		return;
	}
	const uint8_t *dst = f, *src = f + 6;
	if (!(src[0] & 1)) {
		uint64_t key[1] = { (uint64_t)src[0] << 40 | (uint64_t)src[1] << 32 |
				    (uint64_t)src[2] << 24 | (uint64_t)src[3] << 16 |
				    (uint64_t)src[4] << 8 | src[5] };
		struct xv_kent *e = xv_ktab_get(&sw->macs, key, sw->now, true, NULL);
		((struct mac_ent *)xv_kent_payload(&sw->macs, e))->port = in->idx;
	}
	if (!(dst[0] & 1)) {
		uint64_t key[1] = { (uint64_t)dst[0] << 40 | (uint64_t)dst[1] << 32 |
				    (uint64_t)dst[2] << 24 | (uint64_t)dst[3] << 16 |
				    (uint64_t)dst[4] << 8 | dst[5] };
		/* a lookup does not refresh the entry: only frames from an address keep it alive */
		struct xv_kent *e = xv_ktab_find(&sw->macs, key, sw->now);
		if (e) {
			int out = ((struct mac_ent *)xv_kent_payload(&sw->macs, e))->port;
			if (out != in->idx && out >= 0 && (unsigned)out < sw->nports)
				send_to(sw, &sw->ports[out], f, len);
			return; /* a frame for its own segment is filtered */
		}
	}
	in->st.flooded++;
	for (unsigned i = 0; i < sw->nports; i++)
		if ((int)i != in->idx)
			send_to(sw, &sw->ports[i], f, len);
}

/* One request per connection: "alerts", "alerts json" or "stats"; the answer, then close. */
static void control_serve(struct xv_switch *sw)
{
	int fd = accept4(sw->cfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct timeval tv = { 0, 200000 }; /* a silent client stalls forwarding at most this long */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	char req[64];
	ssize_t k = recv(fd, req, sizeof(req) - 1, 0);
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return;
	}
	req[k > 0 ? k : 0] = 0;
	if (!strncmp(req, "alerts", 6)) {
		if (sw->cfg.engine)
			xv_net_alerts_print(sw->cfg.engine, f, strstr(req, "json") != NULL);
	} else if (!strncmp(req, "stats", 5)) {
		xv_switch_print_counters(sw, f);
	} else {
		fprintf(f, "# unknown request (alerts, alerts json, stats)\n");
	}
	fclose(f);
}

int xv_switch_control(struct xv_switch *sw, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (sw->cfd >= 0)
		return xv_err(EBUSY, "the switch already has a control socket");
	if (strlen(path) >= sizeof(sa.sun_path))
		return xv_err(ENAMETOOLONG, "control socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return xv_err(e, "cannot listen on %s: %s", path, strerror(e));
	}
	sw->cfd = fd;
	sw->control_path = strdup(path);
	return ep_set(sw, EPOLL_CTL_ADD, fd, EPOLLIN, TAG_CONTROL, 0);
}

int xv_switch_fd(const struct xv_switch *sw)
{
	return sw->efd;
}

int xv_switch_step(struct xv_switch *sw, int timeout_ms)
{
	struct epoll_event ev[32];
	int n = epoll_wait(sw->efd, ev, 32, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : xv_err(errno, "epoll_wait: %s", strerror(errno));
	int frames = 0;
	sw->now = now_usec(sw);
	for (int i = 0; i < n; i++) {
		int tag = (int)(ev[i].data.u64 >> 32);
		unsigned idx = (unsigned)ev[i].data.u64;
		if (tag == TAG_CONTROL) {
			control_serve(sw);
			continue;
		}
		if (idx >= sw->nports)
			continue;
		struct xv_port *p = &sw->ports[idx];
		if (tag == TAG_LISTEN) {
			int fd = xv_port_accept(p);
			if (fd >= 0)
				ep_set(sw, EPOLL_CTL_ADD, fd, EPOLLIN, TAG_DATA, idx);
			continue;
		}
		if ((ev[i].events & EPOLLOUT) && p->fd >= 0 && xv_port_flush(p) == 0 && p->fd >= 0)
			ep_set(sw, EPOLL_CTL_MOD, p->fd, EPOLLIN, TAG_DATA, idx);
		if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
			int r = xv_port_read(p, sw->scratch, forward, sw);
			if (r > 0)
				frames += r;
		}
	}
	if (sw->mirror && sw->mirror_dirty) {
		if (xv_pcap_writer_flush(sw->mirror) < 0) {
			xv_pcap_writer_close(sw->mirror);
			sw->mirror = NULL;
		}
		sw->mirror_dirty = false;
	}
	return frames;
}

unsigned xv_switch_port_count(const struct xv_switch *sw)
{
	return sw->nports;
}

int xv_switch_port_stats(const struct xv_switch *sw, unsigned idx, struct xv_switch_port_stats *st)
{
	if (idx >= sw->nports)
		return xv_err(ENOENT, "no port %u", idx);
	*st = sw->ports[idx].st;
	return 0;
}

struct xv_net *xv_switch_engine(const struct xv_switch *sw)
{
	return sw->cfg.engine;
}

unsigned xv_switch_mac_count(const struct xv_switch *sw)
{
	return (unsigned)xv_ktab_live(&sw->macs, now_usec(sw));
}

void xv_switch_print_counters(const struct xv_switch *sw, FILE *f)
{
	fprintf(f, "# %-10s %-4s %10s %12s %10s %12s %8s %8s %8s %8s\n", "port", "up", "rx", "rx_bytes",
		"tx", "tx_bytes", "flooded", "tx_drop", "ids_drop", "rx_err");
	for (unsigned i = 0; i < sw->nports; i++) {
		const struct xv_switch_port_stats *s = &sw->ports[i].st;
		fprintf(f, "# %-10s %-4s %10llu %12llu %10llu %12llu %8llu %8llu %8llu %8llu\n", s->name,
			s->up ? "yes" : "no", (unsigned long long)s->rx_frames,
			(unsigned long long)s->rx_bytes, (unsigned long long)s->tx_frames,
			(unsigned long long)s->tx_bytes, (unsigned long long)s->flooded,
			(unsigned long long)s->tx_dropped, (unsigned long long)s->ids_dropped,
			(unsigned long long)s->rx_errors);
	}
	if (sw->cfg.engine) {
		struct xv_net_stats st;
		xv_net_get_stats(sw->cfg.engine, &st);
		fprintf(f, "# engine: %llu frames, %llu malformed, %llu flows, %llu alerts, %llu drops\n",
			(unsigned long long)st.packets, (unsigned long long)st.malformed,
			(unsigned long long)st.flows_created, (unsigned long long)st.alerts,
			(unsigned long long)st.drops);
	}
	fprintf(f, "# learned MAC addresses: %u\n", xv_switch_mac_count(sw));
}
