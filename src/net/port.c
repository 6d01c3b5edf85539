/* port.c — switch ports: QEMU stream/dgram socket netdevs (unix, TCP/UDP) and TAP devices. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "net/decode.h"
#include "net/swpriv.h"
#include "xvids/err.h"

/* Bound the work per wakeup so one busy port cannot starve the others. */
#define MAX_FRAMES_PER_READ 64

static int unix_addr(const char *path, struct sockaddr_un *sa, socklen_t *len)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (!*path || strlen(path) >= sizeof(sa->sun_path))
		return xv_err(ENAMETOOLONG, "unix socket path '%s' is empty or too long", path);
	strcpy(sa->sun_path, path);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
	return 0;
}

/* "HOST:PORT" (IPv6 as [addr]:port) */
static int inet_addr_parse(const char *s, int socktype, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host))
		return xv_err(EINVAL, "'%s' is not HOST:PORT", s);
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	char *h = host;
	if (h[0] == '[' && h[strlen(h) - 1] == ']') {
		h[strlen(h) - 1] = 0;
		h++;
	}
	struct addrinfo hints = { .ai_socktype = socktype, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	int r = getaddrinfo(h, colon + 1, &hints, &ai);
	if (r)
		return xv_err(EINVAL, "'%s': %s (numeric HOST:PORT expected)", s, gai_strerror(r));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int open_stream(struct xv_port *p, const char *kind, const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam, r;
	if (!strcmp(kind, "unix")) {
		if ((r = unix_addr(addr, (struct sockaddr_un *)&ss, &len)) < 0)
			return r;
		fam = AF_UNIX;
		unlink(addr); /* a stale socket from an earlier run */
	} else if (!strcmp(kind, "tcp")) {
		if ((r = inet_addr_parse(addr, SOCK_STREAM, &ss, &len)) < 0)
			return r;
		fam = ss.ss_family;
	} else {
		return xv_err(EINVAL, "stream port kind '%s' (unix or tcp)", kind);
	}
	int fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return xv_err(errno, "socket: %s", strerror(errno));
	int one = 1;
	if (fam != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 4) < 0) {
		int e = errno;
		close(fd);
		return xv_err(e, "cannot listen on %s: %s", addr, strerror(e));
	}
	if (fam == AF_UNIX && !(p->unlink_path = strdup(addr))) {
		close(fd);
		return -ENOMEM;
	}
	p->lfd = fd;
	p->type = XV_PORT_STREAM;
	p->rx = malloc(4 + XV_SW_MAX_FRAME);
	p->tx = malloc(4 + XV_SW_MAX_FRAME);
	return p->rx && p->tx ? 0 : -ENOMEM;
}

static int open_dgram(struct xv_port *p, const char *kind, char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam, r;
	char *peer = strstr(addr, ",peer=");
	if (peer) {
		*peer = 0;
		peer += 6;
	}
	if (!strcmp(kind, "unix")) {
		if ((r = unix_addr(addr, (struct sockaddr_un *)&ss, &len)) < 0)
			return r;
		if (peer && (r = unix_addr(peer, (struct sockaddr_un *)&p->peer, &p->peerlen)) < 0)
			return r;
		fam = AF_UNIX;
		unlink(addr);
	} else if (!strcmp(kind, "udp")) {
		if ((r = inet_addr_parse(addr, SOCK_DGRAM, &ss, &len)) < 0)
			return r;
		if (peer && (r = inet_addr_parse(peer, SOCK_DGRAM, &p->peer, &p->peerlen)) < 0)
			return r;
		fam = ss.ss_family;
	} else {
		return xv_err(EINVAL, "dgram port kind '%s' (unix or udp)", kind);
	}
	p->fixed_peer = peer != NULL;
	int fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return xv_err(errno, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int e = errno;
		close(fd);
		return xv_err(e, "cannot bind %s: %s", addr, strerror(e));
	}
	int sz = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (fam == AF_UNIX && !(p->unlink_path = strdup(addr))) {
		close(fd);
		return -ENOMEM;
	}
	p->fd = fd;
	p->type = XV_PORT_DGRAM;
	p->st.up = p->fixed_peer;
	return 0;
}

static int open_tap(struct xv_port *p, const char *ifname)
{
	struct ifreq ifr;
	if (!*ifname || strlen(ifname) >= IFNAMSIZ)
		return xv_err(EINVAL, "bad TAP name '%s'", ifname);
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return xv_err(errno, "cannot open /dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		return xv_err(e, "cannot create TAP %s: %s", ifname, strerror(e));
	}
	p->fd = fd;
	p->type = XV_PORT_TAP;
	p->st.up = 1;
	return 0;
}

int xv_port_open(struct xv_port *p, const char *spec)
{
	char buf[sizeof(p->st.spec)];
	p->lfd = p->fd = -1;
	if (strlen(spec) >= sizeof(buf))
		return xv_err(ENAMETOOLONG, "port spec too long: %s", spec);
	strcpy(buf, spec);
	char *s = buf, *eq = strchr(s, '='), *c1 = strchr(s, ':');
	/* NAME= prefix, unless the '=' belongs to a ",peer=" option */
	if (eq && (!c1 || eq < c1)) {
		*eq = 0;
		snprintf(p->st.name, sizeof(p->st.name), "%.31s", s); /* names are short; longer ones are cut */
		s = eq + 1;
	} else {
		snprintf(p->st.name, sizeof(p->st.name), "port%d", p->idx);
	}
	snprintf(p->st.spec, sizeof(p->st.spec), "%s", s);
	char *type = s, *colon = strchr(s, ':');
	if (!colon)
		return xv_err(EINVAL, "port '%s': expected TYPE:..., e.g. stream:unix:PATH", spec);
	*colon = 0;
	if (!strcmp(type, "tap"))
		return open_tap(p, colon + 1);
	char *kind = colon + 1, *c2 = strchr(kind, ':');
	if (!c2)
		return xv_err(EINVAL, "port '%s': expected %s:KIND:ADDRESS", spec, type);
	*c2 = 0;
	if (!strcmp(type, "stream"))
		return open_stream(p, kind, c2 + 1);
	if (!strcmp(type, "dgram"))
		return open_dgram(p, kind, c2 + 1);
	return xv_err(EINVAL, "port '%s': unknown type '%s' (stream, dgram, tap)", spec, type);
}

void xv_port_close(struct xv_port *p)
{
	if (p->fd >= 0)
		close(p->fd);
	if (p->lfd >= 0)
		close(p->lfd);
	if (p->unlink_path)
		unlink(p->unlink_path);
	free(p->unlink_path);
	free(p->rx);
	free(p->tx);
	p->fd = p->lfd = -1;
	p->unlink_path = NULL;
	p->rx = p->tx = NULL;
}

int xv_port_accept(struct xv_port *p)
{
	int fd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (p->fd >= 0) {
		close(fd); /* one guest per port */
		return -EBUSY;
	}
	int sz = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	p->fd = fd;
	p->rxlen = 0;
	p->txlen = p->txoff = 0;
	p->st.up = 1;
	return fd;
}

static void stream_drop(struct xv_port *p)
{
	close(p->fd);
	p->fd = -1;
	p->rxlen = 0;
	p->txlen = p->txoff = 0;
	p->st.up = 0;
}

static int stream_read(struct xv_port *p,
		       void (*fn)(void *, struct xv_port *, const uint8_t *, uint32_t), void *arg)
{
	int frames = 0;
	for (int round = 0; round < MAX_FRAMES_PER_READ; round++) {
		size_t space = 4 + XV_SW_MAX_FRAME - p->rxlen;
		ssize_t k = read(p->fd, p->rx + p->rxlen, space);
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
			stream_drop(p);
			return -ECONNRESET;
		}
		if (k < 0)
			break;
		p->rxlen += (uint32_t)k;
		uint32_t off = 0;
		while (p->rxlen - off >= 4) {
			uint32_t flen = xv_be32(p->rx + off);
			if (flen > XV_SW_MAX_FRAME) {
				/* the stream lost its framing; nothing after this can be trusted */
				p->st.rx_errors++;
				stream_drop(p);
				return -EPROTO;
			}
			if (p->rxlen - off - 4 < flen)
				break;
			fn(arg, p, p->rx + off + 4, flen);
			frames++;
			off += 4 + flen;
			if (p->fd < 0)
				return frames;
		}
		memmove(p->rx, p->rx + off, p->rxlen - off);
		p->rxlen -= off;
		if ((size_t)k < space)
			break; /* drained: no need for a read that says EAGAIN */
	}
	return frames;
}

/* One recvmmsg takes every queued datagram (up to the batch): one system call for many frames,
 * and none wasted on EAGAIN when the batch was not full. */
static int dgram_read(struct xv_port *p, uint8_t *scratch,
		      void (*fn)(void *, struct xv_port *, const uint8_t *, uint32_t), void *arg)
{
	struct mmsghdr mm[XV_SW_BATCH];
	struct iovec iov[XV_SW_BATCH];
	struct sockaddr_storage from[XV_SW_BATCH];
	int frames = 0;
	for (int round = 0; round < MAX_FRAMES_PER_READ / XV_SW_BATCH + 1; round++) {
		memset(mm, 0, sizeof(mm));
		for (int i = 0; i < XV_SW_BATCH; i++) {
			iov[i].iov_base = scratch + (size_t)i * XV_SW_MAX_FRAME;
			iov[i].iov_len = XV_SW_MAX_FRAME;
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_name = &from[i];
			mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		int n = recvmmsg(p->fd, mm, XV_SW_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? frames : -errno;
		for (int i = 0; i < n; i++) {
			if (mm[i].msg_hdr.msg_flags & MSG_TRUNC) {
				p->st.rx_errors++; /* larger than any frame QEMU sends */
				continue;
			}
			if (!p->fixed_peer && mm[i].msg_hdr.msg_namelen > 0) {
				memcpy(&p->peer, &from[i], mm[i].msg_hdr.msg_namelen);
				p->peerlen = mm[i].msg_hdr.msg_namelen;
				p->st.up = 1;
			}
			fn(arg, p, iov[i].iov_base, mm[i].msg_len);
			frames++;
		}
		if (n < XV_SW_BATCH)
			break;
	}
	return frames;
}

int xv_port_read(struct xv_port *p, uint8_t *scratch,
		 void (*fn)(void *, struct xv_port *, const uint8_t *, uint32_t), void *arg)
{
	if (p->fd < 0)
		return 0;
	if (p->type == XV_PORT_STREAM)
		return stream_read(p, fn, arg);
	if (p->type == XV_PORT_DGRAM)
		return dgram_read(p, scratch, fn, arg);
	int frames = 0;
	for (int round = 0; round < MAX_FRAMES_PER_READ; round++) {
		ssize_t k = read(p->fd, scratch, XV_SW_MAX_FRAME);
		if (k < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == EIO)
				break; /* EIO: the TAP is not up yet */
			return -errno;
		}
		fn(arg, p, scratch, (uint32_t)k);
		frames++;
	}
	return frames;
}

int xv_port_flush(struct xv_port *p)
{
	if (p->fd < 0 || p->txoff >= p->txlen)
		return 0;
	ssize_t k = send(p->fd, p->tx + p->txoff, p->txlen - p->txoff, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (k < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 1;
		stream_drop(p);
		return 0;
	}
	p->txoff += (uint32_t)k;
	if (p->txoff < p->txlen)
		return 1;
	p->txoff = p->txlen = 0;
	return 0;
}

int xv_port_send(struct xv_port *p, const uint8_t *f, uint32_t len)
{
	ssize_t k;
	if (p->fd < 0 || len > XV_SW_MAX_FRAME)
		return -EAGAIN;
	switch (p->type) {
	case XV_PORT_STREAM: {
		if (p->txoff < p->txlen)
			return -EAGAIN; /* still flushing the previous frame: this one is dropped */
		uint8_t hdr[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
				   (uint8_t)len };
		struct iovec iov[2] = { { hdr, 4 }, { (void *)f, len } };
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
		k = sendmsg(p->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return -EAGAIN;
			int e = errno;
			stream_drop(p);
			return -e;
		}
		if ((uint32_t)k < len + 4) {
			/* keep the rest so the length-prefixed stream stays in sync */
			uint32_t done = (uint32_t)k;
			memcpy(p->tx, hdr, 4);
			memcpy(p->tx + 4, f, len);
			p->txlen = len + 4;
			p->txoff = done;
			return 1;
		}
		return 0;
	}
	case XV_PORT_DGRAM:
		if (!p->peerlen)
			return -EAGAIN;
		/* A fixed peer is connected on first use (it may not exist when the switch starts):
		 * a unix-socket sendto() walks the path on every frame, send() does not. */
		if (p->fixed_peer && !p->connected &&
		    connect(p->fd, (struct sockaddr *)&p->peer, p->peerlen) == 0)
			p->connected = true;
		if (p->connected)
			k = send(p->fd, f, len, MSG_DONTWAIT);
		else
			k = sendto(p->fd, f, len, MSG_DONTWAIT, (struct sockaddr *)&p->peer, p->peerlen);
		if (k < 0 && p->connected && (errno == ECONNREFUSED || errno == ENOTCONN))
			p->connected = false; /* the peer went away; a new one may bind the same address */
		break;
	default:
		k = write(p->fd, f, len);
		break;
	}
	if (k < 0)
		return errno == EAGAIN || errno == ENOBUFS || errno == ECONNREFUSED || errno == ENOENT ||
				       errno == EIO
			       ? -EAGAIN
			       : -errno;
	return 0;
}
