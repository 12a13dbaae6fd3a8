#!/usr/bin/env python3
"""Start a program the way a systemd socket unit does, without systemd.

    sd_activate.py --fd N [--name NAME] [--user USER] [--umask 0077]
                   [--no-new-privileges] -- PROGRAM [ARGS...]

The listening socket inherited on file descriptor N becomes file descriptor
3, LISTEN_FDS=1, LISTEN_FDNAMES=NAME and LISTEN_PID=<this pid> are set (the
pid stays the same across exec, as it does when systemd starts a service),
privileges are dropped to USER (as DynamicUser=/User= would), and PROGRAM
replaces this process. Everything else (the environment, the credentials
directory) is prepared by the caller. See sd_listen_fds(3).
"""

import argparse
import ctypes
import os
import pwd
import sys

SD_LISTEN_FDS_START = 3
PR_SET_NO_NEW_PRIVS = 38


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fd", type=int, required=True)
    ap.add_argument("--name", default="")
    ap.add_argument("--user")
    ap.add_argument("--umask")
    ap.add_argument("--no-new-privileges", action="store_true")
    ap.add_argument("argv", nargs="+")
    a = ap.parse_args()

    if a.fd != SD_LISTEN_FDS_START:
        os.dup2(a.fd, SD_LISTEN_FDS_START)
        os.close(a.fd)
    os.set_inheritable(SD_LISTEN_FDS_START, True)

    env = dict(os.environ)
    env["LISTEN_FDS"] = "1"
    env["LISTEN_PID"] = str(os.getpid())
    if a.name:
        env["LISTEN_FDNAMES"] = a.name
    if a.umask is not None:
        os.umask(int(a.umask, 8))
    if a.user is not None:
        pw = pwd.getpwnam(a.user)
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
    if a.no_new_privileges:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            sys.exit("sd_activate: prctl(PR_SET_NO_NEW_PRIVS) failed")
    try:
        os.execve(a.argv[0], a.argv, env)
    except OSError as e:
        sys.exit("sd_activate: exec %s: %s" % (a.argv[0], e))


if __name__ == "__main__":
    main()
