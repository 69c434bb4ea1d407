#!/usr/bin/env python3
"""Crash tests of mgd's durable storage: mgd is stopped dead at every step
of every durable write of a commit (OPENSG_CRASH_AT, docs/mgd.md); after a
restart the configuration is the old or the new one, never a mix, the
history is intact, the daemons are resynchronized to what is durable; and
strace shows the syscall order of each write (temp file, fsync, rename,
fsync of the directory; history before the index)."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Appliance, configure, exe, run  # noqa: E402
from mgdclient import wait_for  # noqa: E402

FILES = ("journal", "history", "index")
STEPS = ("after-temp-write", "after-fsync", "after-rename")
# the index rename is the commit point
NEW_AFTER = {"after-rename:index"}


def host_name(c):
    text = c.command("show configuration system host-name").text("configuration-text")
    return re.search(r"host-name (\S+);", text).group(1)


def check_history(a, c):
    hist = c.command("show system commit").xml.findall(".//commit-history")
    index = open(os.path.join(a.root, "db", "history", "index")).read().splitlines()
    assert len(hist) == len(index), (hist, index)
    for line in index:
        seq = line.split("\t")[0]
        # a full configuration or a delta from the previous one (docs/mgd.md)
        path = os.path.join(a.root, "db", "history", f"r{seq}")
        assert os.path.exists(path + ".conf") or os.path.exists(path + ".delta"), path
    assert not os.path.exists(os.path.join(a.root, "db", "journal"))
    leftovers = [f for f in os.listdir(os.path.join(a.root, "db", "history")) if f.endswith(".tmp")]
    assert not leftovers, leftovers
    return len(hist)


def crash_case(point):
    a = Appliance().start_mgd()
    try:
        c = a.client()
        configure(c, "set system host-name old")
        c.close()
        assert a.mgd.stop() == 0
        a.start_mgd(env={"OPENSG_CRASH_AT": point})
        c = a.client()
        c.configure()
        c.edit("set system host-name new")
        try:
            r = c.edit("commit")
            raise AssertionError(f"{point}: commit answered {r.output!r}")
        except (ConnectionError, OSError):
            pass
        assert a.mgd.wait_exit() == 99, a.mgd_log()
        a.start_mgd()
        c = a.client()
        expected = "new" if point in NEW_AFTER else "old"
        got = host_name(c)
        assert got == expected, (point, got)
        n = check_history(a, c)
        assert n == (3 if expected == "new" else 2), (point, n)
        # the configuration still commits afterwards
        configure(c, "set system host-name after")
        assert host_name(c) == "after"
        check_history(a, c)
    finally:
        a.cleanup()


def make_case(point):
    def t():
        crash_case(point)
    t.__name__ = "test_crash_" + point.replace("-", "_").replace(":", "_")
    return t


CASES = [make_case(f"{s}:{f}") for f in FILES for s in STEPS] + \
    [make_case("between-apply-persist")]


def rollback_host(c, n):
    out = c.command(f"show system rollback {n}").text("configuration-output") or ""
    m = re.search(r"host-name (\S+);", out)
    return m.group(1) if m else None


def test_delta_history():
    """Commits store what changed (history/rSEQ.delta); every rollback reads
    back the same after a restart and after a crash in the middle of a
    delta's write; a full file comes back after DB_DELTA_CHAIN deltas."""
    a = Appliance().start_mgd()
    try:
        c = a.client()
        names = [f"d{i}" for i in range(20)]
        for i, name in enumerate(names):
            extra = [f"set interfaces ge-0/0/{i} description x{i}"] if i % 3 == 0 else []
            if i % 5 == 4:
                extra.append(f"delete interfaces ge-0/0/{i - 4}")
            r = configure(c, f"set system host-name {name}", *extra)
            assert r.output.endswith("commit complete\n"), r.output
        hist = os.path.join(a.root, "db", "history")
        files = sorted(os.listdir(hist))
        assert any(f.endswith(".delta") for f in files), files
        # at most DB_DELTA_CHAIN - 1 deltas follow a full file
        assert sum(f.endswith(".conf") for f in files) >= 2, files
        want = {n: rollback_host(c, n) for n in range(len(names) + 1)}
        assert want[0] == names[-1] and want[5] == names[-6], want
        committed = c.command("show configuration").text("configuration-text")
        c.close()
        assert a.mgd.stop() == 0
        a.start_mgd()
        c = a.client()
        assert c.command("show configuration").text("configuration-text") == committed
        assert {n: rollback_host(c, n) for n in want} == want
        # a crash after the delta's rename, before the index: the old state
        c.close()
        assert a.mgd.stop() == 0
        a.start_mgd(env={"OPENSG_CRASH_AT": "after-rename:history"})
        c = a.client()
        c.configure()
        c.edit("set system host-name crashed")
        try:
            c.edit("commit")
            raise AssertionError("the commit answered")
        except (ConnectionError, OSError):
            pass
        assert a.mgd.wait_exit() == 99, a.mgd_log()
        a.start_mgd()
        c = a.client()
        assert host_name(c) == names[-1]
        assert {n: rollback_host(c, n) for n in want} == want
        check_history(a, c)
        # rolling back through deltas commits what the rollback held
        r = configure(c, "rollback 7")
        assert r.output.endswith("commit complete\n"), r.output
        assert host_name(c) == want[7]
        assert rollback_host(c, 1) == names[-1]
        check_history(a, c)
    finally:
        a.cleanup()


def test_syscall_order():
    if shutil.which("strace") is None:
        raise AssertionError("strace is not installed (tests/deps.txt)")
    a = Appliance()
    try:
        Appliance.start_mgd(a)
        c = a.client()
        configure(c, "set system host-name base")
        c.close()
        assert a.mgd.stop() == 0
        trace = os.path.join(a.root, "strace.out")
        sock = os.path.join(a.root, "mgd.sock")
        os.unlink(sock) if os.path.exists(sock) else None
        # LeakSanitizer cannot run under ptrace: leaks are checked elsewhere
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
        p = subprocess.Popen(["strace", "-f", "-qq", "-o", trace, "-e",
                              "trace=openat,fsync,rename,unlink,close", exe("mgd/mgd"),
                              "--root", a.root], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=env)
        wait_for(lambda: Appliance._connects(sock), what="mgd under strace")
        c = a.client()
        configure(c, "set system host-name traced")
        c.close()
        mgd_pid = int(open(os.path.join(a.root, "mgd.pid")).read())
        os.kill(mgd_pid, 15)
        assert p.wait(30) == 0
        calls = open(trace).read().splitlines()
        fds = {}
        events = []
        for line in calls:
            m = re.search(r'openat\(AT_FDCWD, "([^"]+)", [^)]*\) = (\d+)', line)
            if m:
                fds[m.group(2)] = m.group(1)
                events.append(("open", m.group(1)))
                continue
            m = re.search(r"fsync\((\d+)\)", line)
            if m:
                events.append(("fsync", fds.get(m.group(1), "?")))
                continue
            m = re.search(r'rename\("([^"]+)", "([^"]+)"\)', line)
            if m:
                events.append(("rename", m.group(1), m.group(2)))
                continue
            m = re.search(r'unlink\("([^"]+)"\)', line)
            if m:
                events.append(("unlink", m.group(1)))

        def index_of(ev):
            assert ev in events, (ev, events)
            return events.index(ev)
        db = os.path.join(a.root, "db")
        hist = [e for e in events if e[0] == "rename" and re.search(r"/history/r\d+\.(conf|delta)$", e[2])]
        assert hist, events
        target = hist[-1][2]
        index = os.path.join(db, "history", "index")
        journal = os.path.join(db, "journal")
        for final in (journal, target, index):
            tmp = final + ".tmp"
            o = index_of(("open", tmp))
            f = events.index(("fsync", tmp), o)
            r = events.index(("rename", tmp, final), f)
            d = events.index(("fsync", os.path.dirname(final)), r)
            assert o < f < r < d, (final, o, f, r, d)
        # the journal comes first, the history file before the index, the
        # journal goes last
        assert index_of(("rename", journal + ".tmp", journal)) < \
            index_of(("rename", target + ".tmp", target)) < \
            index_of(("rename", index + ".tmp", index)) < index_of(("unlink", journal))
    finally:
        a.cleanup()


if __name__ == "__main__":
    sys.exit(run(CASES + [test_delta_history, test_syscall_order]))
