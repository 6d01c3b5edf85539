/* qmp.h — a minimal QMP client (QEMU Machine Protocol over a unix socket) with hard timeouts. */
#ifndef XV_MEM_QMP_H
#define XV_MEM_QMP_H

#include <sys/types.h>

#include <json-c/json.h>

struct xv_qmp;

/* Connect, read the greeting and negotiate capabilities. timeout_ms bounds every exchange. */
int xv_qmp_connect(const char *path, int timeout_ms, struct xv_qmp **out);
void xv_qmp_close(struct xv_qmp *q);

/* The pid of the QEMU at the other end of the socket (SO_PEERCRED). */
pid_t xv_qmp_peer_pid(const struct xv_qmp *q);

/* Run a command; args may be NULL and is not consumed. On success *ret (if ret) holds a new
 * reference to the "return" value. A QMP error becomes -EIO with QEMU's description. */
int xv_qmp_cmd(struct xv_qmp *q, const char *cmd, json_object *args, json_object **ret);

/* Run a human monitor command and return its text output (malloc'd, caller frees). */
int xv_qmp_hmp(struct xv_qmp *q, const char *cmdline, char **out);

#endif
