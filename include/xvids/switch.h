/* switch.h — a userspace L2 learning switch for QEMU guests (socket netdevs) and TAP devices. */
#ifndef XVIDS_SWITCH_H
#define XVIDS_SWITCH_H

#include <stdint.h>
#include <stdio.h>

#include "xvids/net.h"

/*
 * Ports connect to unmodified QEMU through its own socket netdevs, or to the host through a TAP:
 *   [NAME=]stream:unix:PATH            we listen; QEMU: -netdev stream,id=n,server=off,
 *                                      addr.type=unix,addr.path=PATH   (4-byte BE length + frame)
 *   [NAME=]stream:tcp:HOST:PORT        we listen; QEMU: -netdev stream,id=n,server=off,
 *                                      addr.type=inet,addr.host=HOST,addr.port=PORT
 *   [NAME=]dgram:unix:PATH[,peer=QPATH]   we bind PATH; QEMU: -netdev dgram,id=n,local.type=unix,
 *                                      local.path=QPATH,remote.type=unix,remote.path=PATH
 *   [NAME=]dgram:udp:HOST:PORT[,peer=QHOST:QPORT]  we bind HOST:PORT; QEMU: -netdev dgram,id=n,
 *                                      local.type=inet,local.host=QHOST,local.port=QPORT,
 *                                      remote.type=inet,remote.host=HOST,remote.port=PORT
 *   [NAME=]tap:IFNAME                  a TAP device we create (needs CAP_NET_ADMIN)
 * A dgram port without peer= replies to the address its last frame came from.
 * Every received frame is inspected by the engine (if any), copied to the mirror (if any), dropped
 * if a `drop` rule matched and inline drop is on, then forwarded by the learned MAC table (unknown
 * and broadcast/multicast destinations are flooded to every other port). A learned address ages
 * out mac_ageing seconds after it was last seen as a source (frames sent to it do not refresh it,
 * as in 802.1D), and its frames are flooded again until it speaks.
 * Single-threaded: drive it with xv_switch_step() from one thread, or poll xv_switch_fd().
 */

struct xv_switch;

struct xv_switch_config {
	unsigned mac_ageing;      /* seconds; 0: 300 */
	unsigned mac_capacity;    /* learned addresses; 0: 4096 */
	const char *mirror;       /* pcap file or FIFO, or "tap:IFNAME", receiving every frame */
	int inline_drop;          /* drop frames that match a `drop` rule */
	struct xv_net *engine;    /* inspection engine (not owned); NULL: plain switch */
	/* Time in microseconds since the epoch, for MAC ageing and the times of alerts and mirrored
	 * frames; NULL: the real-time clock. (Tests step it by hand.) */
	uint64_t (*clock)(void *arg);
	void *clock_arg;
};

struct xv_switch_port_stats {
	char name[32];
	char spec[160];
	int up;                   /* a peer is connected (stream) / known (dgram) / TAP open */
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
	uint64_t rx_errors;       /* framing errors, runts */
	uint64_t tx_dropped;      /* could not be delivered (peer absent or slow) */
	uint64_t ids_dropped;     /* dropped by a `drop` rule */
	uint64_t flooded;         /* received frames that were flooded */
};

struct xv_switch *xv_switch_new(const struct xv_switch_config *cfg);
void xv_switch_free(struct xv_switch *sw);

/* Add a port from a spec (above). Returns the port index or -errno. */
int xv_switch_add_port(struct xv_switch *sw, const char *spec);

/* Listen on a unix socket for `net --switch PATH` queries ("alerts", "alerts json", "stats"). */
int xv_switch_control(struct xv_switch *sw, const char *path);

/* An fd that becomes readable when xv_switch_step() has work (an epoll fd). */
int xv_switch_fd(const struct xv_switch *sw);

/* Wait up to timeout_ms (0: don't wait, -1: forever) and forward what arrived. Returns the number
 * of frames received, 0 on timeout or EINTR, or -errno. */
int xv_switch_step(struct xv_switch *sw, int timeout_ms);

unsigned xv_switch_port_count(const struct xv_switch *sw);
int xv_switch_port_stats(const struct xv_switch *sw, unsigned idx, struct xv_switch_port_stats *st);
/* The engine given in the config (its alert ring: xv_net_alert_count/get). */
struct xv_net *xv_switch_engine(const struct xv_switch *sw);
/* Per-port counters, one line each, plus the engine's counters. */
void xv_switch_print_counters(const struct xv_switch *sw, FILE *f);
/* Learned MAC addresses still within the ageing time. */
unsigned xv_switch_mac_count(const struct xv_switch *sw);

#endif
