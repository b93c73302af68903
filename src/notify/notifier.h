/* shiftd-notify's state: which runs wait for a human and which of them have
 * a notification, kept in step with the daemon through its signals, and
 * reconciled with ListRuns whenever the daemon (re)appears. */
#pragma once

#include "notify-args.h"

typedef struct _Notifier Notifier;

Notifier *notifier_new(const NotifyArgs *args);
void notifier_start(Notifier *n);
/* Withdraws every notification it shows: nobody would hear their buttons. */
void notifier_free(Notifier *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Notifier, notifier_free)
