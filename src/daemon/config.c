/* config.c — xvidsd's configuration: defaults, the config file's directives, address parsing. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/xvidsd.h"
#include "xvids/err.h"

void xvd_config_defaults(struct xvd_config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->listen, "127.0.0.1:2323");
	strcpy(c->syslog_facility, "daemon");
	c->max_clients = 16;
	c->max_line = 4096;
	c->idle_timeout = 600;
	c->login_timeout = 60;
	c->login_delay_ms = 2000;
	c->login_attempts = 3;
	c->addr_failures = 10;
	c->addr_window = 600;
	c->addr_prelogin = 8;
	c->vm_check = 2;
	c->sandbox = 1;
	c->inline_drop = 1;
}

static int onoff(int *dst, const char *v, int on, int off, const char *file, int line,
		 const char *what)
{
	if (strcmp(v, "on") == 0)
		*dst = on;
	else if (strcmp(v, "off") == 0)
		*dst = off;
	else
		return xv_err(EINVAL, "%s:%d: %s on|off", file, line, what);
	return 0;
}

long xvd_parse_duration(const char *s)
{
	char *end;
	long mult = 1;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || v > 86400UL * 366)
		return -1;
	if (*end == 's' && end[1] == 0)
		mult = 1;
	else if (*end == 'm' && end[1] == 0)
		mult = 60;
	else if (*end == 'h' && end[1] == 0)
		mult = 3600;
	else if (*end)
		return -1;
	return (long)v * mult;
}

int xvd_parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128];
	const char *port;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof(host))
			return xv_err(EINVAL, "bad address '%s' (want [IPv6]:PORT)", s);
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = 0;
		port = rb + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(host))
			return xv_err(EINVAL, "bad address '%s' (want ADDR:PORT)", s);
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = 0;
		port = colon + 1;
	}
	char *end;
	unsigned long p = strtoul(port, &end, 10);
	if (!*port || *end || p > 65535)
		return xv_err(EINVAL, "bad port in '%s'", s);
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (strcmp(host, "localhost") == 0 || !host[0])
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*in6);
		return 0;
	}
	return xv_err(EINVAL, "bad address '%s': give a numeric IPv4/IPv6 address", host);
}

int xvd_addr_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)ss;
		return (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return 1;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			return in6->sin6_addr.s6_addr[12] == 127;
	}
	return 0;
}

static int copy_arg(char *dst, size_t size, const char *v, const char *file, int line)
{
	if (strlen(v) >= size)
		return xv_err(ENAMETOOLONG, "%s:%d: value too long", file, line);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int valid_name(const char *n)
{
	if (!*n || strlen(n) >= XVD_NAME_MAX)
		return 0;
	for (const char *p = n; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return 0;
	return 1;
}

static int add_vm(struct xvd_config *c, const char *name, const char *spec, const char *file,
		  int line)
{
	if (!valid_name(name))
		return xv_err(EINVAL, "%s:%d: bad VM name '%s' (letters, digits, - _ . only)", file,
			      line, name);
	for (unsigned i = 0; i < c->nvm; i++)
		if (strcmp(c->vm[i].name, name) == 0)
			return xv_err(EEXIST, "%s:%d: VM '%s' given twice", file, line, name);
	if (c->nvm == XVD_MAX_VMS)
		return xv_err(E2BIG, "%s:%d: too many VMs (max %d)", file, line, XVD_MAX_VMS);
	if (strncmp(spec, "ram:", 4) != 0 && strncmp(spec, "dump:", 5) != 0 &&
	    strncmp(spec, "qmp:", 4) != 0)
		return xv_err(EINVAL, "%s:%d: bad memory spec '%s' (ram:PATH@BASE, dump:PATH or "
				      "qmp:SOCKET)", file, line, spec);
	if (copy_arg(c->vm[c->nvm].spec, sizeof(c->vm[0].spec), spec, file, line) < 0)
		return -ENAMETOOLONG;
	snprintf(c->vm[c->nvm].name, sizeof(c->vm[0].name), "%s", name);
	c->nvm++;
	return 0;
}

int xvd_config_add_vm(struct xvd_config *c, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char name[XVD_NAME_MAX];

	if (!eq || (size_t)(eq - arg) >= sizeof(name))
		return xv_err(EINVAL, "--vm wants NAME=SPEC, got '%s'", arg);
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = 0;
	return add_vm(c, name, eq + 1, "--vm", 0);
}

static int uint_arg(unsigned *dst, const char *v, unsigned lo, unsigned hi, const char *file,
		    int line, const char *what)
{
	char *end;
	unsigned long x = strtoul(v, &end, 10);
	if (!*v || *end || x < lo || x > hi)
		return xv_err(EINVAL, "%s:%d: %s wants a number from %u to %u", file, line, what, lo,
			      hi);
	*dst = (unsigned)x;
	return 0;
}

/* Directives and how many words they take (-1: the rest of the line as one value). */
int xvd_config_line(struct xvd_config *c, char *line, const char *file, int lineno)
{
	char *argv[8];
	char *hash = NULL;

	/* '#' starts a comment only at the start of a word. */
	for (char *p = line; *p; p++)
		if (*p == '#' && (p == line || isspace((unsigned char)p[-1]))) {
			hash = p;
			break;
		}
	if (hash)
		*hash = 0;
	char *rest = line;
	while (isspace((unsigned char)*rest))
		rest++;
	if (!*rest)
		return 0;
	/* check-args CHECK ARGS...: the rest of the line, split when used. */
	if (strncmp(rest, "check-args", 10) == 0 && isspace((unsigned char)rest[10])) {
		char *v = rest + 11, *sp;
		while (isspace((unsigned char)*v))
			v++;
		sp = v;
		while (*sp && !isspace((unsigned char)*sp))
			sp++;
		if (!*sp || sp == v || (size_t)(sp - v) >= sizeof(c->cargs[0].check))
			return xv_err(EINVAL, "%s:%d: check-args CHECK ARGS...", file, lineno);
		if (c->ncargs == sizeof(c->cargs) / sizeof(c->cargs[0]))
			return xv_err(E2BIG, "%s:%d: too many check-args lines", file, lineno);
		memcpy(c->cargs[c->ncargs].check, v, (size_t)(sp - v));
		c->cargs[c->ncargs].check[sp - v] = 0;
		while (isspace((unsigned char)*sp))
			sp++;
		size_t n = strlen(sp);
		while (n && isspace((unsigned char)sp[n - 1]))
			sp[--n] = 0;
		char tmp[512], *w[32];
		if (copy_arg(tmp, sizeof(tmp), sp, file, lineno) < 0)
			return -ENAMETOOLONG;
		if (xvd_split(tmp, w, 32) < 0)
			return xv_err(EINVAL, "%s:%d: unbalanced quotes", file, lineno);
		snprintf(c->cargs[c->ncargs].args, sizeof(c->cargs[0].args), "%s", sp);
		c->ncargs++;
		return 0;
	}
	/* The hook keeps its whole command line. */
	if (strncmp(rest, "hook", 4) == 0 && isspace((unsigned char)rest[4])) {
		char *v = rest + 5;
		while (isspace((unsigned char)*v))
			v++;
		size_t n = strlen(v);
		while (n && isspace((unsigned char)v[n - 1]))
			v[--n] = 0;
		if (!n)
			return xv_err(EINVAL, "%s:%d: hook wants a program", file, lineno);
		return copy_arg(c->hook, sizeof(c->hook), v, file, lineno);
	}
	int argc = xvd_split(rest, argv, 8);
	if (argc < 0)
		return xv_err(EINVAL, "%s:%d: unbalanced quotes", file, lineno);
	const char *d = argv[0];
#define NEED(n) do { if (argc != (n) + 1) \
	return xv_err(EINVAL, "%s:%d: %s takes %d argument%s", file, lineno, d, (n), (n) == 1 ? "" : "s"); \
	} while (0)
	if (strcmp(d, "listen") == 0) {
		NEED(1);
		struct sockaddr_storage ss;
		socklen_t len;
		if (xvd_parse_hostport(argv[1], &ss, &len) < 0)
			return xv_err_ctx(EINVAL, "%s:%d: ", file, lineno);
		return copy_arg(c->listen, sizeof(c->listen), argv[1], file, lineno);
	}
	if (strcmp(d, "password-file") == 0) {
		NEED(1);
		return copy_arg(c->password_file, sizeof(c->password_file), argv[1], file, lineno);
	}
	if (strcmp(d, "no-password") == 0) {
		/* Explicit, never a default: a telnet without a password must be a choice. */
		NEED(0);
		c->no_password = 1;
		return 0;
	}
	if (strcmp(d, "user") == 0) {
		NEED(1);
		return copy_arg(c->user, sizeof(c->user), argv[1], file, lineno);
	}
	if (strcmp(d, "state-dir") == 0) {
		NEED(1);
		return copy_arg(c->state_dir, sizeof(c->state_dir), argv[1], file, lineno);
	}
	if (strcmp(d, "eve") == 0) {
		NEED(1);
		return copy_arg(c->eve, sizeof(c->eve), argv[1], file, lineno);
	}
	if (strcmp(d, "syslog") == 0) {
		if (argc != 2 && argc != 3)
			return xv_err(EINVAL, "%s:%d: syslog takes unix:PATH or udp:HOST:PORT and "
					      "an optional facility", file, lineno);
		if (strncmp(argv[1], "unix:", 5) != 0 && strncmp(argv[1], "udp:", 4) != 0)
			return xv_err(EINVAL, "%s:%d: syslog wants unix:PATH or udp:HOST:PORT",
				      file, lineno);
		if (strncmp(argv[1], "udp:", 4) == 0) {
			struct sockaddr_storage ss;
			socklen_t len;
			if (xvd_parse_hostport(argv[1] + 4, &ss, &len) < 0)
				return xv_err_ctx(EINVAL, "%s:%d: ", file, lineno);
		}
		if (argc == 3) {
			if (xvd_syslog_facility(argv[2]) < 0)
				return xv_err(EINVAL, "%s:%d: unknown syslog facility '%s'", file,
					      lineno, argv[2]);
			copy_arg(c->syslog_facility, sizeof(c->syslog_facility), argv[2], file,
				 lineno);
		}
		return copy_arg(c->syslog, sizeof(c->syslog), argv[1], file, lineno);
	}
	if (strcmp(d, "vm") == 0) {
		NEED(2);
		return add_vm(c, argv[1], argv[2], file, lineno);
	}
	if (strcmp(d, "policy") == 0) {
		NEED(2);
		for (unsigned i = 0; i < c->nvm; i++)
			if (strcmp(c->vm[i].name, argv[1]) == 0)
				return copy_arg(c->vm[i].policy, sizeof(c->vm[i].policy), argv[2],
						file, lineno);
		return xv_err(ENOENT, "%s:%d: policy for unknown VM '%s' (declare it with vm "
				      "first)", file, lineno, argv[1]);
	}
	if (strcmp(d, "watch") == 0) {
		/* watch CHECK VM every DURATION */
		if (argc != 5 || strcmp(argv[3], "every") != 0)
			return xv_err(EINVAL, "%s:%d: watch CHECK VM every DURATION", file, lineno);
		long s = xvd_parse_duration(argv[4]);
		if (s < 1)
			return xv_err(EINVAL, "%s:%d: bad duration '%s' (e.g. 30s, 5m, 1h)", file,
				      lineno, argv[4]);
		if (c->nwatch == XVD_MAX_WATCHES)
			return xv_err(E2BIG, "%s:%d: too many watches", file, lineno);
		struct xvd_watch_cfg *w = &c->watch[c->nwatch];
		if (strlen(argv[1]) >= sizeof(w->check) || !valid_name(argv[2]))
			return xv_err(EINVAL, "%s:%d: bad check or VM name", file, lineno);
		snprintf(w->check, sizeof(w->check), "%s", argv[1]);
		snprintf(w->vm, sizeof(w->vm), "%s", argv[2]);
		w->every = (unsigned)s;
		c->nwatch++;
		return 0;
	}
	if (strcmp(d, "switch-port") == 0) {
		NEED(1);
		if (c->nport == XVD_MAX_PORTS)
			return xv_err(E2BIG, "%s:%d: too many switch ports", file, lineno);
		return copy_arg(c->port[c->nport++], sizeof(c->port[0]), argv[1], file, lineno);
	}
	if (strcmp(d, "rules") == 0) {
		NEED(1);
		if (c->nrules == 8)
			return xv_err(E2BIG, "%s:%d: too many rules files", file, lineno);
		return copy_arg(c->rules[c->nrules++], sizeof(c->rules[0]), argv[1], file, lineno);
	}
	if (strcmp(d, "home-net") == 0) {
		NEED(1);
		return copy_arg(c->home_net, sizeof(c->home_net), argv[1], file, lineno);
	}
	if (strcmp(d, "switch-mirror") == 0) {
		NEED(1);
		return copy_arg(c->mirror, sizeof(c->mirror), argv[1], file, lineno);
	}
	if (strcmp(d, "inline-drop") == 0) {
		NEED(1);
		return onoff(&c->inline_drop, argv[1], 1, 0, file, lineno, d);
	}
	if (strcmp(d, "detector") == 0) {
		/* detector arp-spoof|syn-flood|port-scan|all on|off (the engine: -1 is off) */
		NEED(2);
		int v = 0, all = strcmp(argv[1], "all") == 0;
		int arp = all || strcmp(argv[1], "arp-spoof") == 0;
		int syn = all || strcmp(argv[1], "syn-flood") == 0;
		int scan = all || strcmp(argv[1], "port-scan") == 0;
		if (!arp && !syn && !scan)
			return xv_err(EINVAL, "%s:%d: no detector '%s' (arp-spoof, syn-flood, "
					      "port-scan or all)", file, lineno, argv[1]);
		if (onoff(&v, argv[2], 1, -1, file, lineno, "detector NAME") < 0)
			return -EINVAL;
		if (arp)
			c->net.arp_spoof = v;
		if (syn)
			c->net.syn_flood = v;
		if (scan)
			c->net.port_scan = v;
		return 0;
	}
	/* The detectors' parameters, named as the CLI's net/switch options; windows and the ARP
	 * binding time are durations (10s, 5m, 1h). */
	static const struct {
		const char *name;
		size_t off;
		unsigned lo, hi;
		int duration;
	} netnums[] = {
		{ "scan-ports", offsetof(struct xv_net_config, scan_ports), 1, 1000000, 0 },
		{ "scan-window", offsetof(struct xv_net_config, scan_window), 1, 86400, 1 },
		{ "syn-flood", offsetof(struct xv_net_config, syn_flood_count), 1, 100000000, 0 },
		{ "syn-window", offsetof(struct xv_net_config, syn_flood_window), 1, 86400, 1 },
		{ "arp-ttl", offsetof(struct xv_net_config, arp_ttl), 1, 86400 * 7, 1 },
		{ "arp-realert", offsetof(struct xv_net_config, arp_realert), 1, 86400, 1 },
		{ "net-alerts-kept", offsetof(struct xv_net_config, alert_ring), 1, 1 << 20, 0 },
	};
	for (size_t i = 0; i < sizeof(netnums) / sizeof(netnums[0]); i++) {
		if (strcmp(d, netnums[i].name) != 0)
			continue;
		NEED(1);
		unsigned *dst = (unsigned *)((char *)&c->net + netnums[i].off);
		if (!netnums[i].duration)
			return uint_arg(dst, argv[1], netnums[i].lo, netnums[i].hi, file, lineno, d);
		long v = xvd_parse_duration(argv[1]);
		if (v < (long)netnums[i].lo || v > (long)netnums[i].hi)
			return xv_err(EINVAL, "%s:%d: %s wants a duration from %us to %us", file,
				      lineno, d, netnums[i].lo, netnums[i].hi);
		*dst = (unsigned)v;
		return 0;
	}
	if (strcmp(d, "sandbox") == 0) {
		NEED(1);
		if (strcmp(argv[1], "on") == 0)
			c->sandbox = 1;
		else if (strcmp(argv[1], "off") == 0)
			c->sandbox = 0;
		else if (strcmp(argv[1], "debug") == 0)
			c->sandbox = c->sandbox_debug = 1;
		else
			return xv_err(EINVAL, "%s:%d: sandbox on|off|debug", file, lineno);
		return 0;
	}
	static const struct {
		const char *name;
		size_t off;
		unsigned lo, hi;
	} nums[] = {
		{ "max-clients", offsetof(struct xvd_config, max_clients), 1, 1024 },
		{ "max-line", offsetof(struct xvd_config, max_line), 64, 1 << 20 },
		{ "idle-timeout", offsetof(struct xvd_config, idle_timeout), 1, 86400 },
		{ "login-timeout", offsetof(struct xvd_config, login_timeout), 1, 3600 },
		{ "login-delay-ms", offsetof(struct xvd_config, login_delay_ms), 0, 60000 },
		{ "login-attempts", offsetof(struct xvd_config, login_attempts), 1, 100 },
		{ "addr-failures", offsetof(struct xvd_config, addr_failures), 1, 1000000 },
		{ "addr-window", offsetof(struct xvd_config, addr_window), 1, 86400 },
		{ "addr-prelogin", offsetof(struct xvd_config, addr_prelogin), 1, 1024 },
		{ "vm-check", offsetof(struct xvd_config, vm_check), 1, 3600 },
	};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (strcmp(d, nums[i].name) == 0) {
			NEED(1);
			return uint_arg((unsigned *)((char *)c + nums[i].off), argv[1], nums[i].lo,
					nums[i].hi, file, lineno, d);
		}
#undef NEED
	return xv_err(EINVAL, "%s:%d: unknown directive '%s' (see docs/daemon.md)", file, lineno, d);
}

int xvd_config_load(struct xvd_config *c, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[2048];
	int lineno = 0, rc = 0;

	if (!f)
		return xv_err(errno, "cannot open config %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		size_t n = strlen(line);
		if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
			rc = xv_err(E2BIG, "%s:%d: line too long", path, lineno);
			break;
		}
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		rc = xvd_config_line(c, line, path, lineno);
		if (rc < 0)
			break;
	}
	fclose(f);
	return rc;
}
