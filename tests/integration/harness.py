"""Integration test harness: real daemons under a temporary --root, polled
with deadlines (never fixed sleeps), stopped by pid.  A test module lists
test_* functions; run(tests) prints one line per test and the closing
"N passed, M failed" line."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

from mgdclient import Client, wait_for

BUILD = os.environ.get("OPENSG_BUILD", os.path.join(os.path.dirname(__file__), "../../build"))
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))


def exe(name):
    build = os.environ.get("OPENSG_BUILD", BUILD)
    for cand in (os.path.join(build, name), os.path.join(build, os.path.basename(name))):
        if os.path.exists(cand):
            return cand
    raise FileNotFoundError(name)


class Daemon:
    def __init__(self, argv, log, env=None):
        self.log = log
        e = dict(os.environ)
        e.update(env or {})
        self.proc = subprocess.Popen(argv, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                                     env=e)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def wait_exit(self, timeout=20):
        return self.proc.wait(timeout)


class Appliance:
    """One mgd (and its daemons) under a private root."""

    def __init__(self, root=None, env=None):
        self.root = root or tempfile.mkdtemp(prefix="osg-", dir="/tmp")
        os.chmod(self.root, 0o711)
        self.env = env or {}
        self.mgd = None
        self.others = []

    def start_mgd(self, env=None):
        # every commit made from what changed is checked against the full
        # work (mgd aborts on a difference): the tests prove the shortcut
        e = {"OPENSG_COMMIT_VERIFY": "1"}
        e.update(self.env)
        e.update(env or {})
        sock = os.path.join(self.root, "mgd.sock")
        if os.path.exists(sock):
            os.unlink(sock)
        self.mgd = Daemon([exe("mgd/mgd"), "--root", self.root], os.path.join(self.root, "mgd.out"),
                          e)
        wait_for(lambda: self._connects(sock) or not self.mgd.alive(), what="mgd socket")
        if not self.mgd.alive():
            raise RuntimeError("mgd exited: " + open(self.mgd.log).read())
        return self

    @staticmethod
    def _connects(path):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def start(self, argv, name):
        d = Daemon(argv, os.path.join(self.root, name + ".out"), self.env)
        self.others.append(d)
        return d

    def client(self):
        return Client(self.root)

    def stop(self):
        rc = 0
        for d in self.others:
            d.stop()
        if self.mgd:
            rc = self.mgd.stop()
        return rc

    def cleanup(self):
        """Stop everything; mgd must exit 0 on SIGTERM (under ASan: no leak)."""
        alive = self.mgd is not None and self.mgd.alive()
        rc = self.stop()
        log = self.mgd_log()
        shutil.rmtree(self.root, ignore_errors=True)
        if alive and rc != 0:
            raise AssertionError(f"mgd exited {rc} on SIGTERM:\n{log[-3000:]}")

    def mgd_log(self):
        try:
            return open(os.path.join(self.root, "mgd.out")).read()
        except OSError:
            return ""


def configure(c, *lines, commit=True):
    """Enter configuration mode, run lines, commit; return the commit reply."""
    r = c.configure()
    assert not r.error, r.output
    for line in lines:
        r = c.edit(line)
        assert not r.error, (line, r.output)
    if not commit:
        return r
    r = c.edit("commit")
    c.exit_config()
    return r


def run(tests, needed=(), on_fail=None):
    """Run the steps (those named on the command line, if any); a failed
    step's traceback, then on_fail(); a failed step in `needed` ends the
    run.  Prints and returns the verdict (0: all passed)."""
    passed = failed = 0
    only = sys.argv[1:]
    for t in tests:
        if only and t.__name__ not in only:
            continue
        start = time.monotonic()
        try:
            t()
            passed += 1
            print(f"ok   {t.__name__} ({time.monotonic() - start:.1f} s)", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {t.__name__}", flush=True)
            traceback.print_exc()
            if on_fail:
                on_fail()
            if t in needed:
                break
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0
