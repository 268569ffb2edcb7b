#!/usr/bin/env bash
# End-to-end test of `bitsearch run`: a job interrupted mid-search (Ctrl-C, then kill -9) and
# resumed ends with the same result as one run straight through; bad input fails with a one-line
# reason and a non-zero exit. Usage: cli_run_test.sh PATH/TO/bitsearch
set -euo pipefail
BIN=$1
WORK=$(mktemp -d /tmp/bitsearch-cli-test.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cat > "$WORK/spec.json" <<'SPEC'
{"name": "cli-resume", "model": {"zoo": "lenet5"},
 "dataset": {"name": "synthetic", "synthetic_train": 1500, "synthetic_test": 300},
 "pretrain": {"epochs": 1}, "search": {"epochs": 2, "mu": 0.1, "seed": 5},
 "finetune": {"epochs": 1}, "checkpoint_every": 5}
SPEC
cd "$WORK"
# Only the accuracy, bits and costs must agree (timings differ run to run).
summary() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps([r["accuracy"], r["layers"], r["relative_bops_percent"], r["latency"]["final"]]))' "$1"; }

"$BIN" run spec.json --out straight.json --threads 1 --no-cache --checkpoint straight.ckpt > straight.log 2>&1 \
  || { cat straight.log; fail "straight run failed"; }
[ ! -e straight.ckpt ] || fail "a finished job leaves no checkpoint behind"
[ -s straight.svg ] || fail "no chart beside the result"

# Ctrl-C in the search: exit 130, checkpoint kept, the hint printed.
"$BIN" run spec.json --out resumed.json --threads 1 --no-cache --checkpoint job.ckpt > part1.log 2>&1 &
PID=$!; PIDS+=("$PID")
for _ in $(seq 1 600); do grep -q "^search " part1.log 2>/dev/null && break; sleep 0.2; done
grep -q "^search " part1.log || { cat part1.log; fail "the job never reached the search"; }
kill -INT "$PID"
set +e; wait "$PID"; rc=$?; set -e
[ "$rc" = 130 ] || { cat part1.log; fail "Ctrl-C exit code $rc, expected 130"; }
[ -s job.ckpt ] || fail "no checkpoint after Ctrl-C"
grep -q -- "--resume" part1.log || fail "no hint how to continue"

# Resume, then kill -9 once it has written a later checkpoint: the next resume uses that one.
"$BIN" run spec.json --out resumed.json --threads 1 --no-cache --checkpoint job.ckpt --resume > part2.log 2>&1 &
PID=$!; PIDS+=("$PID")
before=$(stat -c %Y.%s job.ckpt; md5sum < job.ckpt)
for _ in $(seq 1 600); do [ "$(stat -c %Y.%s job.ckpt; md5sum < job.ckpt)" != "$before" ] && break; sleep 0.2; done
kill -9 "$PID" 2>/dev/null || true
wait "$PID" 2>/dev/null || true
grep -q "resuming from checkpoint" part2.log || { cat part2.log; fail "second part did not resume"; }

"$BIN" run spec.json --out resumed.json --threads 1 --no-cache --checkpoint job.ckpt --resume > part3.log 2>&1 \
  || { cat part3.log; fail "final resume failed"; }
grep -q "resuming from checkpoint" part3.log || fail "third part did not resume"
[ "$(summary straight.json)" = "$(summary resumed.json)" ] || {
  summary straight.json; summary resumed.json; fail "resumed result differs from the straight run"; }

# Bad input: one line on stderr naming the field, non-zero exit, nothing written.
echo '{"model": {"zoo": "lenet5"}, "search": {"max_bits": 3}}' > bad.json
set +e; "$BIN" run bad.json --out bad-result.json > bad.out 2> bad.err; rc=$?; set -e
[ "$rc" != 0 ] || fail "a bad spec exited 0"
grep -q "search.max_bits" bad.err || { cat bad.err; fail "error does not name the field"; }
[ "$(wc -l < bad.err)" = 1 ] || { cat bad.err; fail "error is not one line"; }
[ ! -e bad-result.json ] || fail "a bad spec wrote a result"

# The run says which device it used. A device this build or machine lacks (cuda:99: none has it)
# is a usage error (exit 2): one line naming the flag and the device, before any work.
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["device"] == "cpu", r["device"]' \
  straight.json || fail "the result does not say the job ran on the CPU"
set +e; "$BIN" run spec.json --out cuda.json --device cuda:99 > cuda.out 2> cuda.err; rc=$?; set -e
[ "$rc" = 2 ] || { cat cuda.err; fail "--device cuda:99 exited $rc, expected 2"; }
grep -q -- '--device: device "cuda:99"' cuda.err || { cat cuda.err; fail "the error does not name the device"; }
[ "$(wc -l < cuda.err)" = 1 ] || { cat cuda.err; fail "device error is not one line"; }
[ ! -e cuda.json ] && [ ! -e .bitsearch/cli-resume.ckpt ] || fail "a refused device wrote a result or checkpoint"
# OpenBLAS's kernels (the result's blas_core): on a CPU with AVX2 and FMA never one of the older
# ones OpenBLAS falls back to on CPU models it does not know (bitsearch restarts itself with
# OPENBLAS_CORETYPE then); a value the user set is kept.
if [ "$(uname -m)" = x86_64 ]; then
  blas_core() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["blas_core"])' "$1"; }
  if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
    case "$(blas_core straight.json)" in
      "" | Prescott | Core2 | Penryn | Dunnington | Nehalem | Atom | Sandybridge)
        fail "OpenBLAS ran its $(blas_core straight.json) kernels on a CPU with AVX2 and FMA" ;;
    esac
  fi
  cat > tiny.json <<'SPEC'
{"name": "cli-blas", "model": {"zoo": "lenet5"},
 "dataset": {"name": "synthetic", "synthetic_train": 256, "synthetic_test": 64},
 "pretrain": {"epochs": 1}, "search": {"epochs": 0}, "finetune": {"epochs": 0}}
SPEC
  OPENBLAS_CORETYPE=Prescott "$BIN" run tiny.json --out tiny-result.json --threads 1 --no-cache > tiny.log 2>&1 \
    || { cat tiny.log; fail "the run with OPENBLAS_CORETYPE failed"; }
  [ "$(blas_core tiny-result.json)" = Prescott ] || fail "OPENBLAS_CORETYPE=Prescott was not kept: $(blas_core tiny-result.json)"
fi
echo "cli_run_test: 6 passed, 0 failed"
