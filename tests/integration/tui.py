"""The clerk's full-screen client driven in a real terminal: tmux on its own
server (socket in the test's directory) runs `minqing` in a detached window of a given size, the test
types with send-keys (Chinese with -l, as an input method delivers it) and
reads the screen with capture-pane. The client's exit status and stderr go
to files, so that a sanitizer's report fails the test."""

import os
import re
import subprocess
import time

from harness import BUILD, SAN_ENV, Failure, check

_count = 0


class Terminal:
    def __init__(self, env, code, *args, width=80, height=24):
        global _count
        _count += 1
        self.env = env
        # The server's socket in the test's directory: removed with it.
        self.socket = os.path.join(env.dir, f"tmux-{_count}.sock")
        self.name = f"tui-{_count}"
        self.rc_file = os.path.join(env.dir, f"{self.name}.rc")
        self.err_file = os.path.join(env.dir, f"{self.name}.err")
        exports = {**SAN_ENV, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        argv = [os.path.abspath(os.path.join(BUILD, "station/minqing")), "--data",
                env.station_dir(code), "--code", code, *args]
        command = ("env " + " ".join(f"{k}={_q(v)}" for k, v in exports.items()) + " " +
                   " ".join(_q(a) for a in argv) + f" 2>{_q(self.err_file)}; "
                   f"echo $? >{_q(self.rc_file)}")
        self.tmux("new-session", "-d", "-s", "clerk", "-x", str(width), "-y", str(height),
                  command)
        self.exited = False

    def tmux(self, *args, check_rc=True):
        r = subprocess.run(["tmux", "-S", self.socket, "-f", "/dev/null", *args],
                           capture_output=True, text=True, timeout=20,
                           env={**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"})
        if check_rc and r.returncode != 0:
            raise Failure(f"tmux {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout

    # ------------------------------------------------------------ input
    def keys(self, *keys, pause=0.15):
        """Named keys (Enter, Tab, BSpace, F1, Down, Escape...) or plain letters."""
        for k in keys:
            self.tmux("send-keys", "-t", "clerk", k)
            time.sleep(pause)

    def type(self, text, pause=0.15):
        """Text as typed (or as an input method commits it)."""
        self.tmux("send-keys", "-t", "clerk", "-l", text)
        time.sleep(pause)

    def resize(self, width, height):
        self.tmux("resize-window", "-t", "clerk", "-x", str(width), "-y", str(height))
        time.sleep(0.3)

    # ------------------------------------------------------------ output
    def screen(self):
        if self.exited:
            return ""
        return self.tmux("capture-pane", "-p", "-t", "clerk", check_rc=False)

    def wait_for(self, pattern, timeout=15, what=None):
        """Waits until the screen matches the regular expression; returns the
        match."""
        end = time.time() + timeout
        text = ""
        while time.time() < end:
            text = self.screen()
            m = re.search(pattern, text)
            if m:
                return m
            if os.path.exists(self.rc_file):
                break
            time.sleep(0.2)
        raise Failure(f"{what or pattern!r} not on the screen within {timeout}s; "
                      f"the screen:\n{text}\nstderr: {self.stderr()}")

    def stderr(self):
        try:
            with open(self.err_file, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # ------------------------------------------------------------ the end
    def wait_exit(self, timeout=15):
        """Waits for the client to end; it must exit 0 with no sanitizer report."""
        end = time.time() + timeout
        while time.time() < end and not os.path.exists(self.rc_file):
            time.sleep(0.1)
        check(os.path.exists(self.rc_file), f"minqing did not quit; screen:\n{self.screen()}")
        time.sleep(0.1)
        with open(self.rc_file) as f:
            rc = f.read().strip()
        self.exited = True
        err = self.stderr()
        check(rc == "0", f"minqing exited {rc}: {err[-3000:]}")
        check("runtime error" not in err and "LeakSanitizer" not in err,
              f"sanitizer report from minqing: {err[-3000:]}")

    def close(self):
        self.tmux("kill-server", check_rc=False)


def _q(s):
    return "'" + str(s).replace("'", "'\\''") + "'"
