#include "core-error.h"

G_DEFINE_QUARK(shiftd-bus-error-quark, shiftd_bus_error)
