/* attrs.c — file attributes as text (types, ls -l modes) and the matching rules fchk's policy uses. */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs_internal.h"
#include "xvids/err.h"

static const char *const type_names[] = { "unknown", "file", "dir", "symlink", "chardev",
					   "blockdev", "fifo", "socket" };

const char *xv_ftype_name(enum xv_ftype t)
{
	return (unsigned)t < sizeof(type_names) / sizeof(type_names[0]) ? type_names[t] : "unknown";
}

int xv_ftype_parse(const char *s, enum xv_ftype *t)
{
	for (unsigned i = 1; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strcmp(s, type_names[i]) == 0) {
			*t = (enum xv_ftype)i;
			return 0;
		}
	return xv_err(EINVAL, "unknown file type '%s' (file, dir, symlink, chardev, blockdev, fifo, "
			      "socket)", s);
}

char xv_ftype_char(enum xv_ftype t)
{
	return "?-dlcbps"[(unsigned)t < 8 ? t : 0];
}

void xv_fs_mode_string(uint32_t mode, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";

	out[0] = xv_ftype_char(xv_fs_mode_type(mode));
	for (int i = 0; i < 9; i++)
		out[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
	if (mode & 04000)
		out[3] = (mode & 0100) ? 's' : 'S';
	if (mode & 02000)
		out[6] = (mode & 0010) ? 's' : 'S';
	if (mode & 01000)
		out[9] = (mode & 0001) ? 't' : 'T';
	out[10] = '\0';
}

/* '*' and '?' match '/' too: "/www/ *" (without the space) covers the whole tree under /www. */
int xv_fs_glob_match(const char *glob, const char *path)
{
	return fnmatch(glob, path, 0) == 0;
}

static int parse_octal(const char *s, uint32_t *v)
{
	char *end;
	unsigned long x;

	if (!*s)
		return -EINVAL;
	errno = 0;
	x = strtoul(s, &end, 8);
	if (errno || *end || x > 07777)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

int xv_fs_mode_match(const char *spec, uint32_t mode)
{
	uint32_t m, perm = mode & 07777;

	if (spec[0] == '/' || spec[0] == '-') {
		if (parse_octal(spec + 1, &m) < 0)
			return xv_err(EINVAL, "mode '%s': expected octal like 0644, /6000 or -0002", spec);
		return spec[0] == '/' ? (perm & m) != 0 : (perm & m) == m;
	}
	if (parse_octal(spec, &m) < 0)
		return xv_err(EINVAL, "mode '%s': expected octal like 0644, /6000 or -0002", spec);
	return perm == m;
}

int xv_fs_id_match(const char *spec, uint32_t id)
{
	int neg = spec[0] == '!';
	const char *s = spec + neg;
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || errno || *end || v > UINT32_MAX)
		return xv_err(EINVAL, "id '%s': expected a number or !number", spec);
	return neg ? id != v : id == v;
}

int xv_fs_path_under(const char *path, const char *dir)
{
	size_t l = strlen(dir);

	while (l > 1 && dir[l - 1] == '/')
		l--;
	if (l == 1 && dir[0] == '/')
		return path[0] == '/';
	return strncmp(path, dir, l) == 0 && (path[l] == '\0' || path[l] == '/');
}
