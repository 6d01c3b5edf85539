/* auth.c — the password file (crypt(3) hashes), constant-time checks, failed-login limits. */
#include <crypt.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/xvidsd.h"
#include "xvids/err.h"

int xvd_ct_streq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t n = la > lb ? la : lb;
	unsigned char diff = (unsigned char)(la != lb);

	/* Walk the longer length; index the shorter one modulo its length so the loop does
	 * not depend on where the strings differ. */
	for (size_t i = 0; i < n; i++) {
		unsigned char x = la ? (unsigned char)a[i % la] : 0;
		unsigned char y = lb ? (unsigned char)b[i % lb] : 0;
		diff |= x ^ y;
	}
	return diff == 0;
}

static int hash_ok(const char *h)
{
	/* Modern crypt(3) formats only: $y$ yescrypt, $gy$ gost-yescrypt, $7$ scrypt,
	 * $2b$ bcrypt, $6$ sha512-crypt, $5$ sha256-crypt. DES and MD5 are refused. */
	static const char *const ok[] = { "$y$", "$gy$", "$7$", "$2b$", "$2y$", "$6$", "$5$" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strncmp(h, ok[i], strlen(ok[i])) == 0)
			return 1;
	return 0;
}

int xvd_auth_load(struct xvd_auth *a, const char *path)
{
	struct stat st;
	char line[1024];
	int lineno = 0, rc = 0;

	memset(a, 0, sizeof(*a));
	FILE *f = fopen(path, "re");
	if (!f)
		return xv_err(errno, "cannot open password file %s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 0077))
		xvd_log("warning: password file %s is readable by group/others (chmod 600)", path);
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *p = line;
		size_t n = strlen(p);
		while (n && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' '))
			p[--n] = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		/* [LABEL:]HASH — a label names the entry in the log. */
		char *hash = p, *label = "";
		char *dollar = strchr(p, '$');
		char *colon = strchr(p, ':');
		if (colon && (!dollar || colon < dollar)) {
			*colon = 0;
			label = p;
			hash = colon + 1;
		}
		if (!hash_ok(hash)) {
			rc = xv_err(EINVAL, "%s:%d: not a supported crypt(3) hash (yescrypt $y$, "
					    "sha512-crypt $6$, bcrypt $2b$...; make one with "
					    "xvidsd --hash-password)", path, lineno);
			break;
		}
		if (a->n == XVD_MAX_PASSWORDS) {
			rc = xv_err(E2BIG, "%s:%d: too many entries (max %d)", path, lineno,
				    XVD_MAX_PASSWORDS);
			break;
		}
		a->hash[a->n] = strdup(hash);
		snprintf(a->label[a->n], sizeof(a->label[0]), "%.31s", label);
		if (!a->hash[a->n]) {
			rc = -ENOMEM;
			break;
		}
		a->n++;
	}
	fclose(f);
	if (rc == 0 && a->n == 0)
		rc = xv_err(EINVAL, "%s: no password hashes in the file", path);
	if (rc < 0)
		xvd_auth_free(a);
	return rc;
}

void xvd_auth_free(struct xvd_auth *a)
{
	for (unsigned i = 0; i < a->n; i++) {
		explicit_bzero(a->hash[i], strlen(a->hash[i]));
		free(a->hash[i]);
	}
	a->n = 0;
}

int xvd_auth_check(const struct xvd_auth *a, const char *password)
{
	static struct crypt_data cd; /* large (tens of KB): one, not on the stack */
	int ok = 0;

	for (unsigned i = 0; i < a->n; i++) {
		memset(&cd, 0, sizeof(cd));
		const char *h = crypt_r(password, a->hash[i], &cd);
		/* A failed crypt returns "*0"/"*1" or NULL, never equal to a stored hash. */
		if (h && h[0] != '*' && xvd_ct_streq(h, a->hash[i]))
			ok = 1;
	}
	explicit_bzero(&cd, sizeof(cd));
	return ok;
}

char *xvd_auth_hash(const char *pw)
{
	static const char *const prefixes[] = { "$y$", "$6$" };
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	char *out = NULL;

	if (!cd)
		return NULL;
	for (size_t i = 0; i < 2 && !out; i++) {
		char *salt = crypt_gensalt_ra(prefixes[i], 0, NULL, 0);
		if (!salt)
			continue;
		const char *h = crypt_r(pw, salt, cd);
		if (h && h[0] != '*')
			out = strdup(h);
		free(salt);
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return out;
}

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return 0;
}

int xvd_rl_blocked(struct xvd_ratelimit *rl, const struct sockaddr_storage *ss, unsigned max,
		   unsigned window, time_t now)
{
	for (size_t i = 0; i < sizeof(rl->e) / sizeof(rl->e[0]); i++) {
		if (!rl->e[i].failures || !same_addr(&rl->e[i].addr, ss))
			continue;
		if (now - rl->e[i].first >= (time_t)window) {
			rl->e[i].failures = 0;
			return 0;
		}
		return rl->e[i].failures >= max;
	}
	return 0;
}

void xvd_rl_fail(struct xvd_ratelimit *rl, const struct sockaddr_storage *ss, unsigned window,
		 time_t now)
{
	size_t n = sizeof(rl->e) / sizeof(rl->e[0]), victim = n;

	for (size_t i = 0; i < n; i++) {
		if (rl->e[i].failures && same_addr(&rl->e[i].addr, ss)) {
			if (now - rl->e[i].first >= (time_t)window) {
				rl->e[i].failures = 0;
				rl->e[i].first = now;
			}
			rl->e[i].failures++;
			return;
		}
	}
	/* A free slot, else the one whose window started longest ago. */
	for (size_t i = 0; i < n; i++) {
		if (!rl->e[i].failures) {
			victim = i;
			break;
		}
		if (victim == n || rl->e[i].first < rl->e[victim].first)
			victim = i;
	}
	rl->e[victim].addr = *ss;
	rl->e[victim].failures = 1;
	rl->e[victim].first = now;
}
