/* fuzz_rules.c — the Suricata-style rule parser and variables on arbitrary text; accepted rules then
 * see one fixed TCP packet. First line: "NAME VALUE" for xv_net_set_var; the rest are rules. */
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

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	static struct xv_net *n;
	struct xv_net_config cfg = { .flow_capacity = 4, .alert_ring = 4 };
	char *text = malloc(size + 1), *nl, *sp;

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
		xv_net_load_rules_str(n, nl + 1, "fuzz.rules");
	} else {
		xv_net_load_rules_str(n, text, "fuzz.rules");
	}
	if (xv_net_rule_count(n)) {
		xv_net_inspect(n, frame, sizeof(frame), 1700000000000000ull, -1, NULL);
		xv_net_inspect(n, frame, sizeof(frame), 1700000000000001ull, 0, "p");
	}
	drop_rules(n);
	free(text);
	return 0;
}
