/* memtrace.c — optional per-phase memory report on stderr (XVIDS_TRACE_MEM=1). */
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/memtrace.h"

static long field_kib(const char *status, const char *name)
{
	const char *p = strstr(status, name);

	return p ? strtol(p + strlen(name), NULL, 10) : -1;
}

static void at_exit(void)
{
	xv_memtrace("exit");
}

void xv_memtrace(const char *phase)
{
	static int on = -1;
	char buf[4096];
	ssize_t n;
	int fd;

	if (on < 0) {
		const char *e = getenv("XVIDS_TRACE_MEM");
		on = e && *e && strcmp(e, "0") != 0;
		if (on)
			atexit(at_exit); /* the end of the run: what the command itself added */
	}
	if (!on)
		return;
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
	struct mallinfo2 mi = mallinfo2();
	long heap = (long)((mi.uordblks + mi.hblkhd) / 1024);
#else
	long heap = -1;
#endif
	fprintf(stderr, "xvids-mem: %-14s rss=%ld anon=%ld file=%ld hwm=%ld heap=%ld\n", phase,
		field_kib(buf, "VmRSS:"), field_kib(buf, "RssAnon:"), field_kib(buf, "RssFile:"),
		field_kib(buf, "VmHWM:"), heap);
}
