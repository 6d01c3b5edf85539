/* fuzz_net.c — the packet decoders, flow table (small, so eviction runs), rules and detectors.
 * Input: records of [u16 length][u8 time step] + frame bytes, inspected in order by one engine. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "net/decode.h"
#include "xvids/net.h"

static const char rules[] =
	"alert tcp any any -> $HOME_NET 2001 (msg:\"backdoor\"; flags:S; sid:100;)\n"
	"alert tcp any any -> $HOME_NET 80 (msg:\"passwd\"; flow:to_server,established; "
	"content:\"/ETC/passwd\"; nocase; sid:101;)\n"
	"alert tcp any any -> any 80 (msg:\"GET\"; content:\"GET\"; depth:3; content:\"|0d 0a|\"; sid:102;)\n"
	"drop tcp any any -> any 6666 (msg:\"drop\"; sid:103;)\n"
	"pass tcp 10.0.0.9 any -> any 6666 (sid:104;)\n"
	"alert tcp any any -> any 7000 (threshold: type limit, track by_src, count 2, seconds 60; sid:105;)\n"
	"alert tcp any any -> any 7001 (detection_filter: track by_src, count 3, seconds 60; sid:106;)\n"
	"alert udp any any <> fd00::/8 53 (content:!\"abc\"; offset:2; sid:107;)\n"
	"alert icmp any any -> any any (msg:\"ping\"; sid:108;)\n"
	"alert ip !10.0.0.0/8 any -> [10.1.0.0/16,!10.1.2.0/24] any (sid:109;)\n";

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct xv_net_config cfg = { .flow_capacity = 8, .flow_timeout = 2, .alert_ring = 4,
				     .arp_ttl = 5, .syn_flood_count = 3, .syn_flood_window = 1,
				     .scan_ports = 3, .scan_window = 2 };
	/* One engine for the whole run (creating one costs milliseconds under ASan): flows, detector
	 * state and alerts carry over between inputs, as they do between packets in real life. */
	static struct xv_net *n;
	struct fz f;
	uint64_t t = 1700000000000000ull;
	char line[512];

	if (!n) {
		n = xv_net_new(&cfg);
		if (!n || xv_net_set_var(n, "HOME_NET", "[10.0.0.0/8,fd00::/8]") < 0 ||
		    xv_net_load_rules_str(n, rules, "fuzz.rules") < 0)
			abort();
	}
	uint64_t total0 = xv_net_alert_total(n);

	fz_init(&f, data, size);
	while (f.pos < f.n) {
		uint32_t len = fz_u8(&f);

		len |= (uint32_t)fz_u8(&f) << 8;
		t += (uint64_t)fz_u8(&f) * 100000;
		if (len > f.n - f.pos)
			len = (uint32_t)(f.n - f.pos);
		/* a private copy: reads past len are then caught by ASan */
		uint8_t *frame = malloc(len ? len : 1);
		struct xv_pkt pkt;

		memcpy(frame, f.p + f.pos, len);
		f.pos += len;
		xv_decode(&pkt, frame, len);
		xv_net_inspect(n, frame, len, t, (int)(len & 3) - 1, (len & 1) ? "vm1" : NULL);
		free(frame);
	}
	/* format only this input's alerts (the ring keeps older ones; JSON is not cheap) */
	uint64_t fresh = xv_net_alert_total(n) - total0;
	unsigned cnt = xv_net_alert_count(n);

	for (unsigned i = 0; i < cnt && i < fresh; i++) {
		const struct xv_net_alert *a = xv_net_alert_get(n, cnt - 1 - i);
		char *eve = xv_net_alert_eve(a);

		xv_net_alert_format(a, line, sizeof(line));
		free(eve);
	}
	struct xv_net_stats st;

	xv_net_get_stats(n, &st);
	for (unsigned r = 0; r < 20; r++)
		xv_net_malformed_name(r);
	return 0;
}
