/* rss.c — keep the daemon small: guest RAM is mapped shared from QEMU's RAM file, and every page a
 * check touched stays counted in our RSS although it is QEMU's memory. Dropping our page-table
 * entries (MADV_DONTNEED on read-only shared file mappings) costs nothing: the pages stay in the
 * page cache and fault back in on the next read. */
#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/xvidsd.h"

#define TRIM_MIN (1u << 20)

/* Parse "start-end perms ..." lines; the buffer holds the whole file (a few KB). */
void xvd_trim_guest_maps(void)
{
	static char buf[65536];
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	if (fd < 0)
		return;
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == sizeof(buf) - 1)
			break;
	}
	close(fd);
	buf[len] = 0;
	/* Freed heap (a baseline's or a big listing's buffers) back to the kernel too. */
	malloc_trim(0);
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		char *end;
		unsigned long lo = strtoul(line, &end, 16), hi = 0;
		if (*end == '-')
			hi = strtoul(end + 1, &end, 16);
		/* Only read-only shared mappings: never private ones (RELRO pages are private and
		 * modified; dropping them would lose data). */
		if (hi > lo && hi - lo >= TRIM_MIN && strncmp(end, " r--s ", 6) == 0)
			madvise((void *)lo, hi - lo, MADV_DONTNEED);
		line = nl ? nl + 1 : NULL;
	}
}
