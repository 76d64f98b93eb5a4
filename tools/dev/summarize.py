#!/usr/bin/env python3
"""Sums JUnit XML results (GoogleTest and pytest) under a folder and prints one line:
"N passed, M failed". Exits non-zero if anything failed or no test ran."""
import pathlib
import sys
import xml.etree.ElementTree as ET


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "build/results")
    passed = failed = skipped = 0
    for path in sorted(root.rglob("*.xml")):
        try:
            tree = ET.parse(path)
        except ET.ParseError:
            print(f"unreadable result file: {path}")
            failed += 1
            continue
        for case in tree.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
                name = f"{case.get('classname', '')}.{case.get('name', '')}"
                print(f"FAILED {path.parent.name}/{path.stem}: {name}")
            elif case.find("skipped") is not None or case.get("result") == "skipped":
                skipped += 1
            else:
                passed += 1
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
