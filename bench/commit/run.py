#!/usr/bin/env python3
"""bench/commit: what a commit costs as the configuration grows.

For N = 100, 1,000 and 10,000 dynamic-endpoint service sets (gen.py; about
15 statements each), against a real mgd under a temporary root:
  load      "load override terminal" of the whole configuration (brace text)
  commit    the following full commit (validation, daemons, durable write)
  one-line  a one-statement change and its commit, on the same configuration
  xmllint   stock "xmllint --noout --schema schema/configuration.xsd" on the
            same configuration as XML (show configuration | display xml),
            timed in the same run: the anchor
Ratios printed: commit / xmllint (target <= 3) and one-line / (load +
commit) (target <= 0.05).  Wall-clock seconds, best of REPEAT runs for the
one-line commit.  Not part of the test command; --smoke runs N = 100 only.

  bench/commit/run.py [--smoke] [--build DIR] [--with CMD ...]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "../.."))
sys.path.insert(0, os.path.join(SRC, "tests/integration"))

import gen  # noqa: E402
from harness import Appliance  # noqa: E402

REPEAT = 3


def timed(f):
    t = time.perf_counter()
    r = f()
    return time.perf_counter() - t, r


def bench(n, daemons):
    text = gen.generate(n)
    statements = len(re.findall(r"[;{]\s*$", text, re.M))
    a = Appliance(env={"OPENSG_COMMIT_VERIFY": "0"}).start_mgd()
    try:
        for argv, name in daemons:
            a.start([x.replace("@ROOT@", a.root) for x in argv], name)
        c = a.client()
        c.configure()
        t_load, r = timed(lambda: c.edit("load override terminal", input=text))
        assert r.output == "load complete\n", r.output[:2000]
        t_commit, r = timed(lambda: c.edit("commit"))
        assert r.output.endswith("commit complete\n"), r.output[:2000]
        ones = []
        for i in range(REPEAT):
            t, r = timed(lambda: (c.edit(f"set system host-name bench{i}"), c.edit("commit"))[1])
            assert r.output.endswith("commit complete\n"), r.output[:2000]
            ones.append(t)
        r = c.command("show configuration", display="xml")
        m = re.search(r"<configuration[\s>].*</configuration>", r.raw, re.S)
        with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
            f.write(m.group(0))
            xml = f.name
        t_xmllint, p = timed(lambda: subprocess.run(
            ["xmllint", "--noout", "--schema", os.path.join(SRC, "schema/configuration.xsd"),
             xml], capture_output=True, text=True))
        assert p.returncode == 0, p.stderr[-2000:]
        os.unlink(xml)
        return dict(n=n, statements=statements, load=t_load, commit=t_commit, one=min(ones),
                    xmllint=t_xmllint)
    finally:
        a.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--build", default=os.path.join(SRC, "build"))
    ap.add_argument("--with", dest="daemons", action="append", default=[],
                    help="a daemon command line to run beside mgd (@ROOT@ = its root)")
    args = ap.parse_args()
    os.environ["OPENSG_BUILD"] = os.path.abspath(args.build)
    daemons = [(d.split(), f"daemon{i}") for i, d in enumerate(args.daemons)]
    sizes = [100] if args.smoke else [100, 1000, 10000]
    print(f"{'service sets':>12} {'statements':>10} {'load s':>8} {'commit s':>9} "
          f"{'xmllint s':>9} {'commit/xmllint':>14} {'one-line s':>10} {'one/(load+commit)':>17}")
    for n in sizes:
        r = bench(n, daemons)
        print(f"{r['n']:>12} {r['statements']:>10} {r['load']:>8.3f} {r['commit']:>9.3f} "
              f"{r['xmllint']:>9.3f} {r['commit'] / r['xmllint']:>14.2f} {r['one']:>10.3f} "
              f"{r['one'] / (r['load'] + r['commit']):>17.3f}", flush=True)


if __name__ == "__main__":
    main()
