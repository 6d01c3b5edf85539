/* pcap.c — offline capture reading through libpcap, and a small pcap writer for the mirror port. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xv_config.h"
#if XV_HAVE_PCAP
#include <pcap/pcap.h>
#endif

#include "net/netpriv.h"
#include "xvids/err.h"

#if XV_HAVE_PCAP

/* glibc's default FILE buffer is one 4 KiB block: 12,000 read calls for a 50 MB capture. A
 * larger one that still stays in the L2 cache; libpcap copies each record out of it. */
#define PCAP_READ_BUF (256u << 10)

struct replay {
	struct xv_net *n;
	long count;
};

static void replay_one(u_char *arg, const struct pcap_pkthdr *h, const u_char *data)
{
	struct replay *r = (struct replay *)arg;
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
	xv_net_inspect(r->n, data, h->caplen, ts, -1, NULL);
	r->count++;
}

long xv_net_run_pcap(struct xv_net *n, const char *path)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc;
	if (!strcmp(path, "-")) {
		pc = pcap_open_offline(path, ebuf);
	} else {
		/* our own FILE so its buffer can be sized before libpcap reads the file header */
		FILE *f = fopen(path, "rbe");
		if (!f)
			return xv_err(errno, "cannot read capture %s: %s", path, strerror(errno));
		setvbuf(f, NULL, _IOFBF, PCAP_READ_BUF);
		pc = pcap_fopen_offline(f, ebuf);
		if (!pc)
			fclose(f); /* on success pcap_close() closes it */
	}
	if (!pc)
		return xv_err(EINVAL, "cannot read capture %s: %s", path, ebuf);
	if (pcap_datalink(pc) != DLT_EN10MB) {
		int dl = pcap_datalink(pc);
		pcap_close(pc);
		return xv_err(ENOTSUP, "%s: link type %d is not Ethernet", path, dl);
	}
	/* pcap_loop, not pcap_next_ex: one call per frame less */
	struct replay r = { n, 0 };
	if (pcap_loop(pc, -1, replay_one, (u_char *)&r) == PCAP_ERROR) {
		xv_err(EIO, "%s: %s (after %ld frames)", path, pcap_geterr(pc), r.count);
		pcap_close(pc);
		return -EIO;
	}
	pcap_close(pc);
	return r.count;
}
#else
/* Built with -Dpcap=disabled: reading captures needs libpcap (the mirror writer below does not). */
long xv_net_run_pcap(struct xv_net *n, const char *path)
{
	(void)n;
	return xv_err(ENOTSUP, "cannot read capture %s: this build of xvids lacks libpcap (configured "
			       "with -Dpcap=disabled); rebuild with libpcap-dev, or inspect live "
			       "traffic with `xvids switch`", path);
}
#endif

struct xv_pcap_writer {
	FILE *f;
	bool own;
};

static void put32(uint8_t *b, uint32_t v)
{
	memcpy(b, &v, 4); /* pcap files are written in the host's byte order with a magic to tell */
}

struct xv_pcap_writer *xv_pcap_writer_open(const char *path)
{
	struct xv_pcap_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	if (!strcmp(path, "-")) {
		w->f = stdout;
	} else {
		/* O_WRONLY on a FIFO waits for its reader: the mirror starts with the reader */
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || !(w->f = fdopen(fd, "wb"))) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			free(w);
			xv_err(e, "cannot open mirror %s: %s", path, strerror(e));
			return NULL;
		}
		w->own = true;
	}
	uint8_t hdr[24];
	put32(hdr, 0xa1b2c3d4);
	uint16_t v[2] = { 2, 4 };
	memcpy(hdr + 4, v, 4);
	put32(hdr + 8, 0);
	put32(hdr + 12, 0);
	put32(hdr + 16, 65535);
	put32(hdr + 20, 1); /* DLT_EN10MB */
	if (fwrite(hdr, sizeof(hdr), 1, w->f) != 1) {
		xv_err(EIO, "cannot write to mirror %s", path);
		xv_pcap_writer_close(w);
		return NULL;
	}
	return w;
}

int xv_pcap_writer_write(struct xv_pcap_writer *w, const uint8_t *frame, uint32_t len,
			 uint64_t ts_usec)
{
	uint8_t rec[16];
	uint32_t cap = len > 65535 ? 65535 : len;
	put32(rec, (uint32_t)(ts_usec / 1000000));
	put32(rec + 4, (uint32_t)(ts_usec % 1000000));
	put32(rec + 8, cap);
	put32(rec + 12, len);
	if (fwrite(rec, sizeof(rec), 1, w->f) != 1 || fwrite(frame, 1, cap, w->f) != cap)
		return xv_err(EIO, "mirror write failed: %s", strerror(errno));
	return 0;
}

int xv_pcap_writer_flush(struct xv_pcap_writer *w)
{
	return fflush(w->f) ? xv_err(EIO, "mirror flush failed: %s", strerror(errno)) : 0;
}

void xv_pcap_writer_close(struct xv_pcap_writer *w)
{
	if (!w)
		return;
	if (w->own)
		fclose(w->f);
	else
		fflush(w->f);
	free(w);
}
