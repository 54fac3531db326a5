"""A seccomp filter: no new AF_UNIX sockets. Landlock and mount namespaces do not cover connect() to a socket file
that already exists (docker.sock, the D-Bus session bus with `systemd-run --user`, ssh-agent, X11): each is a way
out of the sandbox. socketpair() still works (pipes between a command's own processes)."""
from __future__ import annotations

import ctypes
import platform
import struct

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
AF_UNIX, EPERM = 1, 1
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
LD_ABS_W, JEQ_K, RET_K = 0x20, 0x15, 0x06
IO_URING_SETUP, X32 = 425, 0x40000000  # io_uring_setup has the same number on x86_64 and arm64
# machine -> (AUDIT_ARCH_*, socket syscall number)
ARCHES = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198), "arm64": (0xC00000B7, 198)}


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def program(arch: int, socket_nr: int) -> bytes:
    """socket(AF_UNIX, ...) and io_uring_setup fail with EPERM on this architecture; everything else is allowed."""
    steps = [
        (LD_ABS_W, 0, 0, 4),  # seccomp_data.arch
        (JEQ_K, 0, 7, arch),
        (LD_ABS_W, 0, 0, 0),  # seccomp_data.nr
        (JEQ_K, 4, 0, IO_URING_SETUP),  # io_uring can open sockets without a socket() syscall
        (JEQ_K, 1, 0, socket_nr),
        (JEQ_K, 0, 3, socket_nr | X32),  # the same call through x86's x32 numbering
        (LD_ABS_W, 0, 0, 16),  # args[0], low word (little-endian): the address family
        (JEQ_K, 0, 1, AF_UNIX),
        (RET_K, 0, 0, RET_ERRNO | EPERM),
        (RET_K, 0, 0, RET_ALLOW),
    ]
    return b"".join(struct.pack("HBBI", *step) for step in steps)


def deny_unix_sockets() -> bool:
    """Install the filter on this process and its future children; False where the architecture is unknown."""
    known = ARCHES.get(platform.machine())
    if known is None:
        return False
    code = program(*known)
    buffer = ctypes.create_string_buffer(code, len(code))
    prog = _Fprog(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
    return True
