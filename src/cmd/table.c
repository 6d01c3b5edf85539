/* table.c — the one list of commands, shared by the CLI and the daemon. */
#include <string.h>

#include "cmd/cmd.h"

const struct xv_cmd *const xv_cmds[] = {
	&xv_cmd_info,
	&xv_cmd_ps,
	&xv_cmd_lsmod,
	&xv_cmd_eval,
#ifdef XV_HAVE_CMD_PCHK
	&xv_cmd_pchk,
#endif
#ifdef XV_HAVE_CMD_MCHK
	&xv_cmd_mchk,
#endif
#ifdef XV_HAVE_CMD_BASELINE
	&xv_cmd_baseline,
#endif
#ifdef XV_HAVE_CMD_NET
	&xv_cmd_net,
#endif
#ifdef XV_HAVE_CMD_SWITCH
	&xv_cmd_switch,
#endif
#ifdef XV_HAVE_CMD_LS
	&xv_cmd_ls,
#endif
#ifdef XV_HAVE_CMD_STAT
	&xv_cmd_stat,
#endif
#ifdef XV_HAVE_CMD_CAT
	&xv_cmd_cat,
#endif
#ifdef XV_HAVE_CMD_FIND
	&xv_cmd_find,
#endif
#ifdef XV_HAVE_CMD_FCHK
	&xv_cmd_fchk,
#endif
#ifdef XV_HAVE_CMD_FICHK
	&xv_cmd_fichk,
#endif
#ifdef XV_HAVE_CMD_SHADOW
	&xv_cmd_shadow,
#endif
	NULL,
};

const struct xv_cmd *xv_cmd_lookup(const char *name)
{
	for (size_t i = 0; xv_cmds[i]; i++)
		if (strcmp(xv_cmds[i]->name, name) == 0)
			return xv_cmds[i];
	return NULL;
}
