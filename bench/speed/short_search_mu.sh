#!/usr/bin/env bash
# Does mu still mean something in a short search? A one-search-epoch LeNet-5 job on 6,000
# Fashion-MNIST training samples (43 search steps after the validation split), default spec
# otherwise, at mu 0.01 and mu 3: with the default gate schedule (a rate from the search's length)
# and with the fixed rate of earlier versions (search.gate_lr 0.01). Prints one line per job:
# searched and final relative BOPs, searched and final top-1, and the gate rate the job logged.
#   bash bench/speed/short_search_mu.sh BITSEARCH_BIN OUT_DIR [THREADS]
# MUS (default "0.01 3") and SCHEDULES (default "default fixed") choose the jobs.
set -euo pipefail
bin=$(realpath "$1")
out=$(realpath -m "$2")
threads=${3:-2}
mkdir -p "$out"
for schedule in ${SCHEDULES:-default fixed}; do
  for mu in ${MUS:-0.01 3}; do
    name="mu$mu-$schedule"
    python3 - "$out/$name.spec.json" "$mu" "$schedule" <<'PY'
import json, sys
search = {"epochs": 1, "mu": float(sys.argv[2])}
if sys.argv[3] == "fixed":
    search["gate_lr"] = 0.01
spec = {"name": "short-search", "model": {"zoo": "lenet5"},
        "dataset": {"name": "fashion-mnist", "train_limit": 6000}, "search": search}
json.dump(spec, open(sys.argv[1], "w"), indent=1)
PY
    "$bin" run "$out/$name.spec.json" --threads "$threads" --out "$out/$name.json" \
      >"$out/$name.log" 2>&1
    python3 - "$out/$name.json" "$out/$name.log" "$mu" "$schedule" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
rate = re.search(r"gate learning rate ([0-9.e+-]+)", open(sys.argv[2]).read())
print(f"mu {sys.argv[3]:>4} {sys.argv[4]:>7} schedule: searched {r['relative_bops_percent_searched']:.3f}%"
      f" -> final {r['relative_bops_percent']:.3f}% relative BOPs, top-1 searched"
      f" {r['accuracy']['searched']:.2f}% final {r['accuracy']['final']:.2f}%,"
      f" gate rate {rate.group(1) if rate else '?'}")
PY
  done
done
