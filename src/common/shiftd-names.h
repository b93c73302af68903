/* The binding names from DESIGN.md, in one place. */
#pragma once

#define SHIFTD_BUS_NAME "org.shiftd.Shift1"
#define SHIFTD_MANAGER_PATH "/org/shiftd/Shift1"
#define SHIFTD_RUN_PATH_PREFIX "/org/shiftd/Shift1/run"
#define SHIFTD_AGENT_PATH_PREFIX "/org/shiftd/Shift1/agent"
#define SHIFTD_MANAGER_IFACE "org.shiftd.Shift1.Manager"
#define SHIFTD_RUN_IFACE "org.shiftd.Shift1.Run"
#define SHIFTD_AGENT_IFACE "org.shiftd.Shift1.Agent"
/* internal: what transient timers call */
#define SHIFTD_SCHEDULER_IFACE "org.shiftd.Shift1.Scheduler"

#define SHIFTD_ERROR_PREFIX "org.shiftd.Shift1.Error."
#define SHIFTD_ERROR_NO_SUCH_RUN SHIFTD_ERROR_PREFIX "NoSuchRun"
#define SHIFTD_ERROR_NO_SUCH_AGENT SHIFTD_ERROR_PREFIX "NoSuchAgent"
#define SHIFTD_ERROR_INVALID_ARGUMENT SHIFTD_ERROR_PREFIX "InvalidArgument"
#define SHIFTD_ERROR_NOT_WAITING SHIFTD_ERROR_PREFIX "NotWaiting"
#define SHIFTD_ERROR_ALREADY_FINISHED SHIFTD_ERROR_PREFIX "AlreadyFinished"
#define SHIFTD_ERROR_ACCESS_DENIED SHIFTD_ERROR_PREFIX "AccessDenied"
#define SHIFTD_ERROR_BUSY SHIFTD_ERROR_PREFIX "Busy"

/* Run states */
#define SHIFTD_STATE_QUEUED "queued"
#define SHIFTD_STATE_RUNNING "running"
#define SHIFTD_STATE_WAITING "waiting"
#define SHIFTD_STATE_DONE "done"
#define SHIFTD_STATE_IDLE "idle"
#define SHIFTD_STATE_FAILED "failed"
#define SHIFTD_STATE_CANCELLED "cancelled"

/* The json of an Event signal in system mode: the content is for GetEvents,
 * which checks who is asking; signals reach everyone on the bus. */
#define SHIFTD_EVENT_REDACTED "{\"redacted\":true}"

/* Largest task accepted by StartRun. */
#define SHIFTD_MAX_TASK_BYTES (256 * 1024)

/* DESIGN.md, "hostile input is bounded": Result, Summary and Error on the bus
 * (longer text is cut, with a note saying so); a question and its choices. */
#define SHIFTD_TEXT_MAX_BYTES (64 * 1024)
/* Text cut to fit SHIFTD_TEXT_MAX_BYTES with its "…" (3 bytes) appended. */
#define SHIFTD_TEXT_CUT_BYTES (SHIFTD_TEXT_MAX_BYTES - 3)
#define SHIFTD_QUESTION_MAX_BYTES 4096
#define SHIFTD_CHOICES_MAX 32
#define SHIFTD_CHOICE_MAX_BYTES 256
