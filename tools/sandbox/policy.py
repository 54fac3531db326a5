"""Shell commands as the programs they run: wrappers, `bash -c` bodies, `$(...)`, subshells and redirections."""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

SEPARATORS = {";", "&", "&&", "|", "||", "|&", "(", ")", "\n", ";;", "{", "}", "!"}
REDIRECTS = re.compile(r"^\d*(>|>>|>\||&>|&>>|<|<<|<<<|<>|>&|<&)$")
SHELLS = {"bash", "sh", "zsh", "dash", "ksh", "fish"}
WRAPPERS = {"command", "exec", "nohup", "setsid", "time", "builtin", "stdbuf", "chronic", "ionice", "nice",
            "doas", "sudo", "su", "timeout", "xargs", "env", "watch", "unbuffer", "caffeinate", "flock"}
WITH_VALUE = {  # options of a wrapper that take a value
    "env": {"-u", "--unset", "-C", "--chdir", "-S", "--split-string"}, "nice": {"-n", "--adjustment"},
    "timeout": {"-s", "--signal", "-k", "--kill-after"}, "xargs": {"-I", "-n", "-P", "-L", "-d", "-E", "-s", "-a"},
    "sudo": {"-u", "-g", "-C", "-h", "-p"}, "ionice": {"-c", "-n", "-p"}, "stdbuf": {"-i", "-o", "-e"},
    "watch": {"-n", "-d"}, "su": {"-c", "-s", "-g"},
}
GIT_VALUE_OPTS = {"-c", "-C", "--git-dir", "--work-tree", "--namespace", "--exec-path", "--config-env"}
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass
class Simple:
    """One simple command: its words after unwrapping, the wrappers it went through, its redirect targets."""

    words: list[str]
    wrappers: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)  # targets of > >> &> and friends

    @property
    def program(self) -> str:
        """The program's base name (`/usr/bin/git` -> `git`)."""
        return self.words[0].rsplit("/", 1)[-1] if self.words else ""

    def text(self) -> str:
        """The normalized command as one line, for deny rules (`git -C . push` -> `git push`)."""
        return " ".join(self.words)


def _tokens(command: str) -> list[str]:
    """Shell tokens with operators split out; falls back to whitespace for unbalanced quotes."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:
        return re.findall(r"[;&|()<>]+|[^\s;&|()<>]+", command)


def _substitutions(word: str) -> tuple[list[str], str]:
    """Bodies of `$(...)` and backticks (balanced parentheses), and the text with each replaced by __SUBST__."""
    bodies = re.findall(r"`([^`]*)`", word)
    word = re.sub(r"`[^`]*`", "__SUBST__", word)
    start = word.find("$(")
    while start != -1:
        depth, i = 0, start + 1
        while i < len(word):
            depth += {"(": 1, ")": -1}.get(word[i], 0)
            if depth == 0:
                break
            i += 1
        bodies.append(word[start + 2:i])
        word = word[:start] + "__SUBST__" + word[i + 1:]
        start = word.find("$(", start)
    return bodies, word


def parse(command: str, depth: int = 0) -> list[Simple]:
    """Every simple command that `command` would run, nested ones included (to a depth of 5)."""
    if depth > 5:
        return []
    found: list[Simple] = []
    current: list[str] = []
    writes: list[str] = []
    bodies, flat = _substitutions(command)
    for body in bodies:
        found += parse(body, depth + 1)
    tokens = _tokens(flat)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if REDIRECTS.match(token) or (token.isdigit() and i + 1 < len(tokens) and REDIRECTS.match(tokens[i + 1])):
            if token.isdigit():
                i += 1
                token = tokens[i]
            target = tokens[i + 1] if i + 1 < len(tokens) else ""
            if ">" in token and not target.startswith("&") and not (token.endswith("&") and (target.isdigit() or target == "-")):
                writes.append(target)
            i += 2
            continue
        if token in SEPARATORS or not token or set(token) <= set(";&|()<>"):
            found += _finish(current, writes, depth)
            current, writes = [], []
        else:
            current.append(token)
        i += 1
    return found + _finish(current, writes, depth)


def _finish(words: list[str], writes: list[str], depth: int) -> list[Simple]:
    """Unwrap one simple command; a shell's `-c` body or `eval` is parsed as commands too."""
    if not words and not writes:
        return []
    simple = unwrap(Simple(list(words), writes=list(writes)))
    program = simple.program
    nested: list[Simple] = []
    if program in SHELLS:
        body = _shell_body(simple.words[1:])
        if body is not None:
            nested = parse(body, depth + 1)
    elif program == "eval":
        nested = parse(" ".join(simple.words[1:]), depth + 1)
    return [simple, *nested]


def _shell_body(args: list[str]) -> str | None:
    """The script of `bash -c BODY` / `sh -lc BODY`, or None."""
    for i, arg in enumerate(args):
        if arg.startswith("-") and not arg.startswith("--") and "c" in arg[1:]:
            return args[i + 1] if i + 1 < len(args) else ""
        if not arg.startswith("-"):
            return None
    return None


def unwrap(simple: Simple) -> Simple:
    """Strip `VAR=x`, `env ...`, `nohup`, `timeout 5`, `xargs -n1` ... and normalize `git -c k=v -C dir sub`."""
    words = simple.words
    while words:
        if ASSIGNMENT.match(words[0]):
            words = words[1:]
            continue
        name = words[0].rsplit("/", 1)[-1]
        if name not in WRAPPERS:
            break
        simple.wrappers.append(name)
        words = _skip_options(name, words[1:])
    if words and words[0].rsplit("/", 1)[-1] == "git":
        words = _normalize_git(words)
    simple.words = words
    return simple


def _skip_options(name: str, rest: list[str]) -> list[str]:
    """Drop a wrapper's own options (and a `timeout` duration, `env` assignments)."""
    takes = WITH_VALUE.get(name, set())
    while rest and (rest[0].startswith("-") or (name == "env" and ASSIGNMENT.match(rest[0]))):
        option = rest[0]
        rest = rest[1:]
        if option == "--":
            break
        if option in takes and rest:
            rest = rest[1:]
    if name == "timeout" and rest:
        rest = rest[1:]
    if name == "watch" and len(rest) == 1:
        return parse(rest[0])[0].words if parse(rest[0]) else rest
    return rest


def _normalize_git(words: list[str]) -> list[str]:
    """`git -c a=b -C dir --no-pager reset --hard` -> `git reset --hard`."""
    rest = words[1:]
    while rest and rest[0].startswith("-"):
        option = rest[0]
        rest = rest[1:]
        if option in GIT_VALUE_OPTS and rest:
            rest = rest[1:]
    return ["git", *rest]


# Programs that only read, and test runners: what may run unconfined in auto mode when no sandbox exists.
READERS = {"ls", "cat", "head", "tail", "wc", "grep", "egrep", "fgrep", "rg", "pwd", "echo", "printf", "which",
           "file", "stat", "tree", "sort", "uniq", "cut", "diff", "du", "df", "true", "false", "test", "[", "cd",
           "basename", "dirname", "realpath", "date", "uname", "whoami", "id", "nl", "less", "more", "tr", "column",
           "cmp", "md5sum", "sha256sum", "type", "ag", "fd", "jq", "pytest", "py.test", "tox", "nox", "mypy", "ruff",
           "flake8", "pylint", "black", "isort"}
GIT_READERS = {"status", "diff", "log", "show", "blame", "grep", "ls-files", "rev-parse", "describe", "shortlog",
               "ls-tree", "cat-file", "version", "help"}
TEST_SUBCOMMANDS = {"go": {"test", "vet", "build"}, "cargo": {"test", "check", "build", "clippy"},
                    "npm": {"test"}, "yarn": {"test"}, "pnpm": {"test"}, "make": {"test", "check"}}


def read_only_command(command: str) -> bool:
    """Whether every program in `command` only reads or runs tests, with no file redirections."""
    parsed = parse(command)
    return bool(parsed) and all(_reader(s) for s in parsed)


def _reader(simple: Simple) -> bool:
    """One simple command on the allowlist."""
    if any(w not in ("/dev/null", "/dev/stdout", "/dev/stderr") for w in simple.writes):
        return False
    if simple.wrappers and set(simple.wrappers) - {"time", "timeout", "nice", "command", "env"}:
        return False
    program, args = simple.program, simple.words[1:]
    if not program:
        return True
    if program == "find":
        return not any(a in ("-delete", "-exec", "-execdir", "-ok", "-okdir", "-fprint", "-fprintf", "-fls")
                       for a in args)
    if program == "git":
        return bool(args) and args[0] in GIT_READERS and "--output" not in " ".join(args)
    if program in ("python", "python3"):
        return args[:2] in (["-m", "pytest"], ["-m", "unittest"], ["-m", "mypy"], ["-m", "ruff"]) or args == ["--version"]
    if program in TEST_SUBCOMMANDS:
        return bool(args) and args[0] in TEST_SUBCOMMANDS[program]
    if program in ("sed", "awk"):
        return program == "sed" and not any(a.startswith(("-i", "--in-place")) for a in args)
    return program in READERS
