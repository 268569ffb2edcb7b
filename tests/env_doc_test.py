#!/usr/bin/env python3
"""Every environment variable the code reads (std::getenv("NAME")) is documented in the README's
table of environment variables, and the table names no variable the code does not read.
Usage: env_doc_test.py REPO_ROOT
"""
import os
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
read = {}
for folder, dirs, files in os.walk(root):
    if pathlib.Path(folder) == root:  # build trees and hidden folders hold no sources of ours
        dirs[:] = [d for d in dirs if not d.startswith(("build", "."))]
    for f in files:
        if not f.endswith((".cc", ".h")) or f.endswith("_test.cc"):
            continue
        path = pathlib.Path(folder) / f
        for name in re.findall(r'getenv\("([A-Z_][A-Z0-9_]*)"\)', path.read_text(errors="replace")):
            read.setdefault(name, str(path.relative_to(root)))
readme = (root / "README.md").read_text()
table = readme.split("**Environment variables**", 1)
if len(table) < 2:
    sys.exit("README.md has no '**Environment variables**' table")
rows = re.findall(r"^\| `([A-Z_][A-Z0-9_]*)` \|", table[1].split("\n\n", 2)[1], re.M)
missing = sorted(set(read) - set(rows))
stale = sorted(set(rows) - set(read))
if missing or stale:
    for name in missing:
        print(f"README.md does not document {name} (read in {read[name]})")
    for name in stale:
        print(f"README.md documents {name}, which no code reads")
    sys.exit(1)
print(f"README.md documents all {len(read)} environment variables: {', '.join(sorted(read))}")
