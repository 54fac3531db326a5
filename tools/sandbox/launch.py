"""The command launcher: `python -I -S tools/sandbox/launch.py [options] -- argv`.

It confines the command (namespaces, then Landlock, then no capabilities), becomes a child subreaper so
`setsid`/`nohup` grandchildren re-parent to it, and kills every remaining descendant when the command ends or when
it is told to stop (SIGTERM/SIGINT/SIGHUP), whatever the sandbox mode.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from types import SimpleNamespace

if __package__ in (None, ""):  # run as a file (python -I -S .../launch.py: no site, fast): import the siblings
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import landlock
    import namespaces
    import seccomp
else:
    from tools.sandbox import landlock, namespaces, seccomp

PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36
NO_SANDBOX_EXIT = 126
DEVICES = ["/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/ptmx", "/dev/pts", "/dev/random", "/dev/urandom"]


def _prctl(option: int, value: int) -> None:
    """prctl(2) where it exists (Linux)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def children() -> list[int]:
    """This process's direct children (orphaned descendants re-parent here: we are a subreaper)."""
    found: list[int] = []
    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/children") as handle:
                found += [int(p) for p in handle.read().split()]
    except OSError:
        pass
    return found


def descendants(pid: int) -> list[int]:
    """Every live descendant of `pid`, parents before children."""
    out: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            for tid in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{tid}/children") as handle:
                    kids = [int(p) for p in handle.read().split()]
                out += kids
                todo += kids
        except OSError:
            continue
    return out


def kill_descendants() -> None:
    """Stop, then kill and reap everything below us, until nothing is left (forks during the sweep included)."""
    for _ in range(200):
        pids = descendants(os.getpid())
        if not pids:
            break
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
        _reap(block=False)
        time.sleep(0.002)
    _reap(block=False)


def _reap(block: bool) -> None:
    """Collect exited children."""
    while True:
        try:
            pid, _ = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def wait_for(child: int) -> int:
    """Wait for `child`, reaping orphans on the way; its exit code (128+N when killed by signal N)."""
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 1
        if pid == child:
            return os.waitstatus_to_exitcode(status) if not os.WIFSIGNALED(status) else 128 + os.WTERMSIG(status)


def writable_paths(mode: str, root: str, tmp: str) -> list[str]:
    """Where the command may write: the repository (workspace-write) and its temp dir, plus harmless devices."""
    paths = [tmp] if tmp else []
    if mode == "workspace-write":
        paths.insert(0, root)
    return paths + DEVICES


def confine_init(opts: SimpleNamespace, in_ns: bool, abi: int) -> None:
    """In the child that will run (or be init for) the command: mounts, Landlock, no capabilities."""
    if in_ns:
        namespaces.die_with_parent()
        namespaces.private_mounts()
        namespaces.fresh_proc()
        git = os.path.join(opts.root, ".git")
        if os.path.exists(git):
            namespaces.read_only_bind(git)
        try:
            namespaces.mount("tmpfs", "/dev/shm", "tmpfs", namespaces.MS_NOSUID | namespaces.MS_NODEV)
        except OSError:
            pass
    # /dev/shm is writable only where it is a private tmpfs (ours, or bubblewrap's): multiprocessing needs it.
    writable = writable_paths(opts.mode, opts.root, opts.tmp) + (["/dev/shm"] if in_ns or opts.private_shm else [])
    if abi:
        landlock.restrict(writable, abi, network=opts.network)
    if not opts.network:  # host socket files (docker.sock, D-Bus, ssh-agent) are ways out Landlock leaves open
        seccomp.deny_unix_sockets()
    namespaces.drop_capabilities()


def run(opts: SimpleNamespace) -> int:
    """Confine (unless off), start the command, wait, then kill whatever it left behind."""
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    abi = landlock.abi() if opts.mode != "off" and sys.platform.startswith("linux") else 0
    in_ns = False
    if opts.mode != "off" and not opts.no_namespaces and sys.platform.startswith("linux"):
        try:
            namespaces.enter(opts.network)
            in_ns = True
        except OSError:
            pass
    if opts.mode != "off" and not abi and not opts.unconfined_ok:
        print("pith: no sandbox could be applied (no Landlock); the command was not run", file=sys.stderr)
        return NO_SANDBOX_EXIT
    child = os.fork()
    if child == 0:
        _child(opts, in_ns, abi)
    _install_stop(child, in_ns)
    code = wait_for(child)
    kill_descendants()
    if not sys.platform.startswith("linux"):  # no /proc to walk: at least the command's process group goes
        try:
            os.killpg(child, signal.SIGKILL)
        except OSError:
            pass
    return code


def _child(opts: SimpleNamespace, in_ns: bool, abi: int) -> None:
    """The forked child: confine, then exec the command (or, as PID 1 of the namespace, fork it and wait)."""
    try:
        for sig in (signal.SIGPIPE, signal.SIGXFSZ):  # Python ignores these; an ignored signal survives exec
            signal.signal(sig, signal.SIG_DFL)
        if not sys.platform.startswith("linux"):
            os.setpgid(0, 0)
        if opts.mode != "off":
            confine_init(opts, in_ns, abi)
        if in_ns:  # PID 1 ignores default signals and must reap: keep a tiny init, the command runs below it
            command = os.fork()
            if command == 0:
                os.execvp(opts.argv[0], opts.argv)
            os._exit(wait_for(command))
        os.execvp(opts.argv[0], opts.argv)
    except BaseException as exc:  # never fall through into the parent's code
        print(f"pith: could not start the command in the sandbox: {exc}", file=sys.stderr)
        os._exit(NO_SANDBOX_EXIT)


def _install_stop(child: int, in_ns: bool) -> None:
    """On SIGTERM/SIGINT/SIGHUP: kill the command and all it started, then exit."""
    def stop(signum: int, _frame: object) -> None:
        try:
            os.kill(child, signal.SIGKILL)  # in a PID namespace this is its init: the kernel kills the rest
        except OSError:
            pass
        kill_descendants()
        os._exit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, stop)


def probe(root: str) -> dict[str, object]:
    """What this machine can apply: the Landlock ABI and whether the namespace setup works (tried in a child)."""
    report: dict[str, object] = {"landlock": landlock.abi(), "namespaces": False}
    if sys.platform.startswith("linux"):
        child = os.fork()
        if child == 0:
            try:
                namespaces.enter(False)
                grandchild = os.fork()
                if grandchild == 0:
                    namespaces.private_mounts()
                    namespaces.fresh_proc()
                    if os.path.exists(os.path.join(root, ".git")):
                        namespaces.read_only_bind(os.path.join(root, ".git"))
                    os._exit(0)
                os._exit(wait_for(grandchild))
            except BaseException:
                os._exit(1)
        report["namespaces"] = wait_for(child) == 0
    return report


MODES = ("workspace-write", "read-only", "off")
FLAGS = {"--network": "network", "--no-namespaces": "no_namespaces", "--unconfined-ok": "unconfined_ok",
         "--probe": "probe", "--private-shm": "private_shm"}
VALUES = {"--mode": "mode", "--root": "root", "--tmp": "tmp"}


def parse(argv: list[str]) -> SimpleNamespace:
    """Options, then `--`, then the command's argv (no argparse: it doubles the start-up time)."""
    opts = SimpleNamespace(mode="workspace-write", root=os.getcwd(), tmp="", argv=[],
                           **{name: False for name in FLAGS.values()})
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            opts.argv = argv[i + 1:]
            break
        if arg in FLAGS:
            setattr(opts, FLAGS[arg], True)
        elif arg in VALUES and i + 1 < len(argv):
            setattr(opts, VALUES[arg], argv[i + 1])
            i += 1
        else:
            raise SystemExit(f"tools.sandbox.launch: unknown option {arg!r}")
        i += 1
    if opts.mode not in MODES:
        raise SystemExit(f"tools.sandbox.launch: --mode must be one of {', '.join(MODES)}")
    return opts


def main() -> None:
    """Entry point."""
    opts = parse(sys.argv[1:])
    if opts.probe:
        import json

        print(json.dumps(probe(opts.root)))
        return
    if not opts.argv:
        print("usage: python -m tools.sandbox.launch [options] -- command [args...]", file=sys.stderr)
        sys.exit(2)
    sys.exit(run(opts))


if __name__ == "__main__":
    main()
