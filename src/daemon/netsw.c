/* netsw.c — the daemon's virtual switch: ports for its VMs, inline inspection, alerts from the
 * network IDS engine into the daemon's alert outputs; the shared `net` command reads its alert
 * ring through xvd_net_switch. */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/xvidsd.h"
#include "xvids/err.h"
#include "xvids/net.h"
#include "xvids/switch.h"

static void on_net_alert(const struct xv_net_alert *a, void *arg)
{
	struct xvd *d = arg;
	char line[512];
	char *eve = xv_net_alert_eve(a);

	xv_net_alert_format(a, line, sizeof(line));
	/* Engine severity is 1 (high) .. 4; ours is info(0) .. critical(4). */
	int sev = a->severity == 1 ? 3 : a->severity == 2 ? 2 : 1;
	xvd_alert_raise_eve(d->alerts, a->port_name, "net", a->category, sev, line, eve);
	free(eve);
}

int xvd_net_start(struct xvd *d)
{
	const struct xvd_config *c = &d->cfg;

	if (!c->nport)
		return 0;
	struct xv_net_config nc = c->net;
	nc.on_alert = on_net_alert;
	nc.on_alert_arg = d;
	d->net = xv_net_new(&nc);
	if (!d->net)
		return xv_err(ENOMEM, "cannot create the network engine");
	if (c->home_net[0] && xv_net_set_var(d->net, "HOME_NET", c->home_net) < 0)
		return xv_err_ctx(EINVAL, "home-net %s: ", c->home_net);
	for (unsigned i = 0; i < c->nrules; i++)
		if (xv_net_load_rules(d->net, c->rules[i]) < 0)
			return -EINVAL;
	struct xv_switch_config sc = { .engine = d->net, .inline_drop = c->inline_drop,
				       .mirror = c->mirror[0] ? c->mirror : NULL };
	d->sw = xv_switch_new(&sc);
	if (!d->sw)
		return xv_err(ENOMEM, "cannot create the switch");
	for (unsigned i = 0; i < c->nport; i++)
		if (xv_switch_add_port(d->sw, c->port[i]) < 0)
			return xv_err_ctx(EINVAL, "switch-port %s: ", c->port[i]);
	xvd_log("switch: %u ports, %u rules, inline drop %s%s%s; detectors: arp-spoof %s, "
		"syn-flood %s, port-scan %s", c->nport, xv_net_rule_count(d->net),
		c->inline_drop ? "on" : "off", c->mirror[0] ? ", mirror " : "", c->mirror,
		c->net.arp_spoof < 0 ? "off" : "on", c->net.syn_flood < 0 ? "off" : "on",
		c->net.port_scan < 0 ? "off" : "on");
	return 0;
}

void xvd_net_stop(struct xvd *d)
{
	if (d->sw)
		xv_switch_free(d->sw);
	if (d->net)
		xv_net_free(d->net);
	d->sw = NULL;
	d->net = NULL;
}

int xvd_net_fd(struct xvd *d)
{
	return d->sw ? xv_switch_fd(d->sw) : -1;
}

void xvd_net_step(struct xvd *d)
{
	/* Bounded: forward what is there now, then come back to the clients. */
	for (int i = 0; i < 64; i++)
		if (xv_switch_step(d->sw, 0) <= 0)
			break;
}

static int has_port(struct xvd *d, const char *name)
{
	for (unsigned p = 0; d->sw && p < xv_switch_port_count(d->sw); p++) {
		struct xv_switch_port_stats st;
		if (xv_switch_port_stats(d->sw, p, &st) == 0 && strcmp(st.name, name) == 0)
			return 1;
	}
	return 0;
}

/* The shared `net` command asks for the switch (struct xv_daemon_ops.net_switch). */
struct xv_switch *xvd_net_switch(void *daemon, const char *name)
{
	struct xvd *d = daemon;

	if (!d->sw) {
		xv_err(ENOENT, "no switch configured (switch-port NAME=SPEC in the config file)");
		return NULL;
	}
	if (name && !xvd_vm_find(d, name) && !has_port(d, name)) {
		xv_err(ENOENT, "no VM or switch port named '%s'", name);
		return NULL;
	}
	return d->sw;
}
