/* session.c — telnet sessions: accept, option negotiation (libtelnet), login with limits, line
 * editing, running commands, buffered non-blocking output, idle and login timeouts. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/xvidsd.h"
#include "xv_config.h"

#if XV_HAVE_TELNET
#include <libtelnet.h>

#define OUT_MAX (32u << 20) /* a client that does not read this much is dropped */
#define INQ_MAX (1u << 20)  /* input held while a failed login is being delayed */

enum state { ST_PASSWORD, ST_DELAY, ST_CMD, ST_CLOSE };

struct xvd_client {
	struct xvd_client *next;
	struct xvd *d;
	int fd;
	telnet_t *tn;
	struct sockaddr_storage sa;
	char addr[64];
	unsigned id;
	enum state st;
	struct xvd_lineed le;
	int echo;           /* the client agreed that we echo (DO ECHO) */
	unsigned attempts;
	double delay_until, last_active, connected;
	char *out;
	size_t outlen, outcap;
	char *inq;          /* decoded input waiting while ST_DELAY */
	size_t inqlen;
	int closing_after_flush;
};

static const telnet_telopt_t telopts[] = {
	{ TELNET_TELOPT_ECHO, TELNET_WILL, TELNET_DONT },
	{ TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO },
	{ TELNET_TELOPT_NAWS, TELNET_WONT, TELNET_DONT }, /* window size: not needed */
	{ -1, 0, 0 },
};

static void out_append(struct xvd_client *c, const char *buf, size_t n)
{
	if (c->st == ST_CLOSE)
		return;
	if (c->outlen + n > OUT_MAX) {
		xvd_log("client %u (%s): not reading its output, dropped", c->id, c->addr);
		c->st = ST_CLOSE;
		return;
	}
	if (c->outlen + n > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 4096;
		while (cap < c->outlen + n)
			cap *= 2;
		char *p = realloc(c->out, cap);
		if (!p) {
			c->st = ST_CLOSE;
			return;
		}
		c->out = p;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, buf, n);
	c->outlen += n;
}

static void flush_out(struct xvd_client *c)
{
	size_t off = 0;

	while (off < c->outlen) {
		ssize_t w = send(c->fd, c->out + off, c->outlen - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->st = ST_CLOSE;
			break;
		}
		off += (size_t)w;
	}
	memmove(c->out, c->out + off, c->outlen - off);
	c->outlen -= off;
	/* Give memory back after a large output. */
	if (c->outlen == 0 && c->outcap > 65536) {
		free(c->out);
		c->out = NULL;
		c->outcap = 0;
	}
}

/* Text to the client: NVT line ends (\n -> \r\n, bare \r -> \r\0); libtelnet doubles IAC. */
static void send_text(struct xvd_client *c, const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\n' && s[i] != '\r')
			continue;
		if (i > start)
			telnet_send(c->tn, s + start, i - start);
		telnet_send(c->tn, s[i] == '\n' ? "\r\n" : "\r\0", 2);
		start = i + 1;
	}
	if (n > start)
		telnet_send(c->tn, s + start, n - start);
}

static void send_str(struct xvd_client *c, const char *s)
{
	send_text(c, s, strlen(s));
}

static void prompt(struct xvd_client *c)
{
	send_str(c, c->st == ST_PASSWORD ? "Password: " : "xvids> ");
}

static void login_failed(struct xvd_client *c, double now)
{
	struct xvd *d = c->d;

	d->login_failures++;
	c->attempts++;
	xvd_rl_fail(&d->rl, &c->sa, d->cfg.addr_window, time(NULL));
	xvd_log("client %u (%s): wrong password (attempt %u)", c->id, c->addr, c->attempts);
	/* Answer only after the delay: guessing costs time, and a right and a wrong password
	 * are not told apart by how soon the reply comes. */
	c->st = ST_DELAY;
	c->delay_until = now + d->cfg.login_delay_ms / 1000.0;
}

static void handle_line(struct xvd_client *c, char *line, double now)
{
	struct xvd *d = c->d;

	if (c->st == ST_PASSWORD) {
		send_str(c, "\n");
		/* Fails closed: without hashes nobody gets in (start-up requires them anyway). */
		int ok = xvd_auth_check(&d->auth, line);
		explicit_bzero(line, strlen(line));
		if (!ok) {
			login_failed(c, now);
			return;
		}
		d->logins++;
		xvd_log("client %u (%s): logged in", c->id, c->addr);
		c->st = ST_CMD;
		send_str(c, "xvids command manager. Type help for the commands.\n");
		prompt(c);
		return;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	if (!out) {
		send_str(c, "error: out of memory\n");
		prompt(c);
		return;
	}
	int quit = xvd_exec(d, line, out);
	fclose(out);
	/* A long command is not the client being idle. */
	c->last_active = xvd_now();
	send_text(c, buf, len);
	free(buf);
	if (quit) {
		c->closing_after_flush = 1;
		return;
	}
	prompt(c);
}

static void feed(struct xvd_client *c, const char *data, size_t n, double now)
{
	for (size_t i = 0; i < n; i++) {
		if (c->st == ST_CLOSE || c->closing_after_flush)
			return;
		if (c->st == ST_DELAY) {
			/* Keep what was typed ahead for after the delay. */
			size_t rest = n - i;
			if (c->inqlen + rest > INQ_MAX) {
				c->st = ST_CLOSE;
				return;
			}
			char *p = realloc(c->inq, c->inqlen + rest);
			if (!p) {
				c->st = ST_CLOSE;
				return;
			}
			c->inq = p;
			memcpy(c->inq + c->inqlen, data + i, rest);
			c->inqlen += rest;
			return;
		}
		char echo[4];
		size_t elen = 0;
		int ev = xvd_lineed_byte(&c->le, (unsigned char)data[i], echo, &elen);
		/* Echo only what the client asked us to, and never the password. */
		if (c->echo && elen && c->st == ST_CMD)
			telnet_send(c->tn, echo, elen);
		switch (ev) {
		case XVD_LE_LINE:
			handle_line(c, c->le.buf, now);
			break;
		case XVD_LE_TOOLONG:
			if (c->st == ST_PASSWORD) {
				login_failed(c, now);
			} else {
				send_str(c, "\nerror: line too long\n");
				prompt(c);
			}
			break;
		case XVD_LE_INTR:
			send_str(c, "^C\n");
			prompt(c);
			break;
		case XVD_LE_EOF:
			c->closing_after_flush = 1;
			return;
		}
	}
}

static double g_now;

static void on_event(telnet_t *t, telnet_event_t *ev, void *arg)
{
	struct xvd_client *c = arg;
	(void)t;

	switch (ev->type) {
	case TELNET_EV_DATA:
		feed(c, ev->data.buffer, ev->data.size, g_now);
		break;
	case TELNET_EV_SEND:
		out_append(c, ev->data.buffer, ev->data.size);
		break;
	case TELNET_EV_DO:
		if (ev->neg.telopt == TELNET_TELOPT_ECHO)
			c->echo = 1;
		break;
	case TELNET_EV_DONT:
		if (ev->neg.telopt == TELNET_TELOPT_ECHO)
			c->echo = 0;
		break;
	case TELNET_EV_IAC:
		/* Interrupt Process / Abort Output act like ^C. */
		if (ev->iac.cmd == TELNET_IP || ev->iac.cmd == TELNET_AO) {
			if (c->st == ST_CMD || c->st == ST_PASSWORD)
				feed(c, "\003", 1, g_now);
		} else if (ev->iac.cmd == TELNET_EOF) {
			c->closing_after_flush = 1;
		}
		break;
	case TELNET_EV_ERROR:
		/* Broken protocol from the client: it gets no second chance. */
		c->st = ST_CLOSE;
		break;
	default:
		break;
	}
}

static void client_free(struct xvd_client *c)
{
	if (c->tn)
		telnet_free(c->tn);
	if (c->fd >= 0)
		close(c->fd);
	xvd_lineed_free(&c->le);
	free(c->out);
	free(c->inq);
	free(c);
}

static void addr_str(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		port = ntohs(a->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		port = ntohs(a->sin6_port);
	}
	snprintf(buf, size, "%s:%u", ip, port);
}

static int same_source(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return 0;
}

/* A flood of refused connections must not flood the log: one line per second, with a count. */
static void log_refused(const char *addr, const char *why)
{
	static double last;
	static unsigned suppressed;
	double now = xvd_now();

	if (now - last < 1.0) {
		suppressed++;
		return;
	}
	if (suppressed)
		xvd_log("refused %s: %s (and %u more refused in the last second)", addr, why,
			suppressed);
	else
		xvd_log("refused %s: %s", addr, why);
	last = now;
	suppressed = 0;
}

void xvd_client_accept(struct xvd *d)
{
	for (int burst = 0; burst < 64; burst++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(d->listen_fd, (struct sockaddr *)&ss, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		d->sessions++;
		char addr[64];
		addr_str(&ss, addr, sizeof(addr));
		if (d->nclients >= d->cfg.max_clients) {
			static const char msg[] = "Too many clients; try again later.\r\n";
			if (send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* nothing more to tell it */
			}
			close(fd);
			log_refused(addr, "too many clients");
			continue;
		}
		if (!d->cfg.no_password && xvd_rl_blocked(&d->rl, &ss, d->cfg.addr_failures,
						d->cfg.addr_window, time(NULL))) {
			static const char msg[] = "Too many failed logins; try again later.\r\n";
			if (send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* nothing more to tell it */
			}
			close(fd);
			log_refused(addr, "too many failed logins from this address");
			continue;
		}
		/* One address must not take every slot with connections that never log in. */
		unsigned pre = 0;
		for (struct xvd_client *o = d->clients; o; o = o->next)
			if ((o->st == ST_PASSWORD || o->st == ST_DELAY) && same_source(&o->sa, &ss))
				pre++;
		if (!d->cfg.no_password && pre >= d->cfg.addr_prelogin) {
			static const char msg[] = "Too many connections from your address; try again "
						  "later.\r\n";
			if (send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* nothing more to tell it */
			}
			close(fd);
			log_refused(addr, "too many connections not logged in from this address");
			continue;
		}
		struct xvd_client *c = calloc(1, sizeof(*c));
		if (!c || xvd_lineed_init(&c->le, d->cfg.max_line) < 0) {
			free(c);
			close(fd);
			continue;
		}
		c->d = d;
		c->fd = fd;
		c->sa = ss;
		snprintf(c->addr, sizeof(c->addr), "%s", addr);
		c->id = (unsigned)d->sessions;
		c->connected = c->last_active = xvd_now();
		c->st = d->cfg.no_password ? ST_CMD : ST_PASSWORD;
		c->tn = telnet_init(telopts, on_event, 0, c);
		if (!c->tn) {
			client_free(c);
			continue;
		}
		c->next = d->clients;
		d->clients = c;
		d->nclients++;
		telnet_negotiate(c->tn, TELNET_WILL, TELNET_TELOPT_ECHO);
		telnet_negotiate(c->tn, TELNET_WILL, TELNET_TELOPT_SGA);
		if (c->st == ST_CMD)
			send_str(c, "xvids command manager (no password: loopback only). Type help.\n");
		prompt(c);
		flush_out(c);
	}
}

void xvd_clients_poll(struct xvd *d, struct pollfd *pfd, unsigned *n)
{
	for (struct xvd_client *c = d->clients; c; c = c->next) {
		short ev = 0;
		if (c->st != ST_DELAY && !c->closing_after_flush)
			ev |= POLLIN;
		if (c->outlen)
			ev |= POLLOUT;
		pfd[*n].fd = c->fd;
		pfd[*n].events = ev;
		pfd[*n].revents = 0;
		(*n)++;
	}
}

static void client_read(struct xvd_client *c, double now)
{
	char buf[16384];

	/* Bounded per wake-up so one client cannot starve the others. */
	for (int i = 0; i < 8 && c->st != ST_CLOSE && c->st != ST_DELAY; i++) {
		ssize_t r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r == 0) {
			c->st = ST_CLOSE;
			return;
		}
		if (r < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				c->st = ST_CLOSE;
			return;
		}
		c->last_active = now;
		g_now = now;
		telnet_recv(c->tn, buf, (size_t)r);
		if (c->outlen > (1u << 20))
			flush_out(c);
		if ((size_t)r < sizeof(buf))
			return;
	}
}

void xvd_clients_io(struct xvd *d, struct pollfd *pfd, unsigned n, double now)
{
	unsigned i = 0;

	for (struct xvd_client *c = d->clients; c && i < n; c = c->next, i++) {
		if (pfd[i].fd != c->fd)
			break; /* the list changed (accept adds at the head): next round */
		/* An error, or a hang-up while a login delay holds the client (its input is not
		 * polled then, so the hang-up would be reported again and again). */
		if ((pfd[i].revents & (POLLERR | POLLNVAL)) ||
		    ((pfd[i].revents & POLLHUP) && c->st == ST_DELAY))
			c->st = ST_CLOSE;
		else if (pfd[i].revents & (POLLIN | POLLHUP))
			client_read(c, now);
	}
	struct xvd_client **pp = &d->clients;
	while (*pp) {
		struct xvd_client *c = *pp;
		if (c->st == ST_DELAY && now >= c->delay_until) {
			if (c->attempts >= d->cfg.login_attempts) {
				send_str(c, "Login incorrect. Too many attempts.\n");
				c->closing_after_flush = 1;
			} else {
				send_str(c, "Login incorrect.\n");
				c->st = ST_PASSWORD;
				prompt(c);
				char *q = c->inq;
				size_t qn = c->inqlen;
				c->inq = NULL;
				c->inqlen = 0;
				g_now = now;
				feed(c, q, qn, now);
				free(q);
			}
		}
		double limit = c->st == ST_CMD ? d->cfg.idle_timeout : d->cfg.login_timeout;
		if (c->st != ST_CLOSE && !c->closing_after_flush && now - c->last_active > limit &&
		    !(c->st == ST_DELAY)) {
			send_str(c, c->st == ST_CMD ? "\nidle timeout\n" : "\nlogin timeout\n");
			c->closing_after_flush = 1;
			xvd_log("client %u (%s): %s timeout", c->id, c->addr,
				c->st == ST_CMD ? "idle" : "login");
		}
		if (c->outlen && c->st != ST_CLOSE)
			flush_out(c);
		if (c->st == ST_CLOSE || (c->closing_after_flush && c->outlen == 0)) {
			*pp = c->next;
			d->nclients--;
			client_free(c);
			continue;
		}
		pp = &c->next;
	}
}

double xvd_clients_next(struct xvd *d)
{
	double t = -1;
	for (struct xvd_client *c = d->clients; c; c = c->next) {
		double e;
		if (c->st == ST_DELAY)
			e = c->delay_until;
		else
			e = c->last_active +
			    (c->st == ST_CMD ? d->cfg.idle_timeout : d->cfg.login_timeout);
		if (t < 0 || e < t)
			t = e;
	}
	return t;
}

void xvd_clients_free(struct xvd *d)
{
	while (d->clients) {
		struct xvd_client *c = d->clients;
		d->clients = c->next;
		client_free(c);
	}
	d->nclients = 0;
}
#else /* -Dtelnet=disabled: no command manager; whoever connects is told so */
void xvd_client_accept(struct xvd *d)
{
	static const char msg[] = "xvidsd: this build has no telnet command manager (built without "
				  "libtelnet); its watches, alerts and switch run.\r\n";
	int fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ssize_t w;

	if (fd < 0)
		return;
	w = write(fd, msg, sizeof(msg) - 1); /* best effort: a fresh socket takes one line */
	(void)w;
	close(fd);
}

void xvd_clients_poll(struct xvd *d, struct pollfd *pfd, unsigned *n)
{
	(void)d;
	(void)pfd;
	(void)n;
}

void xvd_clients_io(struct xvd *d, struct pollfd *pfd, unsigned n, double now)
{
	(void)d;
	(void)pfd;
	(void)n;
	(void)now;
}

double xvd_clients_next(struct xvd *d)
{
	(void)d;
	return -1;
}

void xvd_clients_free(struct xvd *d)
{
	(void)d;
}
#endif
