#include "syscall-filter.h"

#include <gio/gio.h>

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/* What `systemd-analyze syscall-filter` lists in @known but not in
 * @system-service (systemd 252), and @privileged: refused with EPERM. Names
 * this architecture does not have are skipped. */
static const char *const refused[] = {
  /* not in @system-service */
  "acct", "adjtimex", "bpf", "chroot", "clock_adjtime", "clock_adjtime64", "clock_settime", "clock_settime64",
  "delete_module", "fanotify_init", "fanotify_mark", "finit_module", "fsconfig", "fsmount", "fsopen", "fspick",
  "init_module", "ioperm", "iopl", "kexec_file_load", "kexec_load", "lookup_dcookie", "mincore", "modify_ldt",
  "mount", "mount_setattr", "move_mount", "open_by_handle_at", "open_tree", "pciconfig_iobase", "pciconfig_read",
  "pciconfig_write", "perf_event_open", "pidfd_getfd", "pivot_root", "pkey_alloc", "pkey_free", "pkey_mprotect",
  "process_mrelease", "ptrace", "quotactl", "quotactl_fd", "reboot", "seccomp", "setdomainname", "sethostname",
  "settimeofday", "stime", "swapoff", "swapon", "syslog", "sysfs", "umount", "umount2", "ustat", "vhangup", "vm86",
  "vm86old", "memfd_secret", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
  /* @privileged */
  "_sysctl", "capset", "nfsservctl", "setfsuid", "setfsuid32", "setgroups", "setgroups32", "setresuid",
  "setresuid32", "setreuid", "setreuid32", "setuid", "setuid32",
  /* namespaces: bubblewrap made the ones the worker lives in; it makes no more */
  "unshare", "setns",
  NULL,
};

static gboolean
fail(GError **error, int r, const char *what)
{
  g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r), "seccomp: %s: %s", what, g_strerror(-r));
  return FALSE;
}

static gboolean
add_rules(scmp_filter_ctx ctx, GError **error)
{
  int r;
  for (const char *const *name = refused; *name; name++) {
    int nr = seccomp_syscall_resolve_name(*name);
    if (nr == __NR_SCMP_ERROR)
      continue;
    if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) < 0)
      return fail(error, r, *name);
  }
  /* RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 (1, 2 and 10): one
   * comparison per rule is all libseccomp takes, so the rest is refused by
   * ranges and values */
  r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1, SCMP_A0_32(SCMP_CMP_GT, AF_INET6));
  for (int family = AF_UNSPEC; r >= 0 && family < AF_INET6; family++)
    if (family != AF_UNIX && family != AF_INET)
      r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1, SCMP_A0_32(SCMP_CMP_EQ, family));
  if (r < 0)
    return fail(error, r, "socket");
  /* LockPersonality= is not here: "anything but PER_LINUX and the query"
   * takes two comparisons of one argument. Changing one's own personality
   * gains nothing over others (no new privileges, no setuid binaries). */
  return TRUE;
}

int
syscall_filter_memfd(GError **error)
{
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "seccomp: cannot make a filter");
    return -1;
  }
  /* SystemCallArchitectures=native: the filter is for this ABI only, and
   * calls made through another (x32, i386 on x86-64) are refused outright */
  int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  if (r < 0) {
    seccomp_release(ctx);
    fail(error, r, "architectures");
    return -1;
  }
  int fd = -1;
  if (!add_rules(ctx, error))
    goto out;
  fd = memfd_create("shiftd-seccomp", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    fail(error, -errno, "memfd");
    goto out;
  }
  if ((r = seccomp_export_bpf(ctx, fd)) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
    fail(error, r < 0 ? r : -errno, "export");
    close(fd);
    fd = -1;
    goto out;
  }
  (void)fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
out:
  seccomp_release(ctx);
  return fd;
}
