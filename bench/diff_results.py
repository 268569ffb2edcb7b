#!/usr/bin/env python3
"""Compares two bitsearch result JSONs field by field, ignoring what may differ between two runs of
the same spec (timings, a baseline's seconds, thread count) and what the caller names with --ignore.

  python3 bench/diff_results.py BEFORE.json AFTER.json [--ignore PATH ...]
  python3 bench/diff_results.py BEFORE_DIR AFTER_DIR [--ignore PATH ...]   # every *.json in both

PATH is dotted ("spec.search.method", "export.dir"); list items are numbered ("layers.0.latency").
Numbers must be equal (results of the same seed are bit-identical), unless --rel-tol is given.
Prints each difference and a one-line verdict per pair; exits 1 when any pair differs."""
import argparse
import json
import math
import os
import sys

ALWAYS_IGNORED = ["timings", "threads"]


def differences(a, b, path, ignored, rel_tol):
    if path in ignored or (path.startswith("baselines.") and path.endswith(".seconds")):
        return  # a baseline's seconds are a timing too
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            sub = f"{path}.{key}" if path else key
            if sub in ignored:
                continue
            if key not in a:
                yield f"{sub}: added ({json.dumps(b[key])[:80]})"
            elif key not in b:
                yield f"{sub}: removed ({json.dumps(a[key])[:80]})"
            else:
                yield from differences(a[key], b[key], sub, ignored, rel_tol)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            yield f"{path}: {len(a)} items before, {len(b)} after"
        for i, (x, y) in enumerate(zip(a, b)):
            yield from differences(x, y, f"{path}.{i}", ignored, rel_tol)
    elif (isinstance(a, (int, float)) and isinstance(b, (int, float))
          and not isinstance(a, bool) and not isinstance(b, bool)):
        if a != b and not (rel_tol > 0 and math.isclose(a, b, rel_tol=rel_tol)):
            yield f"{path}: {a!r} before, {b!r} after"
    elif a != b:
        yield f"{path}: {json.dumps(a)[:80]} before, {json.dumps(b)[:80]} after"


def pairs(before, after):
    if os.path.isdir(before) and os.path.isdir(after):
        names = sorted(n for n in os.listdir(before) if n.endswith(".json"))
        missing = [n for n in names if not os.path.exists(os.path.join(after, n))]
        if missing:
            sys.exit(f"diff_results: not in {after}: {', '.join(missing)}")
        return [(os.path.join(before, n), os.path.join(after, n)) for n in names]
    return [(before, after)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--ignore", action="append", default=[], metavar="PATH")
    parser.add_argument("--rel-tol", type=float, default=0.0)
    args = parser.parse_args()
    ignored = set(ALWAYS_IGNORED + args.ignore)
    failed = False
    for before, after in pairs(args.before, args.after):
        with open(before) as f:
            a = json.load(f)
        with open(after) as f:
            b = json.load(f)
        diffs = list(differences(a, b, "", ignored, args.rel_tol))
        for d in diffs:
            print(f"  {d}")
        name = os.path.basename(after)
        print(f"{name}: {'SAME' if not diffs else f'{len(diffs)} difference(s)'} "
              f"(ignoring {', '.join(sorted(ignored))})")
        failed |= bool(diffs)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
