#!/usr/bin/env python3
"""Print the closing line of tests/run: "N passed, N failed[, N skipped]".

Counts meson's unit-test logs (BUILD/meson-logs/testlog.json, one JSON object
per line) for each build directory given, and pytest's JUnit XML. Exit status
1 when anything failed or when nothing ran at all."""
import json
import os
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
for arg in sys.argv[1:]:
    if arg.endswith(".xml"):
        if not os.path.exists(arg):
            failed += 1  # pytest did not even produce a report
            continue
        root = ET.parse(arg).getroot()
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        for s in suites:
            total = int(s.get("tests", 0))
            f = int(s.get("failures", 0)) + int(s.get("errors", 0))
            sk = int(s.get("skipped", 0))
            passed += total - f - sk
            failed += f
            skipped += sk
    else:
        log = os.path.join(arg, "meson-logs", "testlog.json")
        if not os.path.exists(log):
            failed += 1
            continue
        with open(log) as fh:
            for line in fh:
                r = json.loads(line).get("result")
                if r in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif r == "SKIP":
                    skipped += 1
                else:
                    failed += 1
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed or passed == 0 else 0)
