#!/usr/bin/env bash
# The README's "Run the service on one machine" block, run as written: the first ```sh block of
# that section, in a fresh HOME, with the repository's build/ and examples/ beside it and only the
# two port numbers (50051, 9464) replaced by free ones. Then what it promised is checked: the
# job's result files, a CANCELLED second job, and both processes gone after its `kill`.
# Usage: readme_service_test.sh REPO_ROOT BUILD_DIR
set -euo pipefail
REPO=$(realpath "$1")
BUILD=$(realpath "$2")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bitsearch-readme-XXXXXX")
fail() { echo "FAIL: $*" >&2; exit 1; }
cleanup() {
  local rc=$?
  [[ -f $WORK/pids ]] && while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done <"$WORK/pids"
  if [[ $rc -ne 0 ]]; then echo "---- FAILED (rc=$rc) ----" >&2; tail -n 60 "$WORK/run/block.log" >&2 || true; fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

python3 - "$REPO/README.md" >"$WORK/block.sh" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
section = text.split("## Run the service on one machine", 1)[1].split("\n## ", 1)[0]
block = re.search(r"```sh\n(.*?)```", section, re.S)
assert block, "no ```sh block in the section"
print(block.group(1))
PY
PORT=$(free_port)
METRICS=$(free_port)
grep -q 50051 "$WORK/block.sh" && grep -q 9464 "$WORK/block.sh" || fail "the block no longer names ports 50051 and 9464"
sed -i "s/50051/$PORT/g; s/9464/$METRICS/g" "$WORK/block.sh"

mkdir -p "$WORK/home" "$WORK/run"
ln -s "$BUILD" "$WORK/run/build"
ln -s "$REPO/examples" "$WORK/run/examples"
cd "$WORK/run"
# Run it the way a person pastes it into bash, stopping at the first failing command. Background
# pids are recorded so that a failure half-way still kills them.
HOME="$WORK/home" BITSEARCH_SERVER='' BITSEARCH_TOKEN='' timeout 1200 bash -c '
  set -euo pipefail
  unset BITSEARCH_SERVER BITSEARCH_TOKEN
  record() { jobs -p >"$1"; }
  trap "record '"$WORK/pids"'" DEBUG
  source "'"$WORK/block.sh"'"
  trap - DEBUG
  wait
' >"$WORK/run/block.log" 2>&1 || fail "the README block failed (exit $?)"

for f in quick.json quick.svg quick.html quick-raw.json; do
  [[ -s results/$f ]] || fail "the block did not produce results/$f"
done
python3 - results/quick.json results/quick-raw.json <<'PY' || fail "the result files disagree or lack figures"
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert a == b, "result --out and result --json differ"
assert a["accuracy"]["final"] is not None and a["layers"], a.keys()
PY
grep -q '"state": "CANCELLED"' block.log || fail "list --state CANCELLED --json shows no cancelled job"
grep -q "SUCCEEDED" block.log || fail "watch did not report SUCCEEDED"
grep -q "SERVING" block.log || fail "the health probe never answered SERVING"
while read -r pid; do
  kill -0 "$pid" 2>/dev/null && fail "process $pid still runs after the block's kill and wait"
done <"$WORK/pids"
echo "PASS readme_service"
