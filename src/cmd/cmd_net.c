/* cmd_net.c — `net`: run the IDS engine over a capture (offline) or show a running switch's alerts. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "xvids/err.h"
#include "xvids/net.h"
#include "xvids/switch.h"

/* Inside xvidsd (ctx->dops): the attacks the daemon's switch recorded, every port's or those of
 * one port/VM, then the port counters. Exit 1 when there are any. */
static int daemon_net(struct xv_ctx *ctx, const char *name)
{
	struct xv_switch *s = ctx->dops->net_switch ? ctx->dops->net_switch(ctx->daemon, name) : NULL;
	struct xv_net *en = s ? xv_switch_engine(s) : NULL;

	if (!s)
		return xv_cmd_fail(ctx, "net");
	unsigned n = en ? xv_net_alert_count(en) : 0, shown = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct xv_net_alert *a = xv_net_alert_get(en, i);
		if (!a || (name && strcmp(a->port_name, name) != 0))
			continue;
		if (ctx->json) {
			char *e = xv_net_alert_eve(a);
			if (e)
				fprintf(ctx->out, "%s\n", e);
			free(e);
		} else {
			char line[512];
			xv_net_alert_format(a, line, sizeof(line));
			fprintf(ctx->out, "%s\n", line);
		}
		shown++;
	}
	if (ctx->json)
		return shown ? XV_EXIT_FINDINGS : XV_EXIT_OK;
	fprintf(ctx->out, "(%u attack%s%s%s; %llu raised since start)\n", shown, shown == 1 ? "" : "s",
		name ? " on port " : "", name ? name : "",
		(unsigned long long)(en ? xv_net_alert_total(en) : 0));
	for (unsigned p = 0; p < xv_switch_port_count(s); p++) {
		struct xv_switch_port_stats st;
		if (xv_switch_port_stats(s, p, &st) < 0 || (name && strcmp(st.name, name) != 0))
			continue;
		fprintf(ctx->out, "port %-12s %-4s rx %llu tx %llu ids-dropped %llu\n", st.name,
			st.up ? "up" : "down", (unsigned long long)st.rx_frames,
			(unsigned long long)st.tx_frames, (unsigned long long)st.ids_dropped);
	}
	return shown ? XV_EXIT_FINDINGS : XV_EXIT_OK;
}

struct net_out {
	struct xv_ctx *ctx;
	FILE *eve;
};

static void on_alert(const struct xv_net_alert *a, void *arg)
{
	struct net_out *o = arg;
	char *j = (o->ctx->json || o->eve) ? xv_net_alert_eve(a) : NULL;
	if (o->ctx->json) {
		if (j)
			fprintf(o->ctx->out, "%s\n", j);
	} else {
		char line[512];
		xv_net_alert_format(a, line, sizeof(line));
		fprintf(o->ctx->out, "%s\n", line);
	}
	if (o->eve && j) {
		fprintf(o->eve, "%s\n", j);
		fflush(o->eve);
	}
	free(j);
}

/* Ask a running `xvids switch --control SOCK` for its alert ring. */
static int query_switch(struct xv_ctx *ctx, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		xv_err(ENAMETOOLONG, "control socket path too long: %s", path);
		return xv_cmd_fail(ctx, "net");
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		xv_err(errno, "cannot reach the switch at %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return xv_cmd_fail(ctx, "net");
	}
	const char *req = ctx->json ? "alerts json\n" : "alerts\n";
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		xv_err(EIO, "cannot talk to the switch at %s", path);
		return xv_cmd_fail(ctx, "net");
	}
	char buf[4096];
	ssize_t k;
	unsigned long alerts = 0;
	int at_line_start = 1;
	while ((k = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < k; i++) {
			if (at_line_start && buf[i] != '#')
				alerts++;
			at_line_start = buf[i] == '\n';
		}
		fwrite(buf, 1, (size_t)k, ctx->out);
	}
	close(fd);
	return alerts ? XV_EXIT_FINDINGS : XV_EXIT_OK;
}

static int parse_uint_opt(const char *s, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v == 0 || v > 100000000)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int net_run(struct xv_ctx *ctx, int argc, char **argv)
{
	enum { O_SCAN_PORTS = 256, O_SCAN_WIN, O_SYN_COUNT, O_SYN_WIN, O_NO_DET, O_STATS, O_VAR,
	       O_NO_ARP, O_NO_SYN, O_NO_SCAN, O_ARP_TTL, O_ARP_REALERT };
	static const struct option opts[] = {
		{ "pcap", required_argument, NULL, 'r' },
		{ "rules", required_argument, NULL, 'R' },
		{ "home-net", required_argument, NULL, 'H' },
		{ "eve", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "switch", required_argument, NULL, 's' },
		{ "var", required_argument, NULL, O_VAR },
		{ "scan-ports", required_argument, NULL, O_SCAN_PORTS },
		{ "scan-window", required_argument, NULL, O_SCAN_WIN },
		{ "syn-flood", required_argument, NULL, O_SYN_COUNT },
		{ "syn-window", required_argument, NULL, O_SYN_WIN },
		{ "no-detectors", no_argument, NULL, O_NO_DET },
		{ "no-arp-spoof", no_argument, NULL, O_NO_ARP },
		{ "no-syn-flood", no_argument, NULL, O_NO_SYN },
		{ "no-port-scan", no_argument, NULL, O_NO_SCAN },
		{ "arp-ttl", required_argument, NULL, O_ARP_TTL },
		{ "arp-realert", required_argument, NULL, O_ARP_REALERT },
		{ "stats", no_argument, NULL, O_STATS },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *pcap = NULL, *home = NULL, *eve_path = ctx->eve_path, *sw = NULL;
	const char *rules[64], *vars[64];
	unsigned nrules = 0, nvars = 0;
	int stats = 0, c;
	struct xv_net_config cfg = { 0 };

	optind = 0;
	while ((c = getopt_long(argc, argv, "+r:R:H:e:js:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': pcap = optarg; break;
		case 'R':
			if (nrules == 64)
				goto usage;
			rules[nrules++] = optarg;
			break;
		case 'H': home = optarg; break;
		case 'e': eve_path = optarg; break;
		case 'j': ctx->json = 1; break;
		case 's': sw = optarg; break;
		case O_VAR:
			if (nvars == 64 || !strchr(optarg, '='))
				goto usage;
			vars[nvars++] = optarg;
			break;
		case O_SCAN_PORTS: if (parse_uint_opt(optarg, &cfg.scan_ports)) goto usage; break;
		case O_SCAN_WIN: if (parse_uint_opt(optarg, &cfg.scan_window)) goto usage; break;
		case O_SYN_COUNT: if (parse_uint_opt(optarg, &cfg.syn_flood_count)) goto usage; break;
		case O_SYN_WIN: if (parse_uint_opt(optarg, &cfg.syn_flood_window)) goto usage; break;
		case O_NO_DET: cfg.arp_spoof = cfg.syn_flood = cfg.port_scan = -1; break;
		case O_NO_ARP: cfg.arp_spoof = -1; break;
		case O_NO_SYN: cfg.syn_flood = -1; break;
		case O_NO_SCAN: cfg.port_scan = -1; break;
		case O_ARP_TTL: if (parse_uint_opt(optarg, &cfg.arp_ttl)) goto usage; break;
		case O_ARP_REALERT: if (parse_uint_opt(optarg, &cfg.arp_realert)) goto usage; break;
		case O_STATS: stats = 1; break;
		case 'h':
			xv_cmd_usage(&xv_cmd_net, ctx->out);
			return XV_EXIT_OK;
		default:
			goto usage;
		}
	}
	const char *vm = optind < argc ? argv[optind++] : ctx->vm_name;
	if (optind < argc)
		goto usage;
	if (!pcap) {
		if (sw)
			return query_switch(ctx, sw);
		if (ctx->daemon && ctx->dops)
			return daemon_net(ctx, vm);
		xv_err(EINVAL, "nothing to inspect: give --pcap FILE, or --switch SOCK for a running "
			       "`xvids switch --control SOCK`");
		return xv_cmd_fail(ctx, "net");
	}

	struct net_out out = { ctx, NULL };
	cfg.on_alert = on_alert;
	cfg.on_alert_arg = &out;
	struct xv_net *n = xv_net_new(&cfg);
	if (!n)
		return xv_cmd_fail(ctx, "net");
	int rc = XV_EXIT_ERROR;
	if (home && xv_net_set_var(n, "HOME_NET", home) < 0)
		goto fail;
	for (unsigned i = 0; i < nvars; i++) {
		char name[128];
		const char *eq = strchr(vars[i], '=');
		snprintf(name, sizeof(name), "%.*s", (int)(eq - vars[i]), vars[i]);
		if (xv_net_set_var(n, name, eq + 1) < 0)
			goto fail;
	}
	for (unsigned i = 0; i < nrules; i++)
		if (xv_net_load_rules(n, rules[i]) < 0)
			goto fail;
	if (eve_path && !(out.eve = fopen(eve_path, "a"))) {
		xv_err(errno, "cannot open EVE file %s: %s", eve_path, strerror(errno));
		goto fail;
	}
	long frames = xv_net_run_pcap(n, pcap);
	if (frames < 0)
		goto fail;
	struct xv_net_stats st;
	xv_net_get_stats(n, &st);
	if (stats || !ctx->json) {
		FILE *f = ctx->json ? ctx->err : ctx->out;
		fprintf(f, "# %ld frames, %u rules, %llu alerts, %llu malformed, %llu flows\n", frames,
			xv_net_rule_count(n), (unsigned long long)st.alerts,
			(unsigned long long)st.malformed, (unsigned long long)st.flows_created);
		if (stats)
			for (unsigned i = 1; i < 16; i++)
				if (st.malformed_by[i])
					fprintf(f, "#   malformed %s: %llu\n", xv_net_malformed_name(i),
						(unsigned long long)st.malformed_by[i]);
	}
	rc = st.alerts ? XV_EXIT_FINDINGS : XV_EXIT_OK;
	if (out.eve)
		fclose(out.eve);
	xv_net_free(n);
	return rc;
fail:
	if (out.eve)
		fclose(out.eve);
	xv_net_free(n);
	return xv_cmd_fail(ctx, "net");
usage:
	xv_cmd_usage(&xv_cmd_net, ctx->err);
	return XV_EXIT_ERROR;
}

const struct xv_cmd xv_cmd_net = {
	.name = "net",
	.synopsis = "net --pcap FILE [--rules FILE]... [--home-net CIDR] [--json] [--eve FILE] | "
		    "net --switch SOCK | net [NAME] (daemon)",
	.summary = "network IDS: alerts from a capture, or the recent alerts of a running switch",
	.help = "Offline: runs every frame of a pcap through the IDS engine (rules and the built-in\n"
		"ARP-spoofing, SYN-flood and port-scan detectors) and prints the alerts, one line each\n"
		"or, with --json, one Suricata EVE JSON record per line.\n"
		"Live: --switch SOCK prints the recent alerts of `xvids switch --control SOCK`;\n"
		"inside xvidsd, `net [NAME]` prints those of the switch that carries VM NAME.\n"
		"  --pcap FILE        capture to read (Ethernet link type)\n"
		"  --rules FILE       rules (Snort/Suricata subset, see docs/net.md); repeatable\n"
		"  --home-net CIDR    $HOME_NET (e.g. 10.0.0.0/8 or [10.0.0.0/8,fd00::/8])\n"
		"  --var NAME=VALUE   define another rule variable\n"
		"  --eve FILE         append EVE JSON alert records to FILE\n"
		"  --stats            also print decoder counters\n"
		"Built-in detectors (all on by default):\n"
		"  --arp-ttl S --arp-realert S      ARP spoofing: a MAC claims an IP whose owner spoke\n"
		"                     within S seconds (3600); again per claimant every S seconds (60)\n"
		"  --scan-ports N --scan-window S   port scan: > N distinct ports in S seconds (20, 10)\n"
		"  --syn-flood N --syn-window S     SYN flood: > N SYNs to one host in S seconds (500, 1)\n"
		"  --no-arp-spoof, --no-syn-flood, --no-port-scan   turn one detector off\n"
		"  --no-detectors     all three off: rules only\n"
		"Exit status: 0 no alerts, 1 alerts, 2 error.\n",
	.daemon_synopsis = "net [NAME]",
	.flags = 0,
	.run = net_run,
};
