/* qmp.c — a minimal QMP client: newline-delimited JSON over a unix socket, every wait bounded. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mem/qmp.h"
#include "xvids/err.h"

/* QMP replies are small except `info mtree` dumps; anything bigger is not QEMU talking. */
#define QMP_MAX_LINE (16u << 20)

struct xv_qmp {
	int fd;
	int timeout_ms;
	pid_t pid;
	unsigned next_id;
	char *buf;
	size_t len, cap;
	char path[108];
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Parse one complete JSON value from the front of the buffer. QEMU may pretty-print
 * (mode=control,pretty=on), so messages are not assumed to be single lines.
 * Returns 1 with *out set, 0 if more bytes are needed, or a negative error. */
static int take_msg(struct xv_qmp *q, const char *what, json_object **out)
{
	enum json_tokener_error jerr;
	json_tokener *tok;
	json_object *obj;
	size_t ws = 0, end;

	while (ws < q->len && strchr(" \t\r\n", q->buf[ws]) && q->buf[ws])
		ws++;
	q->len -= ws;
	memmove(q->buf, q->buf + ws, q->len);
	if (q->len == 0)
		return 0;
	tok = json_tokener_new_ex(64);
	if (!tok)
		return xv_err(ENOMEM, "out of memory parsing QMP");
	obj = json_tokener_parse_ex(tok, q->buf, (int)q->len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue)
		return 0;
	if (!obj || jerr != json_tokener_success || end == 0 || end > q->len) {
		json_object_put(obj);
		return xv_err(EPROTO, "QMP socket %s sent invalid JSON while waiting for %s", q->path,
			      what);
	}
	q->len -= end;
	memmove(q->buf, q->buf + end, q->len);
	*out = obj;
	return 1;
}

/* Read one JSON message, waiting at most until deadline (monotonic ms). */
static int read_msg(struct xv_qmp *q, long long deadline, const char *what, json_object **out)
{
	for (;;) {
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		long long left;
		ssize_t got;
		int pr;

		if (q->len > 0) {
			int rc = take_msg(q, what, out);

			if (rc != 0)
				return rc < 0 ? rc : 0;
		}
		if (q->len >= QMP_MAX_LINE)
			return xv_err(EPROTO, "QMP socket %s sent a line longer than %u bytes", q->path,
				      QMP_MAX_LINE);
		left = deadline - now_ms();
		if (left <= 0)
			return xv_err(ETIMEDOUT, "QEMU did not answer %s on %s within %d ms", what,
				      q->path, q->timeout_ms);
		pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return xv_err(errno, "poll on QMP socket %s: %s", q->path, strerror(errno));
		if (pr == 0)
			continue;
		if (q->cap - q->len < 65536) {
			size_t cap = q->cap ? q->cap * 2 : 131072;
			char *nb = realloc(q->buf, cap);

			if (!nb)
				return xv_err(ENOMEM, "out of memory reading QMP");
			q->buf = nb;
			q->cap = cap;
		}
		got = recv(q->fd, q->buf + q->len, q->cap - q->len, 0);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0)
			return xv_err(errno, "reading QMP socket %s: %s", q->path, strerror(errno));
		if (got == 0)
			return xv_err(ECONNRESET, "QEMU closed the QMP socket %s while we waited for %s",
				      q->path, what);
		q->len += (size_t)got;
	}
}

static int send_all(struct xv_qmp *q, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t put = send(q->fd, s, n, MSG_NOSIGNAL);

		if (put < 0 && errno == EINTR)
			continue;
		if (put < 0)
			return xv_err(errno, "writing QMP socket %s: %s", q->path,
				      errno == EAGAIN ? "timed out" : strerror(errno));
		s += put;
		n -= (size_t)put;
	}
	return 0;
}

int xv_qmp_cmd(struct xv_qmp *q, const char *cmd, json_object *args, json_object **ret)
{
	long long deadline = now_ms() + q->timeout_ms;
	json_object *req = json_object_new_object();
	unsigned id = ++q->next_id;
	const char *text;
	int rc;

	if (ret)
		*ret = NULL;
	if (!req)
		return xv_err(ENOMEM, "out of memory building a QMP command");
	json_object_object_add(req, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(req, "arguments", json_object_get(args));
	json_object_object_add(req, "id", json_object_new_int64(id));
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	rc = send_all(q, text, strlen(text));
	if (rc == 0)
		rc = send_all(q, "\n", 1);
	json_object_put(req);
	if (rc < 0)
		return rc;

	for (;;) {
		json_object *msg, *v, *idv;

		rc = read_msg(q, deadline, cmd, &msg);
		if (rc < 0)
			return rc;
		/* Events arrive at any time and answers to abandoned commands may linger. */
		if (!json_object_object_get_ex(msg, "id", &idv) ||
		    json_object_get_int64(idv) != (int64_t)id) {
			json_object_put(msg);
			continue;
		}
		if (json_object_object_get_ex(msg, "return", &v)) {
			if (ret)
				*ret = json_object_get(v);
			json_object_put(msg);
			return 0;
		}
		if (json_object_object_get_ex(msg, "error", &v)) {
			json_object *desc = NULL;

			json_object_object_get_ex(v, "desc", &desc);
			rc = xv_err(EIO, "QMP command %s failed: %s", cmd,
				    desc ? json_object_get_string(desc) : "unknown error");
			json_object_put(msg);
			return rc;
		}
		json_object_put(msg);
		return xv_err(EPROTO, "QMP answer to %s has neither return nor error", cmd);
	}
}

int xv_qmp_hmp(struct xv_qmp *q, const char *cmdline, char **out)
{
	json_object *args = json_object_new_object(), *ret = NULL;
	int rc;

	*out = NULL;
	if (!args)
		return xv_err(ENOMEM, "out of memory building a QMP command");
	json_object_object_add(args, "command-line", json_object_new_string(cmdline));
	rc = xv_qmp_cmd(q, "human-monitor-command", args, &ret);
	json_object_put(args);
	if (rc < 0)
		return xv_err_ctx(rc, "'%s': ", cmdline);
	if (!json_object_is_type(ret, json_type_string)) {
		json_object_put(ret);
		return xv_err(EPROTO, "human-monitor-command '%s' did not return text", cmdline);
	}
	*out = strdup(json_object_get_string(ret));
	json_object_put(ret);
	return *out ? 0 : xv_err(ENOMEM, "out of memory");
}

int xv_qmp_connect(const char *path, int timeout_ms, struct xv_qmp **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000L };
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct xv_qmp *q;
	json_object *greet = NULL;
	int rc;

	*out = NULL;
	if (!*path)
		return xv_err(EINVAL, "qmp source needs a socket path: qmp:PATH");
	if (strlen(path) >= sizeof(sa.sun_path))
		return xv_err(ENAMETOOLONG, "QMP socket path %s is too long for a unix socket", path);
	q = calloc(1, sizeof(*q));
	if (!q)
		return xv_err(ENOMEM, "out of memory");
	q->timeout_ms = timeout_ms;
	snprintf(q->path, sizeof(q->path), "%s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->fd < 0) {
		rc = xv_err(errno, "socket: %s", strerror(errno));
		free(q);
		return rc;
	}
	setsockopt(q->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = xv_err(errno, "cannot connect to QMP socket %s: %s", path, strerror(errno));
		goto fail;
	}
	if (getsockopt(q->fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 || cred.pid <= 0) {
		rc = xv_err(EPROTO, "cannot find the process behind QMP socket %s (SO_PEERCRED)", path);
		goto fail;
	}
	q->pid = cred.pid;
	/* QEMU serves one QMP client at a time; a second one hears nothing, hence the timeout. */
	rc = read_msg(q, now_ms() + timeout_ms, "the QMP greeting (is another client connected?)",
		      &greet);
	if (rc < 0)
		goto fail;
	if (!json_object_object_get_ex(greet, "QMP", NULL)) {
		json_object_put(greet);
		rc = xv_err(EPROTO, "%s does not speak QMP (no greeting)", path);
		goto fail;
	}
	json_object_put(greet);
	rc = xv_qmp_cmd(q, "qmp_capabilities", NULL, NULL);
	if (rc < 0)
		goto fail;
	*out = q;
	return 0;
fail:
	xv_qmp_close(q);
	return rc;
}

void xv_qmp_close(struct xv_qmp *q)
{
	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	free(q->buf);
	free(q);
}

pid_t xv_qmp_peer_pid(const struct xv_qmp *q)
{
	return q->pid;
}
