/* swpriv.h — internal structures of the switch: ports and their socket state. */
#ifndef XV_NET_SWPRIV_H
#define XV_NET_SWPRIV_H

#include <stdbool.h>
#include <sys/socket.h>

#include "net/ktab.h"
#include "xvids/switch.h"

/* QEMU's own receive buffer is 4096 + 64 KiB; no legitimate frame is larger. */
#define XV_SW_MAX_FRAME (4096 + 65536)
#define XV_SW_MAX_PORTS 64
/* Datagrams taken per recvmmsg call; the scratch area holds this many frames. */
#define XV_SW_BATCH 32

enum { XV_PORT_STREAM = 1, XV_PORT_DGRAM, XV_PORT_TAP };

struct xv_port {
	struct xv_switch_port_stats st;
	int idx, type;
	int lfd;                 /* stream: listening socket */
	int fd;                  /* data socket / TAP fd, -1 when not connected */
	char *unlink_path;       /* unix socket path we created */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	bool fixed_peer;
	bool connected;          /* dgram with peer=: connect()ed, so sends skip the address lookup */
	uint8_t *rx;             /* stream: reassembly buffer (4 + max frame) */
	uint32_t rxlen;
	uint8_t *tx;             /* stream: unsent tail of a partially written frame */
	uint32_t txlen, txoff;
};

/* port.c */
int xv_port_open(struct xv_port *p, const char *spec);
void xv_port_close(struct xv_port *p);
/* stream: accept a pending connection (replacing none: a second client is refused). */
int xv_port_accept(struct xv_port *p);
/* Read what is available (scratch: XV_SW_BATCH * XV_SW_MAX_FRAME bytes); calls fn for each frame. Returns frames, or -errno when the
 * peer went away (stream: the port is closed, waiting for a new connection). */
int xv_port_read(struct xv_port *p, uint8_t *scratch,
		 void (*fn)(void *arg, struct xv_port *p, const uint8_t *f, uint32_t len), void *arg);
/* Send one frame; returns 0, or -EAGAIN when dropped (absent or slow peer), -errno on failure. */
int xv_port_send(struct xv_port *p, const uint8_t *f, uint32_t len);
/* stream: flush a pending partial write; returns 1 when still pending. */
int xv_port_flush(struct xv_port *p);

#endif
