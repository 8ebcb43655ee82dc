#!/usr/bin/env python3
"""Validate src/emul/syscalls.list, the X-macro table of system calls.

Checks the syntax of every SYSCALL(...) line, uniqueness of names and of
numbers per ABI, the argument kinds against src/emul/argkind.h, the order
of the entries, and that every syscall in the installed kernel headers
(asm/unistd_64.h, asm/unistd_32.h) appears with the same number.

Exit status: 0 when the list is clean, 1 on any problem, 2 on usage or
I/O errors.
"""

import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_LIST = os.path.join(ROOT, "src", "emul", "syscalls.list")
DEFAULT_ARGKIND = os.path.join(ROOT, "src", "emul", "argkind.h")
DEFAULT_UNISTD64 = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"
DEFAULT_UNISTD32 = "/usr/include/x86_64-linux-gnu/asm/unistd_32.h"

MAX_KINDS = 6

# i386 calls whose calling convention differs from the x86_64 call of the
# same name; the list carries them under their own names.
I386_RENAMED = {
    "mmap": "old_mmap",
    "select": "old_select",
    "readdir": "old_readdir",
}

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
NUMBER = r"(?:0|[1-9][0-9]*|NONE)"
ENTRY_RE = re.compile(
    r"^SYSCALL\(\s*(?P<name>" + IDENT + r")\s*,"
    r"\s*(?P<nr64>" + NUMBER + r")\s*,"
    r"\s*(?P<nr32>" + NUMBER + r")\s*,"
    r"\s*(?P<kinds>" + IDENT + r"(?:\s*,\s*" + IDENT + r")*)\s*\)$"
)
NR_DEFINE_RE = re.compile(r"^\s*#\s*define\s+__NR_(" + IDENT + r")\s+([0-9]+)\b")
ENUM_KIND_RE = re.compile(r"\b(ARG_[A-Z0-9_]+)\b")


class Entry:
    __slots__ = ("line", "name", "nr64", "nr32", "kinds")

    def __init__(self, line, name, nr64, nr32, kinds):
        self.line = line
        self.name = name
        self.nr64 = nr64
        self.nr32 = nr32
        self.kinds = kinds


def read_text(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        sys.stderr.write("check-syscall-list: cannot read %s: %s\n"
                         % (path, e.strerror or e))
        sys.exit(2)


def strip_comments(text, path, problems):
    """Blank out C comments, keeping line breaks so numbers stay right."""
    out = []
    i = 0
    n = len(text)
    while i < n:
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                line = text.count("\n", 0, i) + 1
                problems.append("%s:%d: unterminated comment" % (path, line))
                break
            out.append("\n" * text.count("\n", i, end))
            i = end + 2
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def load_kinds(path, problems):
    text = strip_comments(read_text(path), path, problems)
    m = re.search(r"enum\s+" + IDENT + r"\s*\{(.*?)\}", text, re.S)
    if not m:
        problems.append("%s: no enum of argument kinds found" % path)
        return set()
    kinds = set(ENUM_KIND_RE.findall(m.group(1)))
    if "ARG_VOID" not in kinds:
        problems.append("%s: ARG_VOID is missing from the enum" % path)
    return kinds


def parse_list(path, problems):
    text = strip_comments(read_text(path), path, problems)
    entries = []
    for lineno, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line:
            continue
        m = ENTRY_RE.match(line)
        if not m:
            problems.append("%s:%d: not a SYSCALL(name, nr64, nr32, kinds...) "
                            "line: %s" % (path, lineno, line))
            continue
        nr64 = None if m.group("nr64") == "NONE" else int(m.group("nr64"))
        nr32 = None if m.group("nr32") == "NONE" else int(m.group("nr32"))
        kinds = [k.strip() for k in m.group("kinds").split(",")]
        entries.append(Entry(lineno, m.group("name"), nr64, nr32, kinds))
    return entries


def load_unistd(path, problems):
    numbers = {}
    for lineno, line in enumerate(read_text(path).split("\n"), 1):
        m = NR_DEFINE_RE.match(line)
        if not m:
            continue
        name, nr = m.group(1), int(m.group(2))
        if name in numbers and numbers[name] != nr:
            problems.append("%s:%d: __NR_%s defined twice" % (path, lineno, name))
        numbers[name] = nr
    if not numbers:
        problems.append("%s: no __NR_ definitions found" % path)
    return numbers


def check_entries(path, entries, valid_kinds, problems):
    seen_name = {}
    seen64 = {}
    seen32 = {}
    for e in entries:
        where = "%s:%d" % (path, e.line)
        if e.name in seen_name:
            problems.append("%s: name %s already used on line %d"
                            % (where, e.name, seen_name[e.name]))
        else:
            seen_name[e.name] = e.line
        if e.nr64 is None and e.nr32 is None:
            problems.append("%s: %s has neither an x86_64 nor an i386 number"
                            % (where, e.name))
        for nr, seen, abi in ((e.nr64, seen64, "x86_64"),
                              (e.nr32, seen32, "i386")):
            if nr is None:
                continue
            if nr in seen:
                problems.append("%s: %s number %d of %s already taken by %s"
                                % (where, abi, nr, e.name, seen[nr]))
            else:
                seen[nr] = e.name
        if not 1 <= len(e.kinds) <= MAX_KINDS:
            problems.append("%s: %s has %d argument kinds (1 to %d allowed)"
                            % (where, e.name, len(e.kinds), MAX_KINDS))
        for k in e.kinds:
            if k not in valid_kinds:
                problems.append("%s: %s: unknown argument kind %s"
                                % (where, e.name, k))
        if "ARG_VOID" in e.kinds and len(e.kinds) != 1:
            problems.append("%s: %s: ARG_VOID must be the only kind"
                            % (where, e.name))


def check_order(path, entries, problems):
    """x86_64 entries by x86_64 number, then i386-only ones by i386 number."""
    in_i386_part = False
    last = None
    for e in entries:
        where = "%s:%d" % (path, e.line)
        if e.nr64 is None:
            if not in_i386_part:
                in_i386_part = True
                last = None
            key = e.nr32
        else:
            if in_i386_part:
                problems.append("%s: %s has an x86_64 number but follows the "
                                "i386-only entries" % (where, e.name))
                continue
            key = e.nr64
        if key is not None and last is not None and key <= last:
            problems.append("%s: %s (%d) is out of order after %d"
                            % (where, e.name, key, last))
        if key is not None:
            last = key


def cross_check(path, entries, header, numbers, column, renames, problems):
    by_name = {e.name: e for e in entries}
    for hname, nr in sorted(numbers.items(), key=lambda kv: kv[1]):
        lname = renames.get(hname, hname)
        e = by_name.get(lname)
        if e is None:
            problems.append("%s: __NR_%s (%d) has no entry %s in %s"
                            % (header, hname, nr, lname, path))
            continue
        have = getattr(e, column)
        if have != nr:
            problems.append("%s:%d: %s has %s %s but %s says %d"
                            % (path, e.line, lname, column,
                               "NONE" if have is None else have, header, nr))
    # A renamed i386 entry must not also keep the header name's i386 number.
    if column == "nr32":
        for hname, lname in renames.items():
            e = by_name.get(hname)
            if e is not None and e.nr32 is not None:
                problems.append("%s:%d: %s must not carry an i386 number; "
                                "the i386 call is listed as %s"
                                % (path, e.line, hname, lname))


def main(argv):
    ap = argparse.ArgumentParser(description="Check the umld syscall list.")
    ap.add_argument("--list", default=DEFAULT_LIST, help="syscalls.list path")
    ap.add_argument("--argkind", default=DEFAULT_ARGKIND, help="argkind.h path")
    ap.add_argument("--unistd64", default=DEFAULT_UNISTD64,
                    help="x86_64 asm/unistd_64.h to cross-check against")
    ap.add_argument("--unistd32", default=DEFAULT_UNISTD32,
                    help="i386 asm/unistd_32.h to cross-check against")
    ap.add_argument("--no-headers", action="store_true",
                    help="skip the cross-check against the kernel headers")
    args = ap.parse_args(argv)

    problems = []
    valid_kinds = load_kinds(args.argkind, problems)
    entries = parse_list(args.list, problems)
    check_entries(args.list, entries, valid_kinds, problems)
    check_order(args.list, entries, problems)

    hdr_note = "headers not checked"
    if not args.no_headers:
        n64 = load_unistd(args.unistd64, problems)
        n32 = load_unistd(args.unistd32, problems)
        cross_check(args.list, entries, args.unistd64, n64, "nr64", {},
                    problems)
        cross_check(args.list, entries, args.unistd32, n32, "nr32",
                    I386_RENAMED, problems)
        hdr_note = "matches %d x86_64 and %d i386 header numbers" % (
            len(n64), len(n32))

    if problems:
        for p in problems:
            sys.stderr.write("error: %s\n" % p)
        sys.stderr.write("check-syscall-list: FAILED with %d problem%s\n"
                         % (len(problems), "" if len(problems) == 1 else "s"))
        return 1

    with64 = [e.nr64 for e in entries if e.nr64 is not None]
    with32 = [e.nr32 for e in entries if e.nr32 is not None]
    print("check-syscall-list: OK: %d entries, %d x86_64 (max %s), "
          "%d i386 (max %s); %s"
          % (len(entries), len(with64), max(with64, default="-"),
             len(with32), max(with32, default="-"), hdr_note))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
