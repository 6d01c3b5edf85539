/* cmd_info.c — `info`: what xvids found about the guest's kernel, and how it found each fact. */
#include <inttypes.h>
#include <json-c/json.h>

#include "cmd/cmd.h"
#include "xvids/kernel.h"
#include "xvids/mem.h"

static void add_hex(struct json_object *o, const char *key, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%" PRIx64, v);
	json_object_object_add(o, key, json_object_new_string(b));
}

static int info_run(struct xv_ctx *ctx, int argc, char **argv)
{
	struct xv_kernel *k;

	if (xv_cmd_simple_opts(ctx, &xv_cmd_info, argc, argv) < 0)
		return XV_EXIT_ERROR;
	if (xv_ctx_kernel(ctx, &k) < 0)
		return xv_cmd_fail(ctx, "info");
	const struct xv_kernel_info *i = xv_kernel_info(k);

	if (ctx->json) {
		struct json_object *o = json_object_new_object(), *how = json_object_new_object();

		json_object_object_add(o, "source", json_object_new_string(xv_mem_describe(ctx->mem)));
		json_object_object_add(o, "ram_bytes", json_object_new_uint64(xv_mem_size(ctx->mem)));
		json_object_object_add(o, "arch", json_object_new_string(i->arch_name));
		json_object_object_add(o, "release", json_object_new_string(i->release));
		json_object_object_add(o, "version", json_object_new_string(i->uts_version));
		json_object_object_add(o, "machine", json_object_new_string(i->uts_machine));
		json_object_object_add(o, "nodename", json_object_new_string(i->nodename));
		add_hex(o, "kaslr_offset", i->kaslr_offset);
		add_hex(o, "page_table_root", i->pgd);
		json_object_object_add(o, "paging", json_object_new_string(i->paging));
		json_object_object_add(o, "btf_types", json_object_new_uint64(i->btf_types));
		json_object_object_add(o, "kallsyms_symbols", json_object_new_uint64(i->nsyms));
		add_hex(o, "init_task", i->init_task);
		json_object_object_add(how, "vmcoreinfo", json_object_new_string(i->how_vmcoreinfo));
		json_object_object_add(how, "page_table_root", json_object_new_string(i->how_pgd));
		json_object_object_add(how, "kaslr_offset", json_object_new_string(i->how_kaslr));
		json_object_object_add(how, "kallsyms", json_object_new_string(i->how_kallsyms));
		json_object_object_add(how, "btf", json_object_new_string(i->how_btf));
		json_object_object_add(how, "init_task", json_object_new_string(i->how_init_task));
		json_object_object_add(o, "found_by", how);
		xv_cmd_print_json(ctx, o);
		return XV_EXIT_OK;
	}
	FILE *f = ctx->out;

	fprintf(f, "source           %s\n", xv_mem_describe(ctx->mem));
	fprintf(f, "architecture     %s\n", i->arch_name);
	fprintf(f, "kernel release   %s\n", i->release);
	fprintf(f, "kernel version   %s\n", i->uts_version);
	fprintf(f, "nodename         %s\n", i->nodename);
	fprintf(f, "KASLR offset     0x%" PRIx64 "   (%s)\n", i->kaslr_offset, i->how_kaslr);
	fprintf(f, "page-table root  0x%" PRIx64 "   (%s)\n", i->pgd, i->how_pgd);
	fprintf(f, "paging mode      %s\n", i->paging);
	fprintf(f, "VMCOREINFO       %s\n", i->how_vmcoreinfo);
	fprintf(f, "kallsyms         %zu symbols   (%s)\n", i->nsyms, i->how_kallsyms);
	fprintf(f, "BTF              %zu types   (%s)\n", i->btf_types, i->how_btf);
	fprintf(f, "init_task        0x%" PRIx64 "   (%s)\n", i->init_task, i->how_init_task);
	return XV_EXIT_OK;
}

const struct xv_cmd xv_cmd_info = {
	.name = "info",
	.synopsis = "info [--json]",
	.summary = "what the guest's kernel is and how xvids found it (no profile needed)",
	.help = "Prints architecture, kernel release, KASLR offset, page-table root, paging mode,\n"
		"BTF type count, kallsyms symbol count, init_task, and how each was found.\n",
	.flags = XV_CMD_NEEDS_VM,
	.run = info_run,
};
