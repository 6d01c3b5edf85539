/* main.c — the xvids command-line front end: global options, then one command from the table. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xvids [--vm SPEC] [--json] [--eve FILE] [--btf FILE] [--system-map FILE]\n"
		"             [--vmcoreinfo FILE] [--pause] COMMAND [ARGS...]\n"
		"\n"
		"Intrusion detection for Linux virtual machines, from outside the guest.\n"
		"\n"
		"Guest memory (--vm SPEC):\n"
		"  ram:PATH@BASE   raw guest-physical RAM file starting at BASE (hex), e.g. QEMU's\n"
		"                  memory-backend-file (mapped read-only)\n"
		"  dump:PATH       QEMU dump-guest-memory ELF core\n"
		"  qmp:SOCKET      live, unmodified QEMU through its QMP socket\n"
		"\n"
		"Options:\n"
		"  --json, -j          machine-readable output\n"
		"  --eve FILE          append findings/alerts to FILE as Suricata EVE JSON\n"
		"  --btf FILE          use this BTF (raw or ELF .BTF) instead of the guest's own\n"
		"  --system-map FILE   use this System.map for symbols\n"
		"  --vmcoreinfo FILE   this boot's VMCOREINFO text, for a kernel whose memory has none\n"
		"  --pause             stop a live guest while reading it (consistent view)\n"
		"  --help, -h          this text; `xvids COMMAND --help` for a command\n"
		"  --version\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; xv_cmds[i]; i++)
		fprintf(f, "  %-10s %s\n", xv_cmds[i]->name, xv_cmds[i]->summary);
	fprintf(f, "\nExit status: 0 clean, 1 findings, 2 error.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vm", required_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "eve", required_argument, NULL, 'E' },
		{ "btf", required_argument, NULL, 'B' },
		{ "system-map", required_argument, NULL, 'S' },
		{ "vmcoreinfo", required_argument, NULL, 'I' },
		{ "pause", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct xv_ctx ctx = { .out = stdout, .err = stderr };
	int c;

	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (c) {
		case 'v': ctx.vm_spec = optarg; break;
		case 'j': ctx.json = 1; break;
		case 'E': ctx.eve_path = optarg; break;
		case 'B': ctx.btf_path = optarg; break;
		case 'S': ctx.system_map = optarg; break;
		case 'I': ctx.vmcoreinfo_path = optarg; break;
		case 'P': ctx.pause = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("xvids 0.1.0\n"); return 0;
		default: usage(stderr); return XV_EXIT_ERROR;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return XV_EXIT_ERROR;
	}
	const struct xv_cmd *cmd = xv_cmd_lookup(argv[optind]);

	if (!cmd) {
		fprintf(stderr, "xvids: unknown command '%s' (try xvids --help)\n", argv[optind]);
		return XV_EXIT_ERROR;
	}
	for (int i = optind + 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			xv_cmd_usage(cmd, stdout);
			return 0;
		}
	}
	if ((cmd->flags & XV_CMD_NEEDS_VM) && !ctx.vm_spec) {
		fprintf(stderr, "xvids: %s needs a guest: xvids --vm SPEC %s (see xvids --help)\n",
			cmd->name, cmd->name);
		return XV_EXIT_ERROR;
	}
	int argc2 = argc - optind;
	char **argv2 = argv + optind;

	optind = 0; /* commands parse their own options with getopt_long */
	int rc = cmd->run(&ctx, argc2, argv2);

	xv_ctx_release(&ctx);
	if (fflush(stdout) != 0 && rc == 0)
		rc = XV_EXIT_ERROR;
	return rc;
}
