"""Steps shared by the `image` suite's tests (test_vpn.py, test_netconf.py)."""
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "images"))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
import imagebuild  # noqa: E402
from harness import run  # noqa: E402


def build():
    """The image: built once and shared by the suite's tests (imagebuild's
    input hash and lock); the manifest."""
    t0 = time.monotonic()
    m = imagebuild.build()
    print(f"     {m['qcow2']} ({m['sizes']['qcow2'] >> 20} MiB), {time.monotonic() - t0:.1f} s",
          flush=True)
    return m


def blank_config(work, mib=64):
    """A blank raw configuration disk in `work` (formatted at boot)."""
    cfg = os.path.join(work, "config.img")
    with open(cfg, "wb") as f:
        f.truncate(mib << 20)
    return cfg


def main(S, steps, needed, name, setup=None, teardown=None):
    """Run the steps (harness.run(); a failed one in `needed` ends the
    run) with S["work"] a new temporary directory and setup() first; then,
    whatever happens (SIGTERM included), stop the appliance S["app"], call
    teardown(failed) and remove the directory.  The exit status."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    t0 = time.monotonic()
    S["work"] = tempfile.mkdtemp(prefix=f"osg-{name}-test-")
    rc = 1
    try:
        if setup:
            setup()
        rc = run(steps, needed=needed,
                 on_fail=lambda: "app" in S and print(S["app"].tail(40), flush=True))
    except Exception:
        traceback.print_exc()
        print("0 passed, 1 failed")
    finally:
        if "app" in S:
            S.pop("app").stop()
        if teardown:
            teardown(rc != 0)
        shutil.rmtree(S["work"], ignore_errors=True)
        print(f"     total {time.monotonic() - t0:.1f} s")
    return rc
