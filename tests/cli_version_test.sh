#!/usr/bin/env bash
# Every binary answers --version with "NAME VERSION" (VERSION from CMake's project()) and exit 0.
# Usage: cli_version_test.sh VERSION BITSEARCH SERVER WORKER HEALTH
set -euo pipefail
version=$1
shift
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "project version '$version' is not MAJOR.MINOR.PATCH"
for bin in "$@"; do
  name=$(basename "$bin")
  out=$("$bin" --version) || fail "$name --version exited $?"
  [[ $out == "$name $version" ]] || fail "$name --version printed '$out', expected '$name $version'"
  echo "ok: $out"
done
