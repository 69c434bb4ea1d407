#!/usr/bin/env python3
"""bench/cli/startup: time from starting the CLI to its first prompt.

Times `cli --root ROOT` with empty standard input against a running mgd
(connect, ask mgd for the host name, print the prompt, exit): best of N
runs, wall clock.  The anchor in the same run is the start of a process
that does nothing (`/bin/true`) and of `xmllint --version`, so the ratio
says how much the CLI adds to the cost of starting any program.  Target:
prompt in <= 50 ms with the full schema (the CLI reads the schema only when
completion or help first needs it).

  bench/cli/startup.py [--build DIR] [--runs N]
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "../.."))
sys.path.insert(0, os.path.join(SRC, "tests/integration"))

from harness import Appliance  # noqa: E402


def best(argv, runs, stdin=b""):
    t_best = None
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(argv, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True)
        dt = time.perf_counter() - t
        t_best = dt if t_best is None else min(t_best, dt)
    return t_best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(SRC, "build"))
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    os.environ["OPENSG_BUILD"] = os.path.abspath(args.build)
    a = Appliance().start_mgd()
    try:
        cli = best([os.path.join(args.build, "cli/cli"), "--root", a.root], args.runs)
        true = best(["/bin/true"], args.runs)
        xl = best(["xmllint", "--version"], args.runs)
        print(f"{'cli to prompt':>16} {'/bin/true':>10} {'xmllint --version':>18} "
              f"{'cli/true':>9} {'cli/xmllint':>12}")
        print(f"{cli * 1000:>13.1f} ms {true * 1000:>7.1f} ms {xl * 1000:>15.1f} ms "
              f"{cli / true:>9.1f} {cli / xl:>12.2f}")
        print(f"target <= 50 ms: {'met' if cli <= 0.05 else 'MISSED'}")
    finally:
        a.cleanup()


if __name__ == "__main__":
    main()
