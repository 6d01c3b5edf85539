/* text.h — make guest-supplied strings safe to print and to put in JSON. */
#ifndef XV_UTIL_TEXT_H
#define XV_UTIL_TEXT_H

#include <stddef.h>

/* Replace, in place, every byte that is not part of a valid UTF-8 sequence, and every control
 * character (C0, DEL), with '?'. Guest names are attacker-chosen: raw, they could forge lines on
 * a terminal or make a JSON document invalid (a SIEM that rejects it is blinded). */
void xv_text_sanitize(char *s);

#endif
