/* fuzz_rules.c — the Suricata-style rule parser and variables on arbitrary text; accepted rules then
 * see one fixed TCP packet. Input: a mode byte, then text: first line "NAME VALUE" for
 * xv_net_set_var, the rest rules. Mode bit 0: load as xv_net_load_rules_str does (parse, then
 * group the rules into the port/address indexes) and inspect the packet; otherwise parse only.
 * Grouping indexes all 65536 ports per protocol whatever the rules (milliseconds under ASan),
 * so only the inputs that ask for it pay for it; the parser runs on every input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "net/netpriv.h"
#include "xvids/net.h"

/* Ethernet + IPv4 + TCP SYN 10.0.0.1:40000 -> 10.0.0.2:80 with payload "GET /etc/passwd". */
static const uint8_t frame[] = {
	0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00,
	0x45, 0, 0, 55, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
	0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0,
	'G', 'E', 'T', ' ', '/', 'e', 't', 'c', '/', 'p', 'a', 's', 's', 'w', 'd',
};

/* Creating an engine costs milliseconds under ASan (its hash tables); one engine is reused and its
 * rules and variables are dropped after each input, so every input starts from no rules. */
static void drop_rules(struct xv_net *n)
{
	for (uint32_t i = 0; i < n->nrules; i++)
		xv_rule_free(&n->rules[i]);
	n->nrules = 0;
	for (uint32_t i = 0; i < n->nvars; i++) {
		free(n->vars[i].name);
		free(n->vars[i].value);
	}
	free(n->vars);
	n->vars = NULL;
	n->nvars = 0;
	xv_groups_free(n); /* as in a fresh engine: no groups, nothing to rebuild */
	n->groups_dirty = false;
}

static void load(struct xv_net *n, const char *text, int group)
{
	if (group) {
		xv_net_load_rules_str(n, text, "fuzz.rules");
		return;
	}
	/* what xv_net_load_rules_str does before grouping: the default variables, the parse */
	if (!xv_var_get(n, "HOME_NET"))
		xv_net_set_var(n, "HOME_NET", "any");
	if (!xv_var_get(n, "EXTERNAL_NET"))
		xv_net_set_var(n, "EXTERNAL_NET", "any");
	xv_rules_parse(n, text, "fuzz.rules");
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	static struct xv_net *n;
	struct xv_net_config cfg = { .flow_capacity = 4, .alert_ring = 4 };
	char *text, *nl, *sp;
	int group;

	if (size < 1)
		return 0;
	group = data[0] & 1;
	data++;
	size--;
	text = malloc(size + 1);
	if (!n)
		n = xv_net_new(&cfg);
	if (!n || !text)
		abort();
	memcpy(text, data, size);
	text[size] = 0;
	nl = strchr(text, '\n');
	if (nl) {
		*nl = 0;
		sp = strchr(text, ' ');
		if (sp) {
			*sp = 0;
			xv_net_set_var(n, text, sp + 1);
		}
		load(n, nl + 1, group);
	} else {
		load(n, text, group);
	}
	if (group && xv_net_rule_count(n)) {
		xv_net_inspect(n, frame, sizeof(frame), 1700000000000000ull, -1, NULL);
		xv_net_inspect(n, frame, sizeof(frame), 1700000000000001ull, 0, "p");
	}
	drop_rules(n);
	free(text);
	return 0;
}
