/* net.h — the network IDS engine (decoders, flows, rules, detectors, alerts) and its pcap front end. */
#ifndef XVIDS_NET_H
#define XVIDS_NET_H

#include <stdint.h>
#include <stdio.h>

/*
 * One engine inspects Ethernet frames one at a time (xv_net_inspect): it decodes them, tracks flows,
 * runs the rules and the built-in detectors, and records alerts in a ring of the last N. The same
 * engine serves the offline `net --pcap` command and the switch's inline inspection. It is not
 * thread-safe; one engine per thread. Nothing is allocated per packet.
 */

struct xv_net;

enum xv_net_action { XV_ACT_ALERT = 1, XV_ACT_DROP = 2, XV_ACT_PASS = 3 };

/* Verdict of xv_net_inspect(). */
enum xv_net_verdict { XV_VERDICT_FORWARD = 0, XV_VERDICT_DROP = 1 };

/* Built-in detectors raise alerts with this gid and these sids. Rules use gid 1. */
#define XV_NET_GID_DETECTOR 100
enum { XV_DET_ARP_SPOOF = 1, XV_DET_SYN_FLOOD = 2, XV_DET_PORT_SCAN = 3 };

struct xv_net_alert {
	uint64_t ts_usec;        /* packet time, microseconds since the epoch */
	uint8_t action;          /* XV_ACT_ALERT or XV_ACT_DROP */
	uint32_t gid, sid, rev;
	uint8_t severity;        /* 1 (high) .. 4 */
	char msg[128];           /* rule msg or detector description */
	char category[48];       /* classtype or detector name */
	uint8_t family;          /* 0 (no IP: ARP), 4 or 6 */
	uint8_t proto;           /* IP protocol number (0 for ARP) */
	uint8_t src_ip[16], dst_ip[16]; /* IPv4 in the first 4 bytes */
	uint16_t src_port, dst_port;
	uint8_t src_mac[6], dst_mac[6];
	int port;                /* switch port index, -1 offline */
	char port_name[32];      /* switch port / VM name, "" offline */
};

struct xv_net_config {
	unsigned flow_capacity;      /* max tracked flows (rounded to a power of two); 0: 65536 */
	unsigned flow_timeout;       /* seconds of idleness before a flow may be reused; 0: 120 */
	unsigned alert_ring;         /* alerts kept for `net`; 0: 1024 */
	/* ARP spoofing: a MAC claims an IP bound to another MAC that spoke for it within arp_ttl s. */
	int arp_spoof;               /* enable (default on: set to -1 to disable) */
	unsigned arp_ttl;            /* 0: 3600 */
	unsigned arp_realert;        /* seconds between alerts about the same claimant; 0: 60 */
	/* SYN flood: more than syn_flood_count SYNs to one destination IP within syn_flood_window s. */
	int syn_flood;               /* -1 disables */
	unsigned syn_flood_count;    /* 0: 500 */
	unsigned syn_flood_window;   /* 0: 1 */
	/* Port scan: one source touches more than scan_ports distinct (dst IP, port) in scan_window s. */
	int port_scan;               /* -1 disables */
	unsigned scan_ports;         /* 0: 20 */
	unsigned scan_window;        /* 0: 10 */
	/* Called for every alert (after the ring is updated); may be NULL. */
	void (*on_alert)(const struct xv_net_alert *a, void *arg);
	void *on_alert_arg;
};

struct xv_net_stats {
	uint64_t packets, bytes;
	uint64_t malformed;          /* frames that failed a length or header check */
	uint64_t malformed_by[16];   /* indexed by the decoder's reason code (see xv_net_malformed_name) */
	uint64_t arp, ipv4, ipv6, tcp, udp, icmp, other, fragments, vlan;
	uint64_t alerts, drops, passes;
	uint64_t flows_created, flows_evicted, flows_active;
};

/* Create an engine. cfg may be NULL for defaults. */
struct xv_net *xv_net_new(const struct xv_net_config *cfg);
void xv_net_free(struct xv_net *n);

/* Set $HOME_NET (e.g. "10.0.0.0/8" or "[10.0.0.0/8,fd00::/8]"); also sets $EXTERNAL_NET to its
 * negation unless defined. Call before loading rules. Returns 0 or -errno. */
int xv_net_set_var(struct xv_net *n, const char *name, const char *value);

/* Load a rules file (Snort/Suricata subset, see docs/net.md). Errors are "FILE:LINE: ..." and the
 * engine keeps the rules loaded so far. Returns the number of rules loaded or -errno. */
int xv_net_load_rules(struct xv_net *n, const char *path);
/* Same from a string; name is used in error messages. */
int xv_net_load_rules_str(struct xv_net *n, const char *text, const char *name);
unsigned xv_net_rule_count(const struct xv_net *n);

/* Inspect one Ethernet frame. port/port_name label alerts (-1/NULL offline). Never fails: bad
 * frames are counted as malformed and forwarded (the switch is not a firewall for garbage). */
enum xv_net_verdict xv_net_inspect(struct xv_net *n, const uint8_t *frame, uint32_t len,
				   uint64_t ts_usec, int port, const char *port_name);

void xv_net_get_stats(const struct xv_net *n, struct xv_net_stats *st);
const char *xv_net_malformed_name(unsigned reason);

/* The alert ring: number of alerts kept, and the i-th oldest (0 = oldest kept). */
unsigned xv_net_alert_count(const struct xv_net *n);
const struct xv_net_alert *xv_net_alert_get(const struct xv_net *n, unsigned i);
/* Total alerts raised since creation (the ring keeps the last alert_ring of them). */
uint64_t xv_net_alert_total(const struct xv_net *n);

/* Formatting. One line of text (no newline) into buf. */
void xv_net_alert_format(const struct xv_net_alert *a, char *buf, size_t size);
/* One EVE JSON alert record (one line, no newline). Returns a malloc'd string or NULL. */
char *xv_net_alert_eve(const struct xv_net_alert *a);
/* Print the ring (text lines or EVE JSON lines) to f. */
void xv_net_alerts_print(const struct xv_net *n, FILE *f, int json);

/* Offline: run every frame of a pcap file through the engine. Calls on_alert as configured.
 * Returns the number of frames read or -errno (unreadable file, non-Ethernet link type). */
long xv_net_run_pcap(struct xv_net *n, const char *path);

/* Minimal pcap writer (mirror output, tests): classic pcap, microsecond, Ethernet. */
struct xv_pcap_writer;
struct xv_pcap_writer *xv_pcap_writer_open(const char *path); /* file or FIFO; "-" = stdout */
int xv_pcap_writer_write(struct xv_pcap_writer *w, const uint8_t *frame, uint32_t len,
			 uint64_t ts_usec);
int xv_pcap_writer_flush(struct xv_pcap_writer *w);
void xv_pcap_writer_close(struct xv_pcap_writer *w);

#endif
