"""Linux namespaces without privileges: a user namespace owning new mount, PID and network namespaces."""
from __future__ import annotations

import ctypes
import os

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
# statvfs f_flag bit -> mount flag: a remount inside a user namespace must keep the flags it inherited (locked).
LOCKED = {2: MS_NOSUID, 4: MS_NODEV, 8: MS_NOEXEC, 1024: MS_NOATIME, 2048: MS_NODIRATIME, 4096: MS_RELATIME}
PR_SET_PDEATHSIG, PR_CAPBSET_DROP = 1, 24
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]


def _check(result: int, what: str) -> None:
    """Raise OSError with errno when a libc call failed."""
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def enter(network: bool) -> None:
    """unshare(2) into new user, mount and PID namespaces (and network, unless `network`), mapping our own ids."""
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | (0 if network else CLONE_NEWNET)
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1\n")
    _write("/proc/self/gid_map", f"{gid} {gid} 1\n")


def _write(path: str, text: str) -> None:
    """Write a small /proc file."""
    with open(path, "w") as handle:
        handle.write(text)


def mount(source: str | None, target: str, fstype: str | None, flags: int) -> None:
    """mount(2)."""
    enc = (lambda s: s.encode() if s is not None else None)
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), None), f"mount {target}")


def private_mounts() -> None:
    """Stop our mounts from propagating back to the host."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)


def fresh_proc() -> str:
    """A /proc for the new PID namespace (pith and the user's shell are not in it); a tmpfs when refused."""
    try:
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        return "proc"
    except OSError:
        mount("tmpfs", "/proc", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        return "hidden"


def read_only_bind(path: str) -> None:
    """Bind `path` onto itself read-only (keeping the flags the user namespace locked)."""
    mount(path, path, None, MS_BIND | MS_REC)
    locked = os.statvfs(path).f_flag
    extra = 0
    for bit, flag in LOCKED.items():
        if locked & bit:
            extra |= flag
    mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | extra)


def die_with_parent() -> None:
    """SIGKILL this process when its parent dies (for the PID-namespace init, that kills the whole namespace)."""
    _libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """Empty the bounding set and every capability set, so neither this process nor what it execs keeps any."""
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")
