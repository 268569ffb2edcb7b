#!/usr/bin/env bash
# Fashion-MNIST Pareto fronts on the service (not a test; about 20 minutes on 2 cores):
#  1. a five-point mu sweep (BOPs prior, `bops` profile) on a server with two workers, timed, then
#     the same five points as five separate jobs on two fresh workers (cold pretrain caches), timed;
#  2. the same mu values with the BOPs prior and Free Bits on `pulp-xpulpv2`;
#  3. the latency prior on `pulp-xpulpv2`.
# Writes each sweep's result, chart and report, the points' own results and timings.txt under OUT,
# then the combined figure (bench/pareto_figure.py) as OUT/pareto-fashion-mnist.svg.
# Usage: bench/pareto_sweeps.sh [BUILD_DIR (default build)] [OUT (default results/pareto)]
# TRAIN_LIMIT=N TEST_LIMIT=M: the first N training / M test samples only (a quick trial run).
set -euo pipefail
BUILD=$(realpath "${1:-build}")
OUT=$(realpath -m "${2:-results/pareto}")
HERE=$(dirname "$(realpath "$0")")
MUS=${MUS:-0.01,0.03,0.1,0.3,1}
LATENCY_MUS=${LATENCY_MUS:-0.3,1,2,4,8}
export EPOCHS=${EPOCHS:-1}  # search epochs of every point; one fine-tune epoch follows
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bitsearch-pareto-XXXXXX")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export BITSEARCH_SERVER="127.0.0.1:$PORT"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BUILD/bitsearch-server" --listen "$BITSEARCH_SERVER" --metrics "" --db "$WORK/jobs.db" \
  --data-dir "$WORK/server-data" >"$OUT/server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do "$BUILD/bitsearch" list --limit 1 >/dev/null 2>&1 && break; sleep 0.1; done
# Two workers of one LibTorch thread each: the machine's two cores, one job per core.
WORKERS=()
start_workers() {  # $1: a tag for their data folders and logs (fresh folders = cold caches)
  for w in 1 2; do
    "$BUILD/bitsearch-worker" --threads 1 --data-dir "$WORK/$1-w$w" --poll-seconds 0.2 \
      >"$OUT/worker-$1-$w.log" 2>&1 &
    PIDS+=($!)
    WORKERS+=($!)
  done
}
stop_workers() {
  for pid in "${WORKERS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  WORKERS=()
}
spec() {  # $1 name, $2 profile, $3 regularizer, $4 mu (optional)
  python3 - "$@" <<'PY'
import json, os, sys
name, profile, prior = sys.argv[1:4]
search = {"epochs": int(os.environ["EPOCHS"]), "regularizer": prior}
if len(sys.argv) > 4:
    search["mu"] = float(sys.argv[4])
dataset = {"name": "fashion-mnist"}
for key, env in (("train_limit", "TRAIN_LIMIT"), ("test_limit", "TEST_LIMIT")):
    if int(os.environ.get(env, "0")) > 0:
        dataset[key] = int(os.environ[env])
print(json.dumps({"name": name, "model": {"zoo": "lenet5"}, "dataset": dataset,
                  "pretrain": {"epochs": 3}, "hardware": {"profile": profile}, "search": search,
                  "finetune": {"epochs": 1}}))
PY
}
# Pretrainings that trained (not taken from a shared pretraining or a worker's cache) in these logs.
trained_in() { grep -h "phase pretrain done" "$@" | grep -vc "shared\|cached" || true; }
now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.0f}')"; }
{ echo "machine: $(nproc) cores, $(uname -sr), load $(cut -d' ' -f1 /proc/loadavg) at start"
  echo "points: search $EPOCHS epoch(s), 1 fine-tune epoch; float model: 3 epochs; two workers of 1 thread"; } |
  tee "$OUT/timings.txt"

run_sweep() {  # $1 name, $2 profile, $3 regularizer, $4 mu values
  spec "$1" "$2" "$3" >"$WORK/$1.json"
  local t0 id
  t0=$(now)
  id=$("$BUILD/bitsearch" sweep "$WORK/$1.json" --set "search.mu=$4" 2>"$OUT/$1.submit.txt")
  "$BUILD/bitsearch" watch "$id" >"$OUT/$1.watch.txt" 2>&1 || echo "sweep $1 did not succeed" >&2
  echo "sweep $1 ($id, mu $4): $(elapsed "$t0" "$(now)") s wall" | tee -a "$OUT/timings.txt"
  "$BUILD/bitsearch" result "$id" --out "$OUT/$1.json" >/dev/null 2>&1
  "$BUILD/bitsearch" get "$id" --json >"$OUT/$1.get.json"
  mkdir -p "$OUT/$1.points"
  for job in $(python3 -c 'import json,sys; [print(p["id"]) for p in json.load(open(sys.argv[1]))["points"]]' "$OUT/$1.get.json"); do
    "$BUILD/bitsearch" result "$job" --json >"$OUT/$1.points/$job.json"
  done
}

# ---- 1. one sweep against five separate jobs ----------------------------------------------------
start_workers sweep
run_sweep bops-prior-bops bops bops "$MUS"
echo "float models trained by the sweep's workers: $(trained_in "$OUT"/worker-sweep-*.log)" |
  tee -a "$OUT/timings.txt"
stop_workers
start_workers separate
t0=$(now)
ids=()
for mu in ${MUS//,/ }; do
  spec "separate-mu$mu" bops bops "$mu" >"$WORK/separate-$mu.json"
  ids+=("$("$BUILD/bitsearch" submit "$WORK/separate-$mu.json")")
done
for id in "${ids[@]}"; do "$BUILD/bitsearch" watch "$id" >"$OUT/separate-$id.watch.txt" 2>&1 || echo "job $id failed" >&2; done
echo "${#ids[@]} separate jobs (mu $MUS): $(elapsed "$t0" "$(now)") s wall" | tee -a "$OUT/timings.txt"
echo "float models trained by the separate jobs: $(trained_in "$OUT"/separate-*.watch.txt) of ${#ids[@]}" |
  tee -a "$OUT/timings.txt"

# ---- 2./3. the pulp-xpulpv2 fronts (the same workers: their cache holds the float model) --------
run_sweep bops-prior-freebits-pulp pulp-xpulpv2 bops "$MUS"
run_sweep latency-prior-pulp pulp-xpulpv2 latency "$LATENCY_MUS"
stop_workers

python3 "$HERE/pareto_figure.py" --out "$OUT/pareto-fashion-mnist.svg" \
  "$OUT/bops-prior-bops.json" "$OUT/bops-prior-freebits-pulp.json" "$OUT/latency-prior-pulp.json"
echo "figure: $OUT/pareto-fashion-mnist.svg"
