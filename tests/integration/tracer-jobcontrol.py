#!/usr/bin/env python3
"""tracer-jobcontrol.py: job control through a pseudo-terminal under umld.

Two scenarios, each played natively first (the reference) and then under
"umld run FLAGS-OF-MODE" (see ./modes) for every mode in UMLD_MODES:

  inner  an interactive bash (--norc --noprofile -i, PS1='PROMPT$ ') running
         as the guest on the pty: sleep 100 + Ctrl-Z, jobs, bg, jobs, fg +
         Ctrl-C ($? 130), cat + Ctrl-Z + fg + a line + Ctrl-D, exit 7 (umld
         must exit 7);
  outer  a native interactive bash on the pty running
         "umld run -- sleep 100" as its foreground job: Ctrl-Z stops it
         (bash reports Stopped), fg resumes it, Ctrl-C ends it ($? 130).

Every step waits for a pattern with a time limit (no blind sleeps) and yields
one normalised observation; the observations under umld must equal the
native ones. Output: "ok - ..." / "FAIL - ..." per check, then
"N passed, N failed". Exit 0, 1 (failures), 77 (skip) or 99 (hard error).

Environment: UMLD (required), UMLD_MODES (default: every mode in ./modes),
UMLD_MODES_FILE (another mode table), UMLD_JC_SCENARIOS (default "inner
outer").
"""

import errno
import fcntl
import os
import re
import select
import shutil
import signal
import struct
import sys
import tempfile
import termios
import time

PROMPT = "PROMPT$ "
PROMPT_RE = re.escape(PROMPT)
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[=>()][0-9A-Za-z]?|\x07")

passed = 0
failed = 0


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def ok(text):
    global passed
    passed += 1
    say("ok - " + text)


def fail(text):
    global failed
    failed += 1
    say("FAIL - " + text)


def clean(data):
    """Terminal output as plain text: no escape sequences, no CRs."""
    text = data.decode("utf-8", "replace")
    return ANSI_RE.sub("", text).replace("\r", "")


class StepFailed(Exception):
    pass


def read_stat(pid):
    """(comm, state, ppid, pgrp, session) of a process, or None."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    lp, rp = data.find("("), data.rfind(")")
    rest = data[rp + 2:].split()
    return data[lp + 1:rp], rest[0], int(rest[1]), int(rest[2]), int(rest[3])


def all_pids():
    for name in os.listdir("/proc"):
        if name.isdigit():
            yield int(name)


def descendants(root):
    children = {}
    for pid in all_pids():
        st = read_stat(pid)
        if st:
            children.setdefault(st[2], []).append(pid)
    out, todo = [], [root]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


class Session:
    """A program running on a fresh pty as session leader."""

    def __init__(self, argv, env):
        master, slave = os.openpty()
        attrs = termios.tcgetattr(slave)
        # Cooked mode with the usual job-control characters.
        attrs[0] |= termios.ICRNL
        attrs[1] |= termios.OPOST | termios.ONLCR
        attrs[3] |= termios.ISIG | termios.ICANON | termios.ECHO | termios.ECHOE
        attrs[6][termios.VINTR] = b"\x03"
        attrs[6][termios.VSUSP] = b"\x1a"
        attrs[6][termios.VEOF] = b"\x04"
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 200, 0, 0))
        pid = os.fork()
        if pid == 0:
            try:
                os.close(master)
                os.setsid()
                fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
                for fd in (0, 1, 2):
                    os.dup2(slave, fd)
                if slave > 2:
                    os.close(slave)
                for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGPIPE, signal.SIGXFSZ,
                            signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU, signal.SIGCHLD,
                            signal.SIGHUP, signal.SIGTERM):
                    signal.signal(sig, signal.SIG_DFL)
                os.execve(argv[0], argv, env)
            except BaseException as exc:  # report and never return into the test
                os.write(2, ("exec %s failed: %s\n" % (argv[0], exc)).encode())
            os._exit(127)
        os.close(slave)
        self.pid = pid
        self.fd = master
        self.pending = b""
        self.log = b""
        self.status = None

    def tail(self, n=300):
        return repr(clean(self.log)[-n:])

    def send(self, text):
        os.write(self.fd, text.encode())

    def _read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], max(timeout, 0))
        if not r:
            return True
        try:
            data = os.read(self.fd, 4096)
        except OSError as exc:
            if exc.errno != errno.EIO:
                raise
            data = b""
        if not data:
            return False
        self.pending += data
        self.log += data
        return True

    def expect(self, pattern, what, timeout=5.0):
        """Wait until PATTERN appears in the unconsumed output; consume through
        the end of the match and return the match."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        alive = True
        while True:
            text = clean(self.pending)
            m = rx.search(text)
            if m:
                self.pending = text[m.end():].encode()
                return m
            left = deadline - time.monotonic()
            if left <= 0 or not alive:
                raise StepFailed("timed out waiting for %s; output so far ends with %s"
                                 % (what, self.tail()))
            alive = self._read(min(left, 0.2))

    def prompt(self, timeout=5.0):
        self.expect(PROMPT_RE, "the prompt", timeout)

    def find(self, comm):
        """Pids of processes named COMM in this session."""
        pids = []
        for pid in all_pids():
            st = read_stat(pid)
            if st and st[4] == self.pid and st[0] == comm:
                pids.append(pid)
        return pids

    def wait_foreground(self, comm, timeout=5.0):
        """Wait until a process named COMM is in the terminal's foreground
        process group, and return its pid."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                fg = os.tcgetpgrp(self.fd)
            except OSError:
                fg = -1
            for pid in self.find(comm):
                st = read_stat(pid)
                if st and st[3] == fg:
                    return pid
            self._read(0.01)
        raise StepFailed("no '%s' in the foreground process group within %.0f s; output ends with %s"
                         % (comm, timeout, self.tail()))

    def wait_state(self, pid, states, what, timeout=3.0):
        deadline = time.monotonic() + timeout
        st = None
        while time.monotonic() < deadline:
            st = read_stat(pid)
            if st and st[1] in states:
                return st[1]
            self._read(0.01)
        raise StepFailed("pid %d (%s) did not become %s within %.0f s: state %s"
                         % (pid, what, "/".join(states), timeout, st[1] if st else "gone"))

    def wait_gone(self, pid, what, timeout=3.0):
        """Wait until PID has ended (gone, or a zombie nobody reaps)."""
        deadline = time.monotonic() + timeout
        st = None
        while time.monotonic() < deadline:
            st = read_stat(pid)
            if st is None or st[1] in "ZX":
                return
            self._read(0.01)
        raise StepFailed("pid %d (%s) still exists after %.0f s: state %s"
                         % (pid, what, timeout, st[1]))

    def wait_exit(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.status = status
                return os.waitstatus_to_exitcode(status)
            self._read(0.02)
        raise StepFailed("the session leader did not exit within %.0f s; output ends with %s"
                         % (timeout, self.tail()))

    def close(self):
        """Kill whatever is left of the session (descendants first) and reap."""
        if self.status is None:
            victims = descendants(self.pid) + [self.pid]
            for pid in victims:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            try:
                os.waitpid(self.pid, 0)
            except OSError:
                pass
        os.close(self.fd)


def norm_job(line):
    """'[1]+  Stopped                 sleep 100' -> '[1]+ Stopped sleep 100'."""
    return " ".join(line.split())


def inner_scenario(prefix, env):
    """Interactive bash (under PREFIX) on the pty. Yields (step, observation)."""
    bash = shutil.which("bash") or "/bin/bash"
    s = Session(prefix + [bash, "--norc", "--noprofile", "-i"], env)
    try:
        s.prompt(timeout=10.0)
        yield "start: prompt", "PROMPT$"

        s.send("sleep 100\r")
        pid = s.wait_foreground("sleep")
        s.send("\x1a")
        m = s.expect(r"(\[\d+\][+-]? +Stopped +sleep 100) *\n", "the Stopped job line")
        yield "sleep 100, Ctrl-Z: job line", norm_job(m.group(1))
        s.prompt()
        s.wait_state(pid, "Tt", "sleep after Ctrl-Z")
        yield "sleep 100, Ctrl-Z: process state", "stopped"

        s.send("jobs\r")
        m = s.expect(r"\n(\[\d+\][+-]? +\w+ +sleep 100[ &]*) *\n", "the jobs line")
        yield "jobs: job line", norm_job(m.group(1))
        s.prompt()

        s.send("bg\r")
        m = s.expect(r"\n(\[\d+\][+-]? +sleep 100 &) *\n", "bg's job line")
        yield "bg: job line", norm_job(m.group(1))
        s.prompt()
        s.wait_state(pid, "SR", "sleep after bg")
        yield "bg: process state", "running"
        s.send("jobs\r")
        m = s.expect(r"\n(\[\d+\][+-]? +\w+ +sleep 100[ &]*) *\n", "the jobs line")
        yield "jobs after bg: job line", norm_job(m.group(1))
        s.prompt()

        s.send("fg\r")
        m = s.expect(r"\n(sleep 100) *\n", "fg's command line")
        yield "fg: command line", m.group(1)
        if s.wait_foreground("sleep") != pid:
            raise StepFailed("a different sleep process is in the foreground")
        s.send("\x03")
        s.prompt()
        s.wait_gone(pid, "sleep after Ctrl-C")
        yield "fg, Ctrl-C: sleep process", "ended"
        s.send("echo status=$?\r")
        m = s.expect(r"status=(\d+)", "the status of the Ctrl-C'd job")
        yield "fg, Ctrl-C: $?", m.group(1)
        s.prompt()

        s.send("cat\r")
        pid = s.wait_foreground("cat")
        s.send("\x1a")
        m = s.expect(r"(\[\d+\][+-]? +Stopped +cat) *\n", "the Stopped job line for cat")
        yield "cat, Ctrl-Z: job line", norm_job(m.group(1))
        s.prompt()
        s.wait_state(pid, "Tt", "cat after Ctrl-Z")
        s.send("fg\r")
        m = s.expect(r"\n(cat) *\n", "fg's command line")
        yield "cat, fg: command line", m.group(1)
        if s.wait_foreground("cat") != pid:
            raise StepFailed("a different cat process is in the foreground")
        s.wait_state(pid, "SR", "cat after fg")
        s.send("hello job control\r")
        # The terminal echoes the line, then cat writes it back.
        s.expect(r"hello job control\n", "the echo of the typed line")
        s.expect(r"hello job control\n", "cat's copy of the line")
        yield "cat, fg, typed line: cat's output", "hello job control"
        s.send("\x04")
        s.prompt()
        s.send("echo status=$?\r")
        m = s.expect(r"status=(\d+)", "cat's status")
        yield "cat, Ctrl-D: $?", m.group(1)
        s.prompt()

        s.send("exit 7\r")
        yield "exit 7: exit status", str(s.wait_exit())
    finally:
        s.close()


def outer_scenario(prefix, env):
    """A native interactive bash on the pty running PREFIX sleep 100 as its
    foreground job. Yields (step, observation)."""
    bash = shutil.which("bash") or "/bin/bash"
    s = Session([bash, "--norc", "--noprofile", "-i"], env)
    command = " ".join(prefix + ["sleep", "100"])
    try:
        s.prompt(timeout=10.0)
        s.send(command + "\r")
        pid = s.wait_foreground("sleep", timeout=10.0)
        s.send("\x1a")
        m = s.expect(r"(\[\d+\][+-]? +Stopped) +(.*?) *\n", "the Stopped job line")
        job = norm_job(m.group(1))
        if m.group(2) != command:
            job += " (command %r, expected %r)" % (m.group(2), command)
        yield "Ctrl-Z: job line", job
        s.prompt()
        s.wait_state(pid, "Tt", "sleep after Ctrl-Z")
        yield "Ctrl-Z: sleep state", "stopped"
        s.send("fg\r")
        m = s.expect(r"\n(.*sleep 100) *\n", "fg's command line")
        yield "fg: resumes the job", "yes" if m.group(1) == command else m.group(1)
        if s.wait_foreground("sleep") != pid:
            raise StepFailed("a different sleep process is in the foreground")
        s.wait_state(pid, "SR", "sleep after fg")
        yield "fg: sleep state", "running"
        s.send("\x03")
        s.prompt()
        s.wait_gone(pid, "sleep after Ctrl-C")
        yield "Ctrl-C: sleep process", "ended"
        s.send("echo status=$?\r")
        m = s.expect(r"status=(\d+)", "the status of the Ctrl-C'd job")
        yield "Ctrl-C: $?", m.group(1)
        s.prompt()
        s.send("jobs; echo jobs-done\r")
        m = s.expect(r"\n((?:.*\n)*?)jobs-done\n", "the jobs listing")
        yield "jobs after Ctrl-C", m.group(1).strip() or "(none)"
        s.prompt()
        s.send("exit 5\r")
        yield "exit 5: exit status", str(s.wait_exit())
    finally:
        s.close()


def play(scenario, prefix, env):
    """Run a scenario; return its observations, ending with ('ERROR', why) if a
    step failed."""
    obs = []
    try:
        for step in scenario(prefix, env):
            obs.append(step)
    except StepFailed as exc:
        obs.append(("ERROR", str(exc)))
    except OSError as exc:
        obs.append(("ERROR", "unexpected error: %r" % (exc,)))
    return obs


EXPECTED = {
    "inner": [
        ("start: prompt", "PROMPT$"),
        ("sleep 100, Ctrl-Z: job line", "[1]+ Stopped sleep 100"),
        ("sleep 100, Ctrl-Z: process state", "stopped"),
        ("jobs: job line", "[1]+ Stopped sleep 100"),
        ("bg: job line", "[1]+ sleep 100 &"),
        ("bg: process state", "running"),
        ("jobs after bg: job line", "[1]+ Running sleep 100 &"),
        ("fg: command line", "sleep 100"),
        ("fg, Ctrl-C: sleep process", "ended"),
        ("fg, Ctrl-C: $?", "130"),
        ("cat, Ctrl-Z: job line", "[1]+ Stopped cat"),
        ("cat, fg: command line", "cat"),
        ("cat, fg, typed line: cat's output", "hello job control"),
        ("cat, Ctrl-D: $?", "0"),
        ("exit 7: exit status", "7"),
    ],
    "outer": [
        ("Ctrl-Z: job line", "[1]+ Stopped"),
        ("Ctrl-Z: sleep state", "stopped"),
        ("fg: resumes the job", "yes"),
        ("fg: sleep state", "running"),
        ("Ctrl-C: sleep process", "ended"),
        ("Ctrl-C: $?", "130"),
        ("jobs after Ctrl-C", "(none)"),
        ("exit 5: exit status", "5"),
    ],
}

DESCRIPTION = {
    "inner": "interactive bash under umld",
    "outer": "umld run -- sleep 100 as a job of a native bash",
}


def compare(label, native, got):
    for i, (step, want) in enumerate(native):
        if i < len(got) and got[i][0] == step:
            if got[i][1] == want:
                ok("%s: %s: %s" % (label, step, want))
            else:
                fail("%s: %s: expected %r (as natively), got %r" % (label, step, want, got[i][1]))
        elif i < len(got) and got[i][0] == "ERROR":
            fail("%s: %s: expected %r (as natively): %s" % (label, step, want, got[i][1]))
        else:
            fail("%s: %s: expected %r (as natively): step not reached" % (label, step, want))


def on_signal(sig, frame):
    # Unwind through the "finally" clauses, which kill what was started.
    raise SystemExit(99)



def read_modes():
    """The mode table shared with the bash scripts: name -> umld run flags."""
    path = os.environ.get("UMLD_MODES_FILE",
                          os.path.join(os.path.dirname(os.path.abspath(__file__)), "modes"))
    table = {}
    with open(path) as f:
        for line in f:
            words = line.split()
            if words and not words[0].startswith("#"):
                table[words[0]] = words[1:]
    return table

def main():
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, on_signal)
    umld = os.environ.get("UMLD", "")
    if not umld:
        say("ERROR - UMLD is not set (absolute path of the umld binary is required)")
        return 99
    if not os.access(umld, os.X_OK):
        say("ERROR - UMLD=%s is not an executable file" % umld)
        return 99
    table = read_modes()
    modes = os.environ.get("UMLD_MODES", " ".join(table)).split()
    for mode in modes:
        if mode not in table:
            print("unknown interception mode %r (see the modes file)" % mode)
            sys.exit(99)
    if not shutil.which("bash") or not shutil.which("sleep") or not shutil.which("cat"):
        say("SKIP - bash, sleep or cat not found")
        return 77
    try:
        m, sl = os.openpty()
        os.close(m)
        os.close(sl)
    except OSError as exc:
        say("SKIP - no pseudo-terminals available: %s" % exc)
        return 77

    tmp = tempfile.mkdtemp(prefix="tracer-jobcontrol.", dir=os.environ.get("TMPDIR") or "/tmp")
    try:
        inputrc = os.path.join(tmp, "inputrc")
        with open(inputrc, "w") as f:
            f.write("set enable-bracketed-paste off\nset bell-style none\n")
        # The caller's environment (umld settings, sanitizer options, PATH...)
        # minus what would change an interactive bash's behaviour.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("BASH_FUNC_") and k not in (
                   "PROMPT_COMMAND", "BASH_ENV", "ENV", "PS0", "PS3", "PS4", "CDPATH",
                   "TMOUT", "HISTCONTROL", "HISTIGNORE", "IGNOREEOF", "MAILCHECK",
                   "LC_ALL", "LANG", "LANGUAGE")}
        env.update({
            "HOME": tmp,
            "TERM": "dumb",
            "PS1": PROMPT,
            "PS2": "> ",
            "HISTFILE": os.path.join(tmp, "history"),
            "INPUTRC": inputrc,
            "LC_ALL": "C",
            "TMPDIR": tmp,
        })

        wanted = os.environ.get("UMLD_JC_SCENARIOS", "inner outer").split()
        for name, scenario in (("inner", inner_scenario), ("outer", outer_scenario)):
            if name not in wanted:
                say("# %s: not played here (UMLD_JC_SCENARIOS=%s)" % (name, " ".join(wanted)))
                continue
            native = play(scenario, [], env)
            if native != EXPECTED[name]:
                say("ERROR - the native %s run does not behave as expected:" % DESCRIPTION[name])
                for step in native:
                    say("#   got      %r" % (step,))
                for step in EXPECTED[name]:
                    say("#   expected %r" % (step,))
                say("%d passed, %d failed" % (passed, failed))
                return 99
            for mode in modes:
                prefix = [umld, "run"] + table[mode] + ["--"]
                got = play(scenario, prefix, env)
                compare("[%s] %s" % (mode, DESCRIPTION[name]), native, got)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    say("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
