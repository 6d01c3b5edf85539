/* netpriv.h — internal structures of the net engine shared by its source files and unit tests. */
#ifndef XV_NET_PRIV_H
#define XV_NET_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/decode.h"
#include "net/ktab.h"
#include "xvids/net.h"

/* ---- rules ---- */

enum { XV_P_IP = 0, XV_P_TCP, XV_P_UDP, XV_P_ICMP, XV_P__COUNT };

struct xv_cidr {
	struct xv_ip net, mask;
	bool neg;
};

struct xv_addrset;
struct xv_ip;
bool xv_addrset_match(const struct xv_addrset *s, const struct xv_ip *a);

/* A nested list that holds negations cannot be flattened into its parent without changing its
 * meaning ("![10/8,!10.9/16]"), so it is kept as a sub-set. */
struct xv_addrsub {
	struct xv_addrset *set;
	bool neg;
};

/* Snort list semantics: (no positive entry || some positive entry matches) && no negative entry
 * matches. Entries are CIDRs and sub-sets. any: matches everything. */
struct xv_addrset {
	struct xv_cidr *v;
	uint32_t n;
	struct xv_addrsub *subs;
	uint32_t nsubs;
	bool any, neg, has_pos;
	bool single; /* exactly one positive CIDR: v[0], compared inline */
};

static inline bool xv_addr_ok(const struct xv_addrset *s, const struct xv_ip *a)
{
	if (s->any)
		return true;
	if (s->single)
		return (a->hi & s->v[0].mask.hi) == s->v[0].net.hi &&
		       (a->lo & s->v[0].mask.lo) == s->v[0].net.lo;
	return xv_addrset_match(s, a);
}

struct xv_prange {
	uint16_t lo, hi;
	bool neg;
};

struct xv_portset {
	struct xv_prange *v;
	uint32_t n;
	bool any, neg, has_pos;
};

struct xv_content {
	uint8_t *pat;
	uint32_t len;
	bool nocase, neg;
	uint32_t offset;
	uint32_t depth; /* 0: unlimited */
};

enum { XV_TRACK_SRC = 1, XV_TRACK_DST = 2 };
enum { XV_THR_NONE = 0, XV_THR_LIMIT, XV_THR_THRESHOLD, XV_THR_BOTH };

struct xv_rate {
	uint8_t type;  /* XV_THR_* for threshold; 1 for a detection_filter */
	uint8_t track; /* XV_TRACK_* */
	uint32_t count, seconds;
};

enum { XV_FLAGS_EXACT = 0, XV_FLAGS_PLUS, XV_FLAGS_ANY, XV_FLAGS_NOT };

enum {
	XV_FLOW_TO_SERVER = 1 << 0,
	XV_FLOW_TO_CLIENT = 1 << 1,
	XV_FLOW_ESTABLISHED = 1 << 2,
	XV_FLOW_NOT_ESTABLISHED = 1 << 3,
	XV_FLOW_STATELESS = 1 << 4,
};

struct xv_rule {
	uint8_t action;  /* XV_ACT_* */
	uint8_t proto;   /* XV_P_* */
	bool bidir;      /* "<>" */
	struct xv_addrset src, dst;
	struct xv_portset sp, dp;
	uint32_t gid, sid, rev;
	uint8_t severity;
	char *msg, *classtype;
	bool has_flags;
	uint8_t flags_mode, flags_val, flags_ignore;
	uint8_t flow;
	struct xv_content *contents;
	uint32_t ncontents;
	struct xv_rate threshold, dfilter;
	unsigned line;
};

struct xv_var {
	char *name, *value;
};

/* Rules grouped by protocol, then by what a packet must have for them to match: a destination
 * port, a source port, an IPv4 source /16 or destination /16 (key 0..65535 each). A 64 Ki-bit
 * "has rules" bitmap per index (8 KiB, stays cached) skips the bucket lookup for most packets. */
enum { XV_IX_DPORT = 0, XV_IX_SPORT, XV_IX_SRC16, XV_IX_DST16, XV_IX__COUNT };

struct xv_index {
	uint64_t any[1024];
	/* Keys with rules are numbered in key order: key k (its bit set) is number
	 * base[k / 64] + (bits of any[k / 64] below k); its rules are rules[off[i]..off[i + 1]).
	 * Sized by the keys that have rules, not by the 65,536 that could. */
	uint32_t base[1024];
	uint32_t *off;       /* nkeys + 1 offsets into rules (NULL if the index is empty) */
	uint32_t *rules;
};

static inline bool xv_index_find(const struct xv_index *x, uint32_t k, const uint32_t **list,
				 uint32_t *cnt)
{
	uint64_t w = x->any[k >> 6], bit = 1ull << (k & 63);
	if (!(w & bit))
		return false;
	uint32_t i = x->base[k >> 6] + (uint32_t)__builtin_popcountll(w & (bit - 1));
	*list = x->rules + x->off[i];
	*cnt = x->off[i + 1] - x->off[i];
	return true;
}

struct xv_group {
	struct xv_index ix[XV_IX__COUNT];
	unsigned used;       /* bit per index that holds rules */
	uint32_t *generic;   /* rules checked for every packet of the protocol */
	uint32_t ngeneric;
};

/* ---- flows ---- */

enum { XV_TCP_NONE = 0, XV_TCP_SYN_SENT, XV_TCP_SYN_RCVD, XV_TCP_ESTABLISHED, XV_TCP_CLOSING,
       XV_TCP_CLOSED, XV_TCP_MIDSTREAM };

#define XV_FLOW_KWORDS 5  /* flow key: both addresses (2 words each), ports/proto/VLAN */

struct xv_flow {
	uint8_t state;            /* XV_TCP_* (UDP/other: NONE until both sides talk) */
	uint8_t seen;             /* bit 0: client->server seen, bit 1: server->client seen */
	uint8_t client_side;      /* which side of the canonical key opened the flow (SYN sender
				   * or first talker): 0 the lower address/port, 1 the higher */
	uint8_t pad;
	uint32_t pkts[2];         /* packets client->server, server->client (saturating) */
};

/* ---- the engine ---- */

struct xv_net {
	struct xv_net_config cfg;
	struct xv_rule *rules;
	uint32_t nrules, rules_cap;
	struct xv_var *vars;
	uint32_t nvars;
	struct xv_group groups[XV_P__COUNT];
	bool groups_dirty;
	bool index_off;            /* tests: every rule in the generic list (the indexes' oracle) */
	bool detectors;            /* any built-in detector on */

	struct xv_ktab flows;      /* key: canonical 5-tuple; payload: struct xv_flow */
	struct xv_kent *last_flow; /* the flows entry of the previous packet (a hint, checked) */
	struct xv_ktab rates;      /* threshold / detection_filter state */
	struct xv_ktab arp;        /* ip -> mac */
	struct xv_ktab syn;        /* dst ip -> SYN counter */
	struct xv_ktab scan;       /* src ip -> distinct port bitmap */

	struct xv_net_alert *ring;
	uint32_t ring_cap, ring_head, ring_count;
	uint64_t alert_total;

	struct xv_net_stats st;
	uint64_t now;
};

/* rules.c */
int xv_rules_parse(struct xv_net *n, const char *text, const char *name);
void xv_rule_free(struct xv_rule *r);
const char *xv_var_get(const struct xv_net *n, const char *name);
int xv_addrset_parse(const struct xv_net *n, const char *s, struct xv_addrset *out, int depth);
int xv_portset_parse(const struct xv_net *n, const char *s, struct xv_portset *out, int depth);
bool xv_addrset_match(const struct xv_addrset *s, const struct xv_ip *a);
void xv_addrset_free(struct xv_addrset *s);
bool xv_portset_match(const struct xv_portset *s, uint16_t port);

/* match.c */
int xv_groups_build(struct xv_net *n);
void xv_groups_free(struct xv_net *n);
/* Run the rules on a decoded packet; returns the verdict. */
enum xv_net_verdict xv_rules_run(struct xv_net *n, const struct xv_pkt *p, const struct xv_flow *f,
				 bool to_server, int port, const char *port_name);

/* flow.c */
/* Track p's flow (NULL without an L4 header). *to_server: p goes from client to server; *fresh:
 * p is the first packet of a flow or of a new connection on it. */
struct xv_flow *xv_flow_track(struct xv_net *n, const struct xv_pkt *p, bool *to_server,
			      bool *fresh);

/* detect.c */
int xv_detect_init(struct xv_net *n);
void xv_detect_fini(struct xv_net *n);
void xv_detect_run(struct xv_net *n, const struct xv_pkt *p, bool new_flow, int port,
		   const char *port_name);

/* alert.c */
void xv_alert_fill(struct xv_net_alert *a, const struct xv_pkt *p, uint64_t now, int port,
		   const char *port_name);
void xv_alert_emit(struct xv_net *n, const struct xv_net_alert *a);
/* Bounded copy that always terminates (size > 0); cheaper than snprintf("%s") per alert. */
void xv_str_copy(char *dst, const char *src, size_t size);

#endif
