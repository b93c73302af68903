/* Long output through a pager on a terminal, like systemctl: $SHIFTCTL_PAGER,
 * else $PAGER, else less (with LESS=FRX unless $LESS is set), else more. */
#pragma once

#include <glib.h>

/* The pager command the environment asks for: NULL for the default (less,
 * then more), "" for none ("" and "cat" both mean none). */
const char *cli_pager_from_env(const char *shiftctl_pager, const char *pager);

/* Sends stdout (and stderr, when it is a terminal) into the pager from now
 * on. Does nothing when one is already open or none is wanted. */
void cli_pager_open(void);
/* Hands the pager the end of the output and waits for it to exit. */
void cli_pager_close(void);
