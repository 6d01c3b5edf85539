/* engine.c — the net engine: configuration, variables, rule loading and the per-frame pipeline. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/netpriv.h"
#include "xvids/err.h"

#define MAX_RULES_FILE (256u << 20)

static const char *const bad_names[XV_BAD__COUNT] = {
	"ok", "eth-short", "vlan-short", "arp", "ip4-short", "ip4-header", "ip4-length",
	"ip4-option", "ip6-short", "ip6-length", "ip6-ext", "tcp", "udp", "icmp",
};

const char *xv_net_malformed_name(unsigned reason)
{
	return reason < XV_BAD__COUNT ? bad_names[reason] : "?";
}

struct xv_net *xv_net_new(const struct xv_net_config *cfg)
{
	struct xv_net *n = calloc(1, sizeof(*n));
	if (!n) {
		errno = ENOMEM;
		return NULL;
	}
	if (cfg)
		n->cfg = *cfg;
	struct xv_net_config *c = &n->cfg;
	if (!c->flow_capacity)
		c->flow_capacity = 65536;
	if (!c->flow_timeout)
		c->flow_timeout = 120;
	if (!c->alert_ring)
		c->alert_ring = 1024;
	if (!c->arp_ttl)
		c->arp_ttl = 3600;
	if (!c->arp_realert)
		c->arp_realert = 60;
	if (!c->syn_flood_count)
		c->syn_flood_count = 500;
	if (!c->syn_flood_window)
		c->syn_flood_window = 1;
	if (!c->scan_ports)
		c->scan_ports = 20;
	if (!c->scan_window)
		c->scan_window = 10;
	n->detectors = c->arp_spoof >= 0 || c->syn_flood >= 0 || c->port_scan >= 0;
	n->ring_cap = c->alert_ring;
	n->ring = calloc(n->ring_cap, sizeof(*n->ring));
	if (!n->ring ||
	    xv_ktab_init(&n->flows, c->flow_capacity, XV_FLOW_KWORDS, sizeof(struct xv_flow),
			 (uint64_t)c->flow_timeout * 1000000) ||
	    xv_ktab_init(&n->rates, 16384, 3, 16, 0) || xv_detect_init(n)) {
		xv_net_free(n);
		xv_err(ENOMEM, "out of memory creating the net engine");
		return NULL;
	}
	return n;
}

void xv_net_free(struct xv_net *n)
{
	if (!n)
		return;
	for (uint32_t i = 0; i < n->nrules; i++)
		xv_rule_free(&n->rules[i]);
	free(n->rules);
	for (uint32_t i = 0; i < n->nvars; i++) {
		free(n->vars[i].name);
		free(n->vars[i].value);
	}
	free(n->vars);
	xv_groups_free(n);
	xv_ktab_fini(&n->flows);
	xv_ktab_fini(&n->rates);
	xv_detect_fini(n);
	free(n->ring);
	free(n);
}

static int put_var(struct xv_net *n, const char *name, const char *value)
{
	for (uint32_t i = 0; i < n->nvars; i++)
		if (!strcmp(n->vars[i].name, name)) {
			char *v = strdup(value);
			if (!v)
				return -ENOMEM;
			free(n->vars[i].value);
			n->vars[i].value = v;
			return 0;
		}
	struct xv_var *nv = realloc(n->vars, (n->nvars + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	n->vars = nv;
	nv[n->nvars].name = strdup(name);
	nv[n->nvars].value = strdup(value);
	if (!nv[n->nvars].name || !nv[n->nvars].value) {
		free(nv[n->nvars].name);
		free(nv[n->nvars].value);
		return -ENOMEM;
	}
	n->nvars++;
	return 0;
}

int xv_net_set_var(struct xv_net *n, const char *name, const char *value)
{
	if (!*name || strchr(name, '$') || strchr(name, ' '))
		return xv_err(EINVAL, "bad variable name '%s'", name);
	/* validate now so a typo is reported where it is made; a bad value leaves the old one */
	const char *cur = xv_var_get(n, name);
	char *old = cur ? strdup(cur) : NULL;
	struct xv_addrset as;
	struct xv_portset ps;
	int r = put_var(n, name, value);
	if (r < 0 || (cur && !old)) {
		free(old);
		return xv_err(ENOMEM, "out of memory setting %s", name);
	}
	if (xv_addrset_parse(n, value, &as, 0) == 0) {
		xv_addrset_free(&as);
	} else if (xv_portset_parse(n, value, &ps, 0) == 0) {
		free(ps.v);
	} else {
		r = xv_err(EINVAL, "variable %s: '%s' is neither an address nor a port list", name,
			   value);
		put_var(n, name, old ? old : "any");
		free(old);
		return r;
	}
	free(old);
	if (!strcmp(name, "HOME_NET") && !xv_var_get(n, "EXTERNAL_NET"))
		return put_var(n, "EXTERNAL_NET", "!$HOME_NET");
	return 0;
}

static void default_vars(struct xv_net *n)
{
	/* a rules file may use the usual names without the caller setting them */
	if (!xv_var_get(n, "HOME_NET"))
		xv_net_set_var(n, "HOME_NET", "any");
	if (!xv_var_get(n, "EXTERNAL_NET"))
		put_var(n, "EXTERNAL_NET", "any");
}

int xv_net_load_rules_str(struct xv_net *n, const char *text, const char *name)
{
	default_vars(n);
	int r = xv_rules_parse(n, text, name);
	if (n->groups_dirty) {
		int e = xv_groups_build(n);
		if (e < 0)
			return xv_err(ENOMEM, "out of memory grouping rules");
	}
	return r;
}

int xv_net_load_rules(struct xv_net *n, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return xv_err(errno, "cannot open rules file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_RULES_FILE) {
		close(fd);
		return xv_err(EINVAL, "%s: not a regular file of at most 256 MiB", path);
	}
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return xv_err(ENOMEM, "out of memory reading %s", path);
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);
		if (k <= 0) {
			int e = k < 0 ? errno : EIO;
			free(buf);
			close(fd);
			return xv_err(e, "reading %s: %s", path, strerror(e));
		}
		got += (size_t)k;
	}
	close(fd);
	buf[got] = 0;
	if (memchr(buf, 0, got)) {
		free(buf);
		return xv_err(EINVAL, "%s: binary file, not rules", path);
	}
	int r = xv_net_load_rules_str(n, buf, path);
	free(buf);
	return r;
}

unsigned xv_net_rule_count(const struct xv_net *n)
{
	return n->nrules;
}

enum xv_net_verdict xv_net_inspect(struct xv_net *n, const uint8_t *frame, uint32_t len,
				   uint64_t ts_usec, int port, const char *port_name)
{
	struct xv_pkt pkt, *p = &pkt;
	/* time never runs backwards for the tables, even if a capture does */
	if (ts_usec > n->now)
		n->now = ts_usec;
	n->st.packets++;
	n->st.bytes += len;
	enum xv_malformed bad = xv_decode(p, frame, len);
	if (bad) {
		n->st.malformed++;
		n->st.malformed_by[bad]++;
		/* a broken frame with a good L2 header can still be an ARP/IP we will not trust */
		return XV_VERDICT_FORWARD;
	}
	if (p->vlan_depth)
		n->st.vlan++;
	switch (p->l3) {
	case XV_L3_ARP:
		n->st.arp++;
		if (n->detectors)
			xv_detect_run(n, p, false, port, port_name);
		return XV_VERDICT_FORWARD;
	case XV_L3_IP4:
		n->st.ipv4++;
		break;
	case XV_L3_IP6:
		n->st.ipv6++;
		break;
	default:
		n->st.other++;
		return XV_VERDICT_FORWARD;
	}
	if (p->frag)
		n->st.fragments++;
	if (p->has_l4) {
		if (p->proto == IPPROTO_TCP)
			n->st.tcp++;
		else if (p->proto == IPPROTO_UDP)
			n->st.udp++;
		else if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6)
			n->st.icmp++;
	}
	bool to_server, fresh;
	struct xv_flow *f = xv_flow_track(n, p, &to_server, &fresh);
	if (n->detectors)
		xv_detect_run(n, p, fresh, port, port_name);
	if (!n->nrules)
		return XV_VERDICT_FORWARD;
	return xv_rules_run(n, p, f, to_server, port, port_name);
}

void xv_net_get_stats(const struct xv_net *n, struct xv_net_stats *st)
{
	*st = n->st;
	st->flows_created = n->flows.inserts;
	st->flows_evicted = n->flows.evictions;
	st->flows_active = xv_ktab_live(&n->flows, n->now);
}
