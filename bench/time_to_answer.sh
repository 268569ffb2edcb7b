#!/usr/bin/env bash
# Wall time to the final model of a job, per phase, with its accuracy and relative BOPs.
#   bash bench/time_to_answer.sh [SPEC] [THREADS]
# Default SPEC: bench/specs/time-to-answer-default.json, the full Fashion-MNIST LeNet-5 job with
# every setting at its default. The pretrained model is not taken from the cache (--no-cache), so
# pretraining is timed too; baselines (none by default) are listed apart from the answer's time.
# Aim (issue 16): final top-1 >= 91.5% at <= 1% relative BOPs in under 6 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
spec=${1:-bench/specs/time-to-answer-default.json}
threads=${2:-2}
name=$(basename "$spec" .json)
out=results/time_to_answer/$name.json
mkdir -p results/time_to_answer
[ -x build/bitsearch ] || { echo "time_to_answer: build build/bitsearch first" >&2; exit 1; }
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
start=$(date +%s.%N)
build/bitsearch run "$spec" --threads "$threads" --no-cache --out "$out" \
  --checkpoint "results/time_to_answer/$name.ckpt" > "results/time_to_answer/$name.log" 2>&1
end=$(date +%s.%N)
/usr/bin/python3 - "$out" "$start" "$end" "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg)" "$threads" <<'PY'
import json
import sys

r = json.load(open(sys.argv[1]))
start, end = float(sys.argv[2]), float(sys.argv[3])
t = r["timings"]
answer = sum(v for k, v in t.items() if k != "total" and not k.startswith("baseline:"))
print(f"spec: {r['name']}  threads: {sys.argv[6]}  load average: {sys.argv[4]} -> {sys.argv[5]}")
s = r["spec"]
print(f"pretrain {s['pretrain']}  search epochs {s['search']['epochs']} mu {s['search']['mu']}  "
      f"finetune {s['finetune']}")
for k, v in t.items():
    if k != "total":
        print(f"  {k:<20} {v:8.1f} s")
print(f"time to the final model (phases up to fine-tune): {answer:.1f} s = {answer / 60:.2f} min")
print(f"process wall time (with start-up, baselines, result writing): {end - start:.1f} s")
acc, bops = r["accuracy"]["final"], r["relative_bops_percent"]
print(f"fp32 {r['accuracy']['fp32']:.2f}%  final {acc:.2f}% at {bops:.3f}% relative BOPs")
ok = acc >= 91.5 and bops <= 1.0 and answer < 360
print(f"aim (>= 91.5% at <= 1% relative BOPs in < 6 min): {'met' if ok else 'missed'}")
PY
