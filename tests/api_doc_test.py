#!/usr/bin/env python3
"""docs/API.md describes every RPC, message, field and enum value of proto/bitsearch/v1/*.proto.

Fails naming what is missing, so that a new RPC or field cannot land without its documentation.
Usage: api_doc_test.py REPO_ROOT
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
doc = (root / "docs/API.md").read_text()
missing = []


def strip_comments(text):
    return re.sub(r"//[^\n]*", "", text)


def blocks(text, keyword):
    """(name, body) of each `keyword NAME { ... }`, braces matched (one-line messages too)."""
    out = []
    for m in re.finditer(keyword + r"\s+(\w+)\s*\{", text):
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        out.append((m.group(1), text[m.end():i - 1]))
    return out


def section(name):
    """The text from the message's bold heading to the next bold heading or section title."""
    m = re.search(r"\*\*" + re.escape(name) + r"\*\*", doc)
    if not m:
        return None
    rest = doc[m.end():]
    end = re.search(r"\n\*\*[A-Z]|\*\*[A-Z][A-Za-z]+\*\*:|\n#", rest)
    return rest[: end.start()] if end else rest


protos = sorted((root / "proto/bitsearch/v1").glob("*.proto"))
if not protos:
    sys.exit("no protos found under proto/bitsearch/v1")
for proto in protos:
    text = strip_comments(proto.read_text())
    for service, body in blocks(text, "service"):
        if f"## {service}" not in doc:
            missing.append(f"service {service}")
        for rpc in re.findall(r"rpc\s+(\w+)\s*\(", body):
            if f"### {rpc}\n" not in doc:
                missing.append(f"rpc {service}.{rpc} (a '### {rpc}' section)")
    # Messages (nested enums are checked by their values).
    for name, body in blocks(text, "message"):
        sec = section(name)
        if sec is None:
            missing.append(f"message {name} (a '**{name}**' entry)")
            continue
        flat = re.sub(r"enum\s+\w+\s*\{.*?\}", "", body, flags=re.S)
        for field in re.findall(r"^\s*(?:repeated\s+)?[\w.]+\s+(\w+)\s*=\s*\d+\s*;", flat, re.M):
            if f"`{field}`" not in sec:
                missing.append(f"field {name}.{field}")
    for enum, body in blocks(text, "enum"):
        for value in re.findall(r"^\s*(\w+)\s*=", body, re.M):
            if value not in doc:
                missing.append(f"enum value {enum}.{value}")

if missing:
    print("docs/API.md does not describe:\n  " + "\n  ".join(missing))
    sys.exit(1)
print(f"docs/API.md covers {len(protos)} protos")
