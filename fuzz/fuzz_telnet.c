/* fuzz_telnet.c — xvidsd's telnet sessions end to end, as a client on the network reaches them:
 * a real connection accepted by xvd_client_accept, libtelnet's IAC/option negotiation, the login
 * (password, delay, attempts), the line editor, the command splitter and the daemon's commands
 * (one configured VM that cannot attach, so guest commands stop at need_vm), output buffering.
 * Input: mode byte (bit 0: a password is set, bit 1: 32-byte lines), then records: u8 length N and
 * N bytes the client sends in one write; N = 0 lets a second pass (login delays end, timeouts). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <crypt.h>

#include "fuzz.h"
#include "daemon/xvidsd.h"

static struct xvd d;
static struct sockaddr_un addr;
static socklen_t addrlen;
static double clock_skew; /* "time passes" records move the daemon's clock, not the host's */

double xvd_now(void);

static void setup(void)
{
	int fd;
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *h;

	xvd_config_defaults(&d.cfg);
	d.cfg.login_delay_ms = 0; /* the delay path still runs: the next pass releases it */
	d.cfg.idle_timeout = 1000000;
	d.cfg.login_timeout = 1000000;
	snprintf(d.host, sizeof(d.host), "fuzz");
	d.started = time(NULL);
	d.alerts = xvd_alerts_new(&d.cfg, d.host);
	/* One VM whose source does not exist: guest commands go as far as attaching it. */
	snprintf(d.vm[0].name, sizeof(d.vm[0].name), "web");
	snprintf(d.vm[0].spec, sizeof(d.vm[0].spec), "dump:/nonexistent/xv-fuzz-telnet.elf");
	d.nvm = 1;
	/* A cheap hash (sha256-crypt, the minimum 1000 rounds): the login path is what matters. */
	h = cd ? crypt_r("hunter2", "$5$rounds=1000$fuzzsalt$", cd) : NULL;
	if (!h || h[0] == '*' || !(d.auth.hash[0] = strdup(h)))
		abort();
	d.auth.n = 1;
	free(cd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	addr.sun_family = AF_UNIX;
	/* abstract name: nothing in the file system, unique per process */
	int n = snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "xv-fuzz-telnet-%d",
			 (int)getpid());
	addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, addrlen) < 0 || listen(fd, 16) < 0)
		abort();
	d.listen_fd = fd;
}

static void drain(int cfd)
{
	char buf[65536];

	ssize_t r;

	while ((r = read(cfd, buf, sizeof(buf))) > 0) {
#ifdef FUZZ_TELNET_TRACE
		fwrite(buf, 1, (size_t)r, stderr);
#endif
	}
}

/* One pass of the daemon's poll loop over its clients, every client readable. */
static void pass(int cfd)
{
	struct pollfd pfd[XVD_MAX_VMS];
	unsigned n = 0;

	xvd_clients_poll(&d, pfd, &n);
	for (unsigned i = 0; i < n; i++)
		pfd[i].revents = POLLIN;
	xvd_clients_io(&d, pfd, n, xvd_now() + clock_skew);
	if (cfd >= 0)
		drain(cfd);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	int cfd;

	if (!d.alerts)
		setup();
	if (size < 1)
		return 0;
	d.cfg.no_password = !(data[0] & 1);
	d.cfg.max_line = (data[0] & 2) ? 32 : 4096;
	memset(&d.rl, 0, sizeof(d.rl)); /* every input is a first visit */
	clock_skew = 0;
	cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&addr, addrlen) < 0)
		abort();
	xvd_client_accept(&d);
	if (d.nclients != 1)
		abort(); /* a first connection from a new address is always served */
	drain(cfd);
	for (size_t pos = 1; pos < size && d.nclients;) {
		size_t len = data[pos++];

		if (len > size - pos)
			len = size - pos;
		if (len == 0) {
			clock_skew += 1;
		} else {
			ssize_t w = write(cfd, data + pos, len);

			if (w < 0 && errno != EAGAIN)
				abort();
			pos += len;
		}
		pass(cfd);
	}
	close(cfd);
	for (int i = 0; i < 4 && d.nclients; i++)
		pass(-1); /* the hang-up is read and the session freed */
	if (d.nclients)
		abort(); /* a client that hung up must not keep its slot */
	for (unsigned i = 0; i < d.nwatch; i++)
		xvd_watch_free(&d.watch[i]);
	d.nwatch = 0;
	d.vm[0].up = 0;
	return 0;
}
