/* gen_fs.c — seeds for fuzz_fs: the tree of fuzz/fstree.h behind each header variant (BTF
 * overrides, 6.11 shapes, an explicit mem_section description, lookups with and without
 * following a final symlink). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fstree.h"

void seeds_fs(void (*emit)(const char *, const void *, size_t));
void seeds_fs(void (*emit)(const char *, const void *, size_t))
{
	static uint8_t s[64 + 512 + IMG_LEN];
	static const struct {
		uint8_t mode;
		const char *path;
	} cases[] = {
		{ 0, "etc/passwd" }, { 8, "tmp/x" }, { 0, "l/../big" }, { 8, "./tmp/../l" },
		{ 2, "etc/passwd" }, { 10, "tmp/x" }, { 1, "big" }, { 4, "etc/passwd" },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t pos = 0, pl = strlen(cases[c].path);

		v611 = (cases[c].mode & 2) != 0;
		s[pos++] = cases[c].mode;
		xv_put_le16(s + pos, T0);
		xv_put_le16(s + pos + 2, MS);
		pos += 4;
		s[pos++] = (uint8_t)pl;
		memcpy(s + pos, cases[c].path, pl);
		pos += pl;
		xv_put_le32(s + pos, c & 1 ? 4000 : 0); /* read offset, length */
		xv_put_le16(s + pos + 4, 8192);
		pos += 6;
		if (cases[c].mode & 1) {
			/* BTF overrides: one u16 per struct and per field; all ones keeps the defaults */
			const struct kstruct *t = v611 ? kbtf_fs611 : kbtf_fs61;
			size_t nt = v611 ? sizeof(kbtf_fs611) / sizeof(*t) : sizeof(kbtf_fs61) / sizeof(*t);
			size_t nover = 0;

			for (size_t i = 0; i < nt; i++) {
				nover++;
				for (const struct kfield *f = t[i].f; f->name; f++)
					nover++;
			}
			memset(s + pos, 0xff, 2 * nover);
			pos += 2 * nover;
		}
		if (cases[c].mode & 4) { /* the default mem_section description, spelled out */
			uint8_t d[9] = { 27, 46, 64, 0, 8, 0, 0, 16, 0 };

			memcpy(s + pos, d, sizeof(d));
			pos += sizeof(d);
		}
		fst_build(s + pos, v611);
		emit("fuzz_fs", s, pos + IMG_LEN);
	}
}
