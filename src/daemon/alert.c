/* alert.c — alerts: a ring for `alerts`, and the outputs (EVE JSON file, RFC 5424 syslog, hook). */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/xvidsd.h"
#include "xvids/err.h"

#define RING 256

struct xvd_alerts {
	const struct xvd_config *cfg;
	char host[256];
	struct xvd_alert ring[RING];
	unsigned head, count;
	uint64_t total;
	int eve_fd;
	int syslog_fd;
	struct sockaddr_storage syslog_sa;
	socklen_t syslog_len;
	int facility;
	int hook_fd;
	uint64_t eve_errors, syslog_errors, hook_errors;
};

struct xvd_alerts *xvd_alerts_new(const struct xvd_config *cfg, const char *host)
{
	struct xvd_alerts *al = calloc(1, sizeof(*al));

	if (!al)
		return NULL;
	al->cfg = cfg;
	snprintf(al->host, sizeof(al->host), "%s", host && *host ? host : "-");
	al->eve_fd = al->syslog_fd = al->hook_fd = -1;
	al->facility = xvd_syslog_facility(cfg->syslog_facility);
	if (al->facility < 0)
		al->facility = 3;
	return al;
}

void xvd_alerts_free(struct xvd_alerts *al)
{
	if (!al)
		return;
	for (unsigned i = 0; i < RING; i++)
		free(al->ring[i].json);
	if (al->eve_fd >= 0)
		close(al->eve_fd);
	if (al->syslog_fd >= 0)
		close(al->syslog_fd);
	if (al->hook_fd >= 0)
		close(al->hook_fd);
	free(al);
}

int xvd_syslog_facility(const char *name)
{
	static const char *const names[] = { "kern", "user", "mail", "daemon", "auth", "syslog",
					     "lpr", "news", "uucp", "cron", "authpriv", "ftp" };
	for (int i = 0; i < 12; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	if (strncmp(name, "local", 5) == 0 && name[5] >= '0' && name[5] <= '7' && !name[6])
		return 16 + name[5] - '0';
	return -1;
}

static int syslog_connect(struct xvd_alerts *al)
{
	const char *s = al->cfg->syslog;

	if (strncmp(s, "unix:", 5) == 0) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&al->syslog_sa;
		memset(sun, 0, sizeof(*sun));
		sun->sun_family = AF_UNIX;
		if (strlen(s + 5) >= sizeof(sun->sun_path))
			return xv_err(ENAMETOOLONG, "syslog socket path too long: %s", s + 5);
		memcpy(sun->sun_path, s + 5, strlen(s + 5) + 1);
		al->syslog_len = sizeof(*sun);
	} else if (xvd_parse_hostport(s + 4, &al->syslog_sa, &al->syslog_len) < 0) {
		return -EINVAL;
	}
	int fd = socket(al->syslog_sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return xv_err(errno, "syslog socket: %s", strerror(errno));
	/* Unix: connect so the daemon notices a restarted syslogd; UDP stays unconnected. */
	if (al->syslog_sa.ss_family == AF_UNIX &&
	    connect(fd, (struct sockaddr *)&al->syslog_sa, al->syslog_len) < 0) {
		int e = errno;
		close(fd);
		return xv_err(e, "cannot connect to syslog socket %s: %s", s + 5, strerror(e));
	}
	al->syslog_fd = fd;
	return 0;
}

int xvd_alerts_open(struct xvd_alerts *al, uid_t uid, gid_t gid)
{
	const struct xvd_config *c = al->cfg;

	if (c->eve[0]) {
		al->eve_fd = open(c->eve, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (al->eve_fd < 0)
			return xv_err(errno, "cannot open EVE file %s: %s", c->eve, strerror(errno));
		if (getuid() == 0 && uid != 0 && fchown(al->eve_fd, uid, gid) < 0)
			xvd_log("warning: cannot chown %s: %s", c->eve, strerror(errno));
	}
	if (c->syslog[0] && syslog_connect(al) < 0) {
		/* A syslogd that is not up yet is not fatal: retried at each alert. */
		xvd_log("warning: %s (will retry)", xv_errmsg());
	}
	if (c->hook[0]) {
		al->hook_fd = xvd_hook_start(c->hook, uid, gid);
		if (al->hook_fd < 0)
			return al->hook_fd;
	}
	return 0;
}

static void fmt_time(char *buf, size_t size, const struct timespec *ts, int eve)
{
	struct tm tm;
	char base[32];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	/* EVE uses Suricata's "+0000"; RFC 5424 wants "Z". */
	snprintf(buf, size, "%s.%06ld%s", base, ts->tv_nsec / 1000, eve ? "+0000" : "Z");
}

const char *xvd_sev_name(int s)
{
	static const char *const n[] = { "info", "low", "medium", "high", "critical" };
	return s >= 0 && s <= 4 ? n[s] : "info";
}

int xvd_sev_parse(const char *s)
{
	for (int i = 0; i <= 4; i++)
		if (s && strcmp(s, xvd_sev_name(i)) == 0)
			return i;
	return -1;
}

static const int sev_to_syslog[] = { 6, 5, 4, 3, 2 }; /* info notice warning err crit */

/* SD-PARAM values escape '"', '\' and ']'. */
static size_t sd_escape(char *out, size_t size, const char *v)
{
	size_t n = 0;
	for (; *v && n + 2 < size; v++) {
		if (*v == '"' || *v == '\\' || *v == ']')
			out[n++] = '\\';
		out[n++] = (unsigned char)*v < 0x20 ? ' ' : *v;
	}
	out[n] = 0;
	return n;
}

int xvd_syslog_format(char *buf, size_t size, int facility, const struct xvd_alert *a,
		      const char *host, int pid)
{
	char ts[80], vm[2 * XVD_NAME_MAX], kind[80], key[520], src[40];
	int sev = a->severity >= 0 && a->severity <= 4 ? sev_to_syslog[a->severity] : 5;

	fmt_time(ts, sizeof(ts), &a->ts, 0);
	sd_escape(vm, sizeof(vm), a->vm);
	sd_escape(kind, sizeof(kind), a->kind);
	sd_escape(key, sizeof(key), a->key);
	sd_escape(src, sizeof(src), a->source);
	/* HOSTNAME and MSGID are PRINTUSASCII without spaces; the sources are plain words. */
	int n = snprintf(buf, size,
			 "<%d>1 %s %s xvidsd %d %s [xvids@32473 vm=\"%s\" check=\"%s\" kind=\"%s\" "
			 "severity=\"%s\" key=\"%s\"] %s",
			 facility * 8 + sev, ts, host && *host ? host : "-", pid,
			 a->source[0] ? a->source : "-", vm, src, kind,
			 xvd_sev_name(a->severity), key,
			 a->json ? a->json : a->summary);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

static void send_syslog(struct xvd_alerts *al, const struct xvd_alert *a)
{
	char buf[8192];
	int n = xvd_syslog_format(buf, sizeof(buf), al->facility, a, al->host, (int)getpid());

	if (n < 0) {
		/* Too long for one datagram: send the summary instead of the JSON. */
		struct xvd_alert b = *a;
		b.json = NULL;
		n = xvd_syslog_format(buf, sizeof(buf), al->facility, &b, al->host, (int)getpid());
		if (n < 0)
			return;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (al->syslog_fd < 0 && syslog_connect(al) < 0)
			break;
		ssize_t w;
		if (al->syslog_sa.ss_family == AF_UNIX)
			w = send(al->syslog_fd, buf, (size_t)n, MSG_NOSIGNAL);
		else
			w = sendto(al->syslog_fd, buf, (size_t)n, MSG_NOSIGNAL,
				   (struct sockaddr *)&al->syslog_sa, al->syslog_len);
		if (w == n)
			return;
		close(al->syslog_fd);
		al->syslog_fd = -1;
	}
	al->syslog_errors++;
	xvd_log("warning: cannot send alert to syslog %s", al->cfg->syslog);
}

static void send_eve(struct xvd_alerts *al, const char *line)
{
	size_t n = strlen(line);
	char *buf = malloc(n + 1);

	if (!buf)
		return;
	snprintf(buf, n + 1, "%s", line); /* then the NUL becomes the newline */
	buf[n] = '\n';
	/* One write per record: O_APPEND keeps concurrent writers' lines whole. */
	if (write(al->eve_fd, buf, n + 1) != (ssize_t)(n + 1)) {
		al->eve_errors++;
		xvd_log("warning: cannot write EVE file %s: %s", al->cfg->eve, strerror(errno));
	}
	free(buf);
}

static struct xvd_alert *ring_slot(struct xvd_alerts *al)
{
	struct xvd_alert *a = &al->ring[(al->head + al->count) % RING];

	if (al->count == RING) {
		a = &al->ring[al->head];
		al->head = (al->head + 1) % RING;
	} else {
		al->count++;
	}
	free(a->json);
	memset(a, 0, sizeof(*a));
	al->total++;
	return a;
}

static void dispatch(struct xvd_alerts *al, struct xvd_alert *a)
{
	xvd_log("alert: %s %s %s: %s", a->vm, a->source, a->kind, a->summary);
	if (al->eve_fd >= 0 && a->json)
		send_eve(al, a->json);
	if (al->cfg->syslog[0])
		send_syslog(al, a);
	if (al->hook_fd >= 0 && a->json && xvd_hook_send(al->hook_fd, a->json) < 0) {
		al->hook_errors++;
		xvd_log("warning: alert hook: %s", xv_errmsg());
	}
}

static void fill(struct xvd_alert *a, const char *vm, const char *source, const char *kind,
		 int severity, const char *key, const char *summary)
{
	clock_gettime(CLOCK_REALTIME, &a->ts);
	snprintf(a->vm, sizeof(a->vm), "%s", vm ? vm : "");
	snprintf(a->source, sizeof(a->source), "%s", source ? source : "");
	snprintf(a->kind, sizeof(a->kind), "%s", kind ? kind : "");
	a->severity = severity < 0 ? 0 : severity > 4 ? 4 : severity;
	snprintf(a->key, sizeof(a->key), "%s", key ? key : "");
	snprintf(a->summary, sizeof(a->summary), "%s", summary ? summary : "");
}

void xvd_alert_raise(struct xvd_alerts *al, const char *vm, const char *source, const char *kind,
		     int severity, const char *key, const char *summary, struct json_object *obj)
{
	struct xvd_alert *a = ring_slot(al);
	char ts[80];

	fill(a, vm, source, kind, severity, key, summary);
	fmt_time(ts, sizeof(ts), &a->ts, 1);
	if (!obj)
		obj = json_object_new_object();
	/* The finding's own fields stay; we add where and what, for collectors. */
	if (!json_object_object_get_ex(obj, "check", NULL))
		json_object_object_add(obj, "check", json_object_new_string(a->source));
	if (!json_object_object_get_ex(obj, "kind", NULL))
		json_object_object_add(obj, "kind", json_object_new_string(a->kind));
	if (!json_object_object_get_ex(obj, "severity", NULL))
		json_object_object_add(obj, "severity", json_object_new_string(
			xvd_sev_name(a->severity)));
	json_object_object_add(obj, "vm", json_object_new_string(a->vm));
	if (a->key[0])
		json_object_object_add(obj, "key", json_object_new_string(a->key));
	json_object_object_add(obj, "summary", json_object_new_string(a->summary));
	struct json_object *env = json_object_new_object();
	json_object_object_add(env, "timestamp", json_object_new_string(ts));
	json_object_object_add(env, "event_type", json_object_new_string("xvids"));
	json_object_object_add(env, "host", json_object_new_string(a->vm));
	json_object_object_add(env, "sensor", json_object_new_string(al->host));
	json_object_object_add(env, "xvids", obj);
	const char *s = json_object_to_json_string_ext(env, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE);
	a->json = s ? strdup(s) : NULL;
	json_object_put(env);
	dispatch(al, a);
}

void xvd_alert_raise_eve(struct xvd_alerts *al, const char *vm, const char *source,
			 const char *kind, int severity, const char *summary, const char *eve)
{
	struct xvd_alert *a = ring_slot(al);

	fill(a, vm, source, kind, severity, NULL, summary);
	a->json = eve ? strdup(eve) : NULL;
	dispatch(al, a);
}

unsigned xvd_alerts_count(const struct xvd_alerts *al)
{
	return al->count;
}

const struct xvd_alert *xvd_alerts_get(const struct xvd_alerts *al, unsigned i)
{
	if (i >= al->count)
		return NULL;
	return &al->ring[(al->head + i) % RING];
}

uint64_t xvd_alerts_total(const struct xvd_alerts *al)
{
	return al->total;
}
