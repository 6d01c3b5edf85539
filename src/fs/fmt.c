/* fmt.c — how a guest file is shown: ls -ln style lines and JSON objects (shared by the commands). */
#include <json-c/json.h>
#include <stdio.h>
#include <time.h>

#include "fs/fs_internal.h"

void xv_fs_print_long(FILE *f, const char *name, const struct xv_fs_stat *st, const char *target)
{
	char mode[11], when[32];
	struct tm tm;
	time_t t = (time_t)st->mtime, now = time(NULL);

	xv_fs_mode_string(st->mode, mode);
	if (!gmtime_r(&t, &tm))
		snprintf(when, sizeof(when), "%12lld", (long long)st->mtime);
	else if (t > now - 182L * 86400 && t < now + 3600)
		strftime(when, sizeof(when), "%b %e %H:%M", &tm);
	else
		strftime(when, sizeof(when), "%b %e  %Y", &tm);
	fprintf(f, "%s %4llu %-8u %-8u ", mode, (unsigned long long)st->nlink, st->uid, st->gid);
	if (st->type == XV_FT_CHR || st->type == XV_FT_BLK)
		fprintf(f, "%4u, %3u", st->rdev_major, st->rdev_minor);
	else
		fprintf(f, "%9llu", (unsigned long long)st->size);
	fprintf(f, " %s %s", when, name);
	if (target)
		fprintf(f, " -> %s", target);
	fputc('\n', f);
}

struct json_object *xv_fs_stat_json(const char *name, const char *path, const struct xv_fs_stat *st,
				    const char *target)
{
	struct json_object *o = json_object_new_object();
	char mode[8];

	snprintf(mode, sizeof(mode), "%04o", st->mode & 07777);
	if (name)
		json_object_object_add(o, "name", json_object_new_string(name));
	if (path)
		json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "type", json_object_new_string(xv_ftype_name(st->type)));
	json_object_object_add(o, "mode", json_object_new_string(mode));
	json_object_object_add(o, "uid", json_object_new_int64(st->uid));
	json_object_object_add(o, "gid", json_object_new_int64(st->gid));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)st->size));
	json_object_object_add(o, "mtime", json_object_new_int64(st->mtime));
	json_object_object_add(o, "nlink", json_object_new_int64((int64_t)st->nlink));
	json_object_object_add(o, "ino", json_object_new_int64((int64_t)st->ino));
	if (target)
		json_object_object_add(o, "target", json_object_new_string(target));
	if (st->type == XV_FT_CHR || st->type == XV_FT_BLK) {
		char rdev[24];

		snprintf(rdev, sizeof(rdev), "%u:%u", st->rdev_major, st->rdev_minor);
		json_object_object_add(o, "rdev", json_object_new_string(rdev));
	}
	return o;
}
