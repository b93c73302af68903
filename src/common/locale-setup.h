/* Messages in the user's language, for the programs people read: shiftctl
 * and shiftd-notify (the daemon's sentences stay English). */
#pragma once

/* setlocale() and the "shiftd" catalogue, from $SHIFTD_LOCALEDIR when set
 * (the build tree's, for the tests), else the installed one. */
void shiftd_setup_locale(void);
