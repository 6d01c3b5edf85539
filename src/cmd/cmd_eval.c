/* cmd_eval.c — `eval EXPR`: read any field path from a kernel symbol, by kernel-source names. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "xvids/err.h"
#include "xvids/obj.h"

/* Split "root.path", "root->path" or "TYPE@ADDR.path" into its parts. */
static int parse_expr(struct xv_kernel *k, const char *expr, char *type, size_t tsz, uint64_t *base,
		      const char **path)
{
	char root[128];
	size_t i = 0;

	while (expr[i] && (isalnum((unsigned char)expr[i]) || expr[i] == '_' || expr[i] == '@' ||
			   (i > 0 && expr[i - 1] == '@' && expr[i] == 'x')))
		i++;
	if (i == 0 || i >= sizeof(root))
		return xv_err(EINVAL, "'%s': expected SYMBOL[.field|->field...] or TYPE@ADDR[.field...]",
			      expr);
	memcpy(root, expr, i);
	root[i] = '\0';
	*path = expr + i;
	char *at = strchr(root, '@');

	if (at) {
		char *end;

		*at = '\0';
		errno = 0;
		*base = strtoull(at + 1, &end, 16);
		if (errno || *end || end == at + 1)
			return xv_err(EINVAL, "'%s': bad address after '@'", expr);
		if (strncmp(root, "struct_", 7) == 0)
			memmove(root, root + 7, strlen(root + 7) + 1);
		snprintf(type, tsz, "%s", root);
		return 0;
	}
	if (xv_kernel_symbol(k, root, base) < 0)
		return xv_err(ENOENT, "unknown symbol '%s' (kallsyms holds functions; data roots known: "
				      "init_task, init_uts_ns, modules, ...)", root);
	const char *t = xv_kernel_symbol_type(k, root);

	if (!t) {
		if (**path)
			return xv_err(EINVAL, "the type of '%s' is not known; write TYPE@0x%" PRIx64 "%s",
				      root, *base, *path);
		type[0] = '\0';
		return 0;
	}
	snprintf(type, tsz, "%s", t);
	return 0;
}

static void print_value(struct xv_ctx *ctx, struct xv_kernel *k, const char *expr,
			const struct xv_fieldinfo *fi, const char *str, const uint64_t *num)
{
	char hex[3 * 64 + 1] = "";
	uint8_t raw[64];
	size_t rn = fi->size < sizeof(raw) ? fi->size : sizeof(raw);

	if (!str && !num && xv_kernel_read(k, fi->addr, raw, rn) == 0)
		for (size_t i = 0; i < rn; i++)
			snprintf(hex + 3 * i, 4, "%02x%s", raw[i], i + 1 < rn ? " " : "");
	if (ctx->json) {
		struct json_object *o = json_object_new_object();
		char a[24];

		snprintf(a, sizeof(a), "0x%016" PRIx64, fi->addr);
		json_object_object_add(o, "expr", json_object_new_string(expr));
		json_object_object_add(o, "address", json_object_new_string(a));
		uint64_t pa;

		/* The physical address too: lets a user find the bytes in a dump or RAM file. */
		if (xv_vat_translate(xv_kernel_vat(k), fi->addr, &pa, NULL) == 0) {
			snprintf(a, sizeof(a), "0x%" PRIx64, pa);
			json_object_object_add(o, "phys", json_object_new_string(a));
		}
		json_object_object_add(o, "type", json_object_new_string(fi->type_name));
		json_object_object_add(o, "size", json_object_new_int64(fi->size));
		if (str)
			json_object_object_add(o, "value", json_object_new_string(str));
		else if (num && fi->is_signed)
			json_object_object_add(o, "value", json_object_new_int64((int64_t)*num));
		else if (num)
			json_object_object_add(o, "value", json_object_new_uint64(*num));
		else
			json_object_object_add(o, "bytes", json_object_new_string(hex));
		xv_cmd_print_json(ctx, o);
		return;
	}
	if (str)
		fprintf(ctx->out, "%s\n", str);
	else if (num && fi->kind == XV_KIND_PTR)
		fprintf(ctx->out, "0x%016" PRIx64 "\n", *num);
	else if (num && fi->is_signed)
		fprintf(ctx->out, "%" PRId64 "\n", (int64_t)*num);
	else if (num)
		fprintf(ctx->out, "%" PRIu64 " (0x%" PRIx64 ")\n", *num, *num);
	else
		fprintf(ctx->out, "%s %s at 0x%016" PRIx64 " (%u bytes): %s%s\n",
			fi->kind == XV_KIND_STRUCT ? "struct" : "object", fi->type_name, fi->addr,
			fi->size, hex, fi->size > rn ? " ..." : "");
}

static int eval_run(struct xv_ctx *ctx, int argc, char **argv)
{
	struct xv_kernel *k;
	struct xv_fieldinfo fi;
	char type[128], str[4096];
	uint64_t base = 0, num;
	const char *path = "";
	int first = xv_cmd_simple_opts(ctx, &xv_cmd_eval, argc, argv);

	if (first < 0)
		return XV_EXIT_ERROR;
	if (first >= argc) {
		xv_cmd_usage(&xv_cmd_eval, ctx->err);
		return XV_EXIT_ERROR;
	}
	if (xv_ctx_kernel(ctx, &k) < 0)
		return xv_cmd_fail(ctx, "eval");
	for (int i = first; i < argc; i++) {
		const char *expr = argv[i];

		if (parse_expr(k, expr, type, sizeof(type), &base, &path) < 0)
			return xv_cmd_fail(ctx, "eval");
		if (!type[0]) {
			memset(&fi, 0, sizeof(fi));
			fi.addr = base;
			fi.kind = XV_KIND_PTR;
			fi.type_name = "symbol";
			print_value(ctx, k, expr, &fi, NULL, &base);
			continue;
		}
		/* The path after the root starts with '.' or '->'; the API takes it without. */
		if (path[0] == '.')
			path++;
		else if (path[0] == '-' && path[1] == '>')
			path += 2;
		if (!path[0]) {
			memset(&fi, 0, sizeof(fi));
			uint32_t sz = 0;

			if (xv_sizeof(k, type, &sz) < 0)
				return xv_cmd_fail(ctx, "eval");
			fi.addr = base;
			fi.size = sz;
			fi.kind = XV_KIND_STRUCT;
			fi.type_name = type;
			print_value(ctx, k, expr, &fi, NULL, NULL);
			continue;
		}
		if (xv_obj_field(k, type, path, base, &fi) < 0)
			return xv_cmd_fail(ctx, "eval");
		if (fi.is_char_array || fi.is_char_ptr) {
			if (xv_obj_str(k, type, path, base, str, sizeof(str)) < 0)
				return xv_cmd_fail(ctx, "eval");
			print_value(ctx, k, expr, &fi, str, NULL);
		} else if (fi.kind == XV_KIND_INT || fi.kind == XV_KIND_PTR ||
			   fi.kind == XV_KIND_ENUM) {
			if (xv_obj_u64(k, type, path, base, &num) < 0)
				return xv_cmd_fail(ctx, "eval");
			print_value(ctx, k, expr, &fi, NULL, &num);
		} else {
			print_value(ctx, k, expr, &fi, NULL, NULL);
		}
	}
	return XV_EXIT_OK;
}

const struct xv_cmd xv_cmd_eval = {
	.name = "eval",
	.synopsis = "eval [--json] EXPR...",
	.summary = "read a kernel object by its source names, e.g. init_task.comm",
	.help = "EXPR is SYMBOL, SYMBOL.field..., SYMBOL->field... or TYPE@ADDR.field..., with\n"
		"fields named as in kernel source and '->' to follow pointers, e.g.\n"
		"  init_uts_ns.name.release\n"
		"  init_task.tasks.next\n"
		"  task_struct@0xffff000002a31900.mm->exe_file->f_path.dentry->d_name.name\n"
		"Strings print as text, integers in decimal and hex, pointers in hex, structs as bytes.\n",
	.flags = XV_CMD_NEEDS_VM,
	.run = eval_run,
};
