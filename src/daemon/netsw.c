/* netsw.c — the daemon's virtual switch: ports for its VMs, inline inspection, alerts from the
 * network IDS engine into the daemon's alert outputs, and the `net` view. */
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
	struct xv_net_config nc = { .on_alert = on_net_alert, .on_alert_arg = d };
	d->net = xv_net_new(&nc);
	if (!d->net)
		return xv_err(ENOMEM, "cannot create the network engine");
	if (c->home_net[0] && xv_net_set_var(d->net, "HOME_NET", c->home_net) < 0)
		return xv_err_ctx(EINVAL, "home-net %s: ", c->home_net);
	for (unsigned i = 0; i < c->nrules; i++)
		if (xv_net_load_rules(d->net, c->rules[i]) < 0)
			return -EINVAL;
	struct xv_switch_config sc = { .engine = d->net, .inline_drop = 1 };
	d->sw = xv_switch_new(&sc);
	if (!d->sw)
		return xv_err(ENOMEM, "cannot create the switch");
	for (unsigned i = 0; i < c->nport; i++)
		if (xv_switch_add_port(d->sw, c->port[i]) < 0)
			return xv_err_ctx(EINVAL, "switch-port %s: ", c->port[i]);
	xvd_log("switch: %u ports, %u rules", c->nport, xv_net_rule_count(d->net));
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

int xvd_net_has_port(struct xvd *d, const char *name)
{
	for (unsigned p = 0; d->sw && p < xv_switch_port_count(d->sw); p++) {
		struct xv_switch_port_stats st;
		if (xv_switch_port_stats(d->sw, p, &st) == 0 && strcmp(st.name, name) == 0)
			return 1;
	}
	return 0;
}

int xvd_net_show(struct xvd *d, const char *vm, int json, FILE *out)
{
	if (!d->net) {
		fprintf(out, "no switch configured (switch-port NAME=SPEC in the config file)\n");
		return 0;
	}
	unsigned n = xv_net_alert_count(d->net), shown = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct xv_net_alert *a = xv_net_alert_get(d->net, i);
		if (!a || (vm && strcmp(a->port_name, vm) != 0))
			continue;
		if (json) {
			char *e = xv_net_alert_eve(a);
			if (e)
				fprintf(out, "%s\n", e);
			free(e);
		} else {
			char line[512];
			xv_net_alert_format(a, line, sizeof(line));
			fprintf(out, "%s\n", line);
		}
		shown++;
	}
	if (!json) {
		fprintf(out, "(%u attack%s%s%s; %llu raised since start)\n", shown,
			shown == 1 ? "" : "s", vm ? " on port " : "", vm ? vm : "",
			(unsigned long long)xv_net_alert_total(d->net));
		for (unsigned p = 0; p < xv_switch_port_count(d->sw); p++) {
			struct xv_switch_port_stats st;
			if (xv_switch_port_stats(d->sw, p, &st) < 0)
				continue;
			if (vm && strcmp(st.name, vm) != 0)
				continue;
			fprintf(out, "port %-12s %-4s rx %llu tx %llu ids-dropped %llu\n", st.name,
				st.up ? "up" : "down", (unsigned long long)st.rx_frames,
				(unsigned long long)st.tx_frames, (unsigned long long)st.ids_dropped);
		}
	}
	return 0;
}
