#!/usr/bin/env bash
# Every binary answers --version with "NAME VERSION" (VERSION from CMake's project()) and exit 0,
# and rejects a flag it does not know with exit 2 (not CLI11's 100-127) and a reason on stderr.
# Usage: cli_version_test.sh VERSION BITSEARCH BITSEARCH_EMBEDDED SERVER WORKER HEALTH
set -euo pipefail
version=$1
shift
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "project version '$version' is not MAJOR.MINOR.PATCH"
err=$(mktemp)
trap 'rm -f "$err"' EXIT
for bin in "$@"; do
  name=$(basename "$bin")
  out=$("$bin" --version) || fail "$name --version exited $?"
  [[ $out == "$name $version" ]] || fail "$name --version printed '$out', expected '$name $version'"
  set +e
  "$bin" --no-such-flag >/dev/null 2>"$err"
  rc=$?
  set -e
  [[ $rc -eq 2 ]] || fail "$name --no-such-flag exited $rc, expected 2"
  [[ -s $err ]] || fail "$name rejected a flag without saying why"
  echo "ok: $out; a rejected flag exits 2"
done
