"""The deny list's rules, on parsed commands: what makes one simple command destructive."""
from __future__ import annotations

import re

from tools.sandbox.policy import Simple

RECURSIVE = {"-r", "-R", "--recursive"}
SAFE_WRITES = ("/dev/", "/tmp/", "$TMPDIR", "${TMPDIR")  # block devices: DANGEROUS; the rest is the sandbox's
DELETERS = {"rm", "unlink", "shred", "rmdir", "srm"}
INTERPRETERS = {"python", "node", "perl", "ruby", "php", "deno", "bun"}
# A one-liner that deletes or rewrites (rmtree, unlink, rmSync ...) aimed at a parent, home or absolute path.
SCRIPT_DELETE = re.compile(r"rmtree|\bremove\(|unlink|rmdir|rmSync|rm_rf|rm_r\b|\bdelete\(|truncate|chmod")
SCRIPT_OUTSIDE = re.compile(r"""['"](\.\.|~|/(?!tmp\b|dev/null))|expanduser|Path\.home|homedir|\bHOME\b|getcwd\(\)\s*\+?\s*['"]/\.\.""")


def risky_target(target: str) -> bool:
    """A path outside the repository, or everything in it: absolute, home, parent, an expansion we cannot see."""
    return (target.startswith(("/", "~", "$HOME", "${HOME}", "..", "$(", "`", "$PWD/..", "${PWD}/..", "$OLDPWD"))
            or "/.." in target or "__SUBST__" in target
            or target in ("*", ".", "./", ".*", "./*", "$PWD", "${PWD}", "-"))


def _outside(target: str) -> bool:
    """A write target outside the repository that the sandbox would not allow anyway (temp dirs are fine)."""
    return risky_target(target) and not target.startswith(SAFE_WRITES) and target not in (".", "./", "*")


def _git_internal(target: str) -> bool:
    """A path inside .git/ (or .git itself)."""
    clean = target
    while clean.startswith("./"):
        clean = clean[2:]
    return clean == ".git" or clean.startswith(".git/") or "/.git/" in target or target.endswith("/.git")


def _operands(words: list[str]) -> list[str]:
    """The non-option arguments (everything after `--` counts)."""
    out, options = [], True
    for word in words:
        if options and word == "--":
            options = False
        elif not (options and word.startswith("-") and word != "-"):
            out.append(word)
    return out


def _recursive(args: list[str]) -> bool:
    """-r, -R, --recursive, or a short-flag cluster with r in it (-rf, -fR)."""
    return any(a in RECURSIVE or (a.startswith("-") and not a.startswith("--") and "r" in a.lower()) for a in args)


def command_danger(simple: Simple, outside: bool) -> str | None:
    """Why one simple command is destructive (`outside`: it runs after a `cd` out of the repository)."""
    if set(simple.wrappers) & {"sudo", "su", "doas"} or simple.program in ("sudo", "su", "doas"):
        return "runs as another user"
    for target in simple.writes:
        if _git_internal(target):
            return "writes inside .git/"
        if _outside(target) or (outside and not target.startswith(SAFE_WRITES)):
            return "writes a file outside the repository"
    program, args = simple.program, simple.words[1:]
    if program == "git":
        return git_danger(args)
    if program.rstrip("0123456789.") in INTERPRETERS:
        return _script_danger(args)
    check = FILE_RULES.get(program)
    return check(args, outside) if check else None


def _script_danger(args: list[str]) -> str | None:
    """`python -c` / `node -e` bodies that delete outside the repository (the sandbox stops the outside part; this
    also keeps the repository's own working tree from going with it)."""
    for i, arg in enumerate(args[:-1]):
        if arg in ("-c", "-e", "--eval", "-E") or (arg.startswith("-") and not arg.startswith("--") and arg[-1:] in "ce"):
            body = args[i + 1]
            if SCRIPT_DELETE.search(body) and SCRIPT_OUTSIDE.search(body):
                return "a script that deletes files outside the repository"
    return None


def _rm(args: list[str], outside: bool) -> str | None:
    """rm: anything in .git, recursive deletes outside, any delete after cd out."""
    targets = _operands(args)
    if any(_git_internal(t) for t in targets):
        return "deletes the git repository's data (.git)"
    if targets and (outside or (_recursive(args) and any(risky_target(t) for t in targets))):
        return "recursive delete outside the repository"
    if any(_outside(t) for t in targets):
        return "deletes files outside the repository"
    return None


def _find(args: list[str], outside: bool) -> str | None:
    """find ... -delete / -exec rm, started outside the repository."""
    starts = []
    for word in args:
        if word.startswith(("-", "(", "!")):
            break
        starts.append(word)
    deletes = "-delete" in args or any(
        a in ("-exec", "-execdir", "-ok", "-okdir") and i + 1 < len(args)
        and args[i + 1].rsplit("/", 1)[-1] in DELETERS | {"mv", "chmod", "chown", "truncate", "dd"}
        for i, a in enumerate(args))
    if deletes and (outside or not starts or any(risky_target(s) for s in starts)):
        return "mass delete outside the repository"
    if deletes and any(_git_internal(s) for s in starts):
        return "deletes the git repository's data (.git)"
    return None


def _chmod(args: list[str], outside: bool) -> str | None:
    """chmod/chown/chgrp -R outside the repository, or on .git."""
    targets = _operands(args)[1:]
    if any(_git_internal(t) for t in targets):
        return "changes permissions inside .git/"
    if (_recursive(args) or outside) and any(risky_target(t) or outside for t in targets):
        return "changes permissions outside the repository"
    return None


def _dd(args: list[str], outside: bool) -> str | None:
    """dd of=... outside the repository."""
    for arg in args:
        if arg.startswith("of="):
            target = arg[3:]
            if _outside(target) or _git_internal(target) or outside:
                return "writes a file outside the repository"
    return None


def _moves(args: list[str], outside: bool) -> str | None:
    """mv (source or destination), cp/ln/install/rsync/tee/truncate (destination) outside, or into .git/."""
    targets = _operands(args)
    if any(_git_internal(t) for t in targets):
        return "writes inside .git/"
    if outside and targets:
        return "moves or writes files outside the repository"
    if any(_outside(t) for t in targets):
        return "moves or writes files outside the repository"
    return None


def _copies(args: list[str], outside: bool) -> str | None:
    """cp-like: only the destination matters (reading from elsewhere is fine)."""
    targets = _operands(args)
    if not targets:
        return None
    dest = targets[-1]
    if _git_internal(dest):
        return "writes inside .git/"
    if outside or _outside(dest):
        return "writes files outside the repository"
    return None


FILE_RULES = {"rm": _rm, "unlink": _rm, "shred": _rm, "rmdir": _rm, "find": _find, "chmod": _chmod,
              "chown": _chmod, "chgrp": _chmod, "dd": _dd, "mv": _moves, "tee": _moves, "truncate": _moves,
              "cp": _copies, "ln": _copies, "install": _copies, "rsync": _copies}


def git_danger(args: list[str]) -> str | None:
    """git subcommands that discard work, rewrite history or change what runs on the next commit."""
    if not args:
        return None
    sub, rest = args[0], args[1:]
    flags = {a for a in rest if a.startswith("-")}
    short = "".join(a[1:] for a in rest if a.startswith("-") and not a.startswith("--"))
    paths = _operands(rest)
    if sub == "push" and (flags & {"--force", "-f", "--force-with-lease", "--mirror", "--delete", "-d", "--prune"}
                          or "f" in short or any(p.startswith(("+", ":")) for p in paths[1:])):
        return "force push (or deletes remote branches)"
    if sub == "branch" and ("-D" in rest or ("-d" in flags | {"--delete"} and flags & {"-f", "--force"})):
        return "deletes a branch"
    if sub == "reset" and flags & {"--hard", "--merge", "--keep"}:
        return "git reset --hard discards work"
    if sub == "clean" and ("f" in short or "--force" in flags):
        return "git clean deletes untracked files"
    if sub in ("checkout", "restore", "switch") and (
            any(p in (".", ":/", "*", ":(top)") for p in paths) or flags & {"-f", "--force", "--discard-changes"}):
        return "discards all working-tree changes"
    if sub == "stash" and paths[:1] in (["clear"], ["drop"]):
        return "deletes stashed work"
    if sub == "config" and _config_writes(rest):
        return "changes git configuration (hooks and aliases run code)"
    if (sub in ("filter-branch", "filter-repo", "update-ref", "replace") or (sub == "reflog" and paths[:1] in (["expire"], ["delete"]))
            or (sub == "gc" and any(a.startswith("--prune") for a in rest))):
        return "rewrites or deletes git history"
    if sub == "worktree" and paths[:1] == ["remove"] and flags & {"-f", "--force"}:
        return "deletes a worktree with its changes"
    return None


def _config_writes(rest: list[str]) -> bool:
    """`git config` that sets, adds, unsets or edits (reading: --get*, --list, -l, one plain key)."""
    reads = {"--get", "--get-all", "--get-regexp", "--list", "-l", "--show-origin", "--show-scope", "--get-urlmatch"}
    if set(rest) & reads or (rest[:1] == ["get"]) or rest[:1] == ["list"]:
        return False
    writes = {"--unset", "--unset-all", "--add", "--replace-all", "--edit", "-e", "--rename-section",
              "--remove-section"}
    return bool(set(rest) & writes) or len(_operands([a for a in rest if a not in ("--global", "--local",
                                                                                   "--system", "--worktree")])) >= 2
