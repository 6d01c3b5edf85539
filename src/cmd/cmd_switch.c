/* cmd_switch.c — `switch`: run the virtual switch with inline inspection until SIGINT/SIGTERM. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "xvids/err.h"
#include "xvids/net.h"
#include "xvids/switch.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct sw_out {
	struct xv_ctx *ctx;
	FILE *eve;
	int quiet;
};

static void on_alert(const struct xv_net_alert *a, void *arg)
{
	struct sw_out *o = arg;
	char *j = (o->ctx->json || o->eve) ? xv_net_alert_eve(a) : NULL;
	if (!o->quiet) {
		if (o->ctx->json) {
			if (j)
				fprintf(o->ctx->out, "%s\n", j);
		} else {
			char line[512];
			xv_net_alert_format(a, line, sizeof(line));
			fprintf(o->ctx->out, "%s\n", line);
		}
		fflush(o->ctx->out);
	}
	if (o->eve && j) {
		fprintf(o->eve, "%s\n", j);
		fflush(o->eve);
	}
	free(j);
}

static int uint_opt(const char *s, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v == 0 || v > 100000000)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int switch_run(struct xv_ctx *ctx, int argc, char **argv)
{
	enum { O_AGEING = 256, O_SCAN_PORTS, O_SCAN_WIN, O_SYN_COUNT, O_SYN_WIN, O_NO_DET, O_FOR,
	       O_RING, O_NO_ARP, O_NO_SYN, O_NO_SCAN, O_ARP_TTL, O_ARP_REALERT };
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "rules", required_argument, NULL, 'R' },
		{ "home-net", required_argument, NULL, 'H' },
		{ "mirror", required_argument, NULL, 'm' },
		{ "drop", no_argument, NULL, 'd' },
		{ "eve", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "control", required_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "ageing", required_argument, NULL, O_AGEING },
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
		{ "alerts-kept", required_argument, NULL, O_RING },
		{ "for", required_argument, NULL, O_FOR },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *ports[64], *rules[64], *home = NULL, *control = NULL;
	const char *eve_path = ctx->eve_path;
	unsigned nports = 0, nrules = 0, seconds = 0;
	struct xv_net_config ncfg = { 0 };
	struct xv_switch_config scfg = { 0 };
	struct sw_out out = { ctx, NULL, 0 };
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+p:R:H:m:de:jc:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (nports == 64)
				goto usage;
			ports[nports++] = optarg;
			break;
		case 'R':
			if (nrules == 64)
				goto usage;
			rules[nrules++] = optarg;
			break;
		case 'H': home = optarg; break;
		case 'm': scfg.mirror = optarg; break;
		case 'd': scfg.inline_drop = 1; break;
		case 'e': eve_path = optarg; break;
		case 'j': ctx->json = 1; break;
		case 'c': control = optarg; break;
		case 'q': out.quiet = 1; break;
		case O_AGEING: if (uint_opt(optarg, &scfg.mac_ageing)) goto usage; break;
		case O_SCAN_PORTS: if (uint_opt(optarg, &ncfg.scan_ports)) goto usage; break;
		case O_SCAN_WIN: if (uint_opt(optarg, &ncfg.scan_window)) goto usage; break;
		case O_SYN_COUNT: if (uint_opt(optarg, &ncfg.syn_flood_count)) goto usage; break;
		case O_SYN_WIN: if (uint_opt(optarg, &ncfg.syn_flood_window)) goto usage; break;
		case O_NO_DET: ncfg.arp_spoof = ncfg.syn_flood = ncfg.port_scan = -1; break;
		case O_NO_ARP: ncfg.arp_spoof = -1; break;
		case O_NO_SYN: ncfg.syn_flood = -1; break;
		case O_NO_SCAN: ncfg.port_scan = -1; break;
		case O_ARP_TTL: if (uint_opt(optarg, &ncfg.arp_ttl)) goto usage; break;
		case O_ARP_REALERT: if (uint_opt(optarg, &ncfg.arp_realert)) goto usage; break;
		case O_RING: if (uint_opt(optarg, &ncfg.alert_ring)) goto usage; break;
		case O_FOR: if (uint_opt(optarg, &seconds)) goto usage; break;
		case 'h':
			xv_cmd_usage(&xv_cmd_switch, ctx->out);
			return XV_EXIT_OK;
		default:
			goto usage;
		}
	}
	if (optind < argc || nports < 1)
		goto usage;

	ncfg.on_alert = on_alert;
	ncfg.on_alert_arg = &out;
	struct xv_net *n = xv_net_new(&ncfg);
	struct xv_switch *sw = NULL;
	if (!n)
		return xv_cmd_fail(ctx, "switch");
	if (home && xv_net_set_var(n, "HOME_NET", home) < 0)
		goto fail;
	for (unsigned i = 0; i < nrules; i++)
		if (xv_net_load_rules(n, rules[i]) < 0)
			goto fail;
	if (eve_path && !(out.eve = fopen(eve_path, "a"))) {
		xv_err(errno, "cannot open EVE file %s: %s", eve_path, strerror(errno));
		goto fail;
	}
	scfg.engine = n;
	if (!(sw = xv_switch_new(&scfg)))
		goto fail;
	for (unsigned i = 0; i < nports; i++)
		if (xv_switch_add_port(sw, ports[i]) < 0)
			goto fail;
	if (control && xv_switch_control(sw, control) < 0)
		goto fail;

	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	signal(SIGPIPE, SIG_IGN);
	stop_flag = 0;
	fprintf(ctx->err, "xvids: switch: %u ports, %u rules%s%s\n", nports, xv_net_rule_count(n),
		scfg.inline_drop ? ", inline drop" : "", scfg.mirror ? ", mirrored" : "");
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = XV_EXIT_OK;
	while (!stop_flag) {
		if (xv_switch_step(sw, 200) < 0) {
			rc = xv_cmd_fail(ctx, "switch");
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (seconds && t.tv_sec - t0.tv_sec >= (time_t)seconds)
			break;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	xv_switch_print_counters(sw, ctx->err);
	if (rc == XV_EXIT_OK && xv_net_alert_total(n))
		rc = XV_EXIT_FINDINGS;
	xv_switch_free(sw);
	xv_net_free(n);
	if (out.eve)
		fclose(out.eve);
	return rc;
fail:
	xv_switch_free(sw);
	xv_net_free(n);
	if (out.eve)
		fclose(out.eve);
	return xv_cmd_fail(ctx, "switch");
usage:
	xv_cmd_usage(&xv_cmd_switch, ctx->err);
	return XV_EXIT_ERROR;
}

const struct xv_cmd xv_cmd_switch = {
	.name = "switch",
	.synopsis = "switch --port SPEC... [--rules FILE]... [--home-net CIDR] [--mirror FILE|FIFO|tap:IF] "
		    "[--drop] [--eve FILE] [--json] [--control SOCK]",
	.summary = "run the virtual L2 switch for QEMU guests with inline network IDS",
	.help = "Port SPECs ([NAME=] prefix names the port/VM in alerts):\n"
		"  stream:unix:PATH     QEMU: -netdev stream,id=n0,server=off,addr.type=unix,addr.path=PATH\n"
		"  stream:tcp:H:P       QEMU: -netdev stream,id=n0,server=off,addr.type=inet,addr.host=H,addr.port=P\n"
		"  dgram:unix:PATH[,peer=QPATH]  QEMU: -netdev dgram,id=n0,local.type=unix,local.path=QPATH,\n"
		"                       remote.type=unix,remote.path=PATH\n"
		"  dgram:udp:H:P[,peer=QH:QP]    QEMU: -netdev dgram,id=n0,local.type=inet,local.host=QH,\n"
		"                       local.port=QP,remote.type=inet,remote.host=H,remote.port=P\n"
		"  tap:IFNAME           a TAP device to the host (root)\n"
		"Start the switch before QEMU (QEMU 7.2 connects once, at start-up).\n"
		"  --mirror FILE|FIFO|tap:IF  every frame as pcap (a FIFO waits for its reader) or to a TAP\n"
		"  --drop               drop frames that match a `drop` rule\n"
		"  --control SOCK       serve `xvids net --switch SOCK` queries\n"
		"  --ageing S           MAC ageing time (300)\n"
		"  --alerts-kept N      alerts kept for `net` (1024)\n"
		"  --for S              stop after S seconds\n"
		"  --quiet              do not print alerts as they happen\n"
		"Built-in detectors (all on by default), as for `xvids net`:\n"
		"  --arp-ttl S --arp-realert S      ARP spoofing: a MAC claims an IP whose owner spoke\n"
		"                       within S seconds (3600); again per claimant every S seconds (60)\n"
		"  --scan-ports N --scan-window S   port scan: > N distinct ports in S seconds (20, 10)\n"
		"  --syn-flood N --syn-window S     SYN flood: > N SYNs to one host in S seconds (500, 1)\n"
		"  --no-arp-spoof, --no-syn-flood, --no-port-scan   turn one detector off\n"
		"  --no-detectors       all three off: rules only\n"
		"Alerts are printed as they happen; SIGINT/SIGTERM stop and print the counters.\n"
		"Exit status: 0 no alerts, 1 alerts, 2 error.\n",
	.flags = XV_CMD_CLI_ONLY,
	.run = switch_run,
};
