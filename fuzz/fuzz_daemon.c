/* fuzz_daemon.c — xvidsd's hostile-text parsers: config directives, the telnet line editor fed raw
 * client bytes, the command-line splitter, durations and ADDR:PORT. First byte picks the mode. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "daemon/xvidsd.h"

static struct xvd_config cfg;

static char *dup_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

static void config(const uint8_t *data, size_t size)
{
	char *text = dup_text(data, size), *save = NULL;
	int lineno = 0;

	xvd_config_defaults(&cfg);
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		xvd_config_line(&cfg, l, "fuzz.conf", ++lineno);
	free(text);
}

static void telnet(const uint8_t *data, size_t size)
{
	struct xvd_lineed le;
	char echo[8];
	size_t echolen;
	/* small capacity so the overflow path runs */
	if (xvd_lineed_init(&le, 1 + (size ? data[0] : 0)) < 0)
		return;
	for (size_t i = 0; i < size; i++) {
		int r = xvd_lineed_byte(&le, data[i], echo, &echolen);

		if (echolen > 4)
			abort(); /* the header promises at most 4 echo bytes */
		if (r == XVD_LE_LINE) {
			char *argv[16];
			char *copy = strdup(le.buf);

			if (strlen(le.buf) >= le.cap)
				abort();
			if (copy) {
				int n = xvd_split(copy, argv, 16);

				for (int k = 0; k < n; k++)
					if (!argv[k])
						abort();
				free(copy);
			}
		}
	}
	xvd_lineed_free(&le);
}

static void misc(const uint8_t *data, size_t size)
{
	char *s = dup_text(data, size), *argv[4];
	struct sockaddr_storage ss;
	socklen_t len;

	xvd_parse_duration(s);
	if (xvd_parse_hostport(s, &ss, &len) == 0)
		xvd_addr_is_loopback(&ss);
	xvd_config_defaults(&cfg);
	xvd_config_add_vm(&cfg, s);
	xvd_split(s, argv, 4);
	free(s);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		config(data + 1, size - 1);
		break;
	case 1:
		telnet(data + 1, size - 1);
		break;
	default:
		misc(data + 1, size - 1);
	}
	return 0;
}
