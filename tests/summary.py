#!/usr/bin/env python3
"""Print time per suite from meson's testlog.json, then 'N passed, M failed'.
Exits 1 when any test failed or was skipped (a skip hides a missing tool)."""
import json
import sys
from collections import defaultdict

suites = defaultdict(lambda: [0, 0.0])
passed = failed = skipped = 0
with open(sys.argv[1]) as f:
    for line in f:
        t = json.loads(line)
        suite = t["name"].split(" / ")[0].split(":")[-1]
        suites[suite][0] += 1
        suites[suite][1] += t.get("duration", 0.0)
        res = t.get("result")
        if res in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif res == "SKIP":
            skipped += 1
            print(f"SKIPPED: {t['name']}")
        else:
            failed += 1
            print(f"FAILED: {t['name']} ({res})")
print("time per suite:")
for s, (n, d) in sorted(suites.items()):
    print(f"  {s:<16} {n:4d} tests {d:8.1f} s")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or skipped else 0)
