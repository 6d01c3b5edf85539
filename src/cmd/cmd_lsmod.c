/* cmd_lsmod.c — `lsmod`: the guest's loaded kernel modules from its module list. */
#include <json-c/json.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "xvids/task.h"

static int lsmod_run(struct xv_ctx *ctx, int argc, char **argv)
{
	struct xv_kernel *k;
	struct xv_module *m;
	size_t n;
	char addr[32];

	if (xv_cmd_simple_opts(ctx, &xv_cmd_lsmod, argc, argv) < 0)
		return XV_EXIT_ERROR;
	if (xv_ctx_kernel(ctx, &k) < 0 || xv_module_list(k, &m, &n) < 0)
		return xv_cmd_fail(ctx, "lsmod");
	if (ctx->json) {
		struct json_object *arr = json_object_new_array();

		for (size_t i = 0; i < n; i++) {
			struct json_object *o = json_object_new_object();

			snprintf(addr, sizeof(addr), "0x%016llx", (unsigned long long)m[i].base);
			json_object_object_add(o, "name", json_object_new_string(m[i].name));
			json_object_object_add(o, "size", json_object_new_int64((int64_t)m[i].size));
			json_object_object_add(o, "refcnt", json_object_new_int(m[i].refcnt));
			json_object_object_add(o, "state",
					       json_object_new_string(xv_module_state_name(m[i].state)));
			json_object_object_add(o, "address", json_object_new_string(addr));
			json_object_object_add(o, "taint", json_object_new_string(m[i].taints));
			json_object_array_add(arr, o);
		}
		xv_cmd_print_json(ctx, arr);
	} else {
		fprintf(ctx->out, "%-24s %8s %4s %-8s %-18s %s\n", "NAME", "SIZE", "REF", "STATE",
			"ADDRESS", "TAINT");
		for (size_t i = 0; i < n; i++)
			fprintf(ctx->out, "%-24s %8llu %4d %-8s 0x%016llx %s\n", m[i].name,
				(unsigned long long)m[i].size, m[i].refcnt,
				xv_module_state_name(m[i].state), (unsigned long long)m[i].base,
				m[i].taints);
	}
	free(m);
	return XV_EXIT_OK;
}

const struct xv_cmd xv_cmd_lsmod = {
	.name = "lsmod",
	.synopsis = "lsmod [--json]",
	.summary = "list the guest's kernel modules (name, size, state, address, taint)",
	.help = "Walks the kernel's module list in guest memory; sizes and addresses are the ones\n"
		"the guest's /proc/modules prints. JSON: an array of\n"
		"{name, size, refcnt, state, address, taint}.\n",
	.flags = XV_CMD_NEEDS_VM,
	.run = lsmod_run,
};
