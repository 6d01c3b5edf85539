/* cmd_ps.c — `ps`: the guest's processes as its kernel's task list records them. */
#include <json-c/json.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "xvids/task.h"

static int ps_run(struct xv_ctx *ctx, int argc, char **argv)
{
	struct xv_kernel *k;
	struct xv_task *t;
	size_t n;

	if (xv_cmd_simple_opts(ctx, &xv_cmd_ps, argc, argv) < 0)
		return XV_EXIT_ERROR;
	if (xv_ctx_kernel(ctx, &k) < 0 || xv_task_list(k, &t, &n) < 0)
		return xv_cmd_fail(ctx, "ps");
	if (ctx->json) {
		struct json_object *arr = json_object_new_array();

		for (size_t i = 0; i < n; i++) {
			struct json_object *o = json_object_new_object();

			char addr[24];

			snprintf(addr, sizeof(addr), "0x%016llx", (unsigned long long)t[i].addr);
			json_object_object_add(o, "pid", json_object_new_int(t[i].pid));
			json_object_object_add(o, "ppid", json_object_new_int(t[i].ppid));
			json_object_object_add(o, "uid", json_object_new_int64(t[i].uid));
			json_object_object_add(o, "comm", json_object_new_string(t[i].comm));
			json_object_object_add(o, "exe", json_object_new_string(t[i].exe));
			json_object_object_add(o, "kthread", json_object_new_boolean(t[i].kthread));
			json_object_object_add(o, "state",
					       json_object_new_string_len(&t[i].state, 1));
			json_object_object_add(o, "address", json_object_new_string(addr));
			json_object_array_add(arr, o);
		}
		xv_cmd_print_json(ctx, arr);
	} else {
		fprintf(ctx->out, "%7s %7s %6s %c %-16s %s\n", "PID", "PPID", "UID", 'S', "COMM", "EXE");
		for (size_t i = 0; i < n; i++)
			fprintf(ctx->out, "%7d %7d %6u %c %-16s %s\n", t[i].pid, t[i].ppid, t[i].uid,
				t[i].state, t[i].comm, t[i].kthread ? "[kernel thread]" : t[i].exe);
	}
	free(t);
	return XV_EXIT_OK;
}

const struct xv_cmd xv_cmd_ps = {
	.name = "ps",
	.synopsis = "ps [--json]",
	.summary = "list the guest's processes (pid, ppid, uid, comm, exe, kernel thread)",
	.help = "Walks the task list from init_task in guest memory. Kernel threads are marked;\n"
		"user tasks show the path of their executable (mm->exe_file).\n"
		"JSON: an array of {pid, ppid, uid, comm, exe, kthread, state, address}\n(address: the task_struct, for eval task_struct@ADDR...).\n",
	.flags = XV_CMD_NEEDS_VM,
	.run = ps_run,
};
