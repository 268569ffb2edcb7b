#!/usr/bin/env bash
# Regenerates the end-to-end figures of docs/RESULTS.md: the default example and the specs in
# bench/specs/, each run embedded on full Fashion-MNIST, then one summary table.
#   bash bench/acceptance.sh [THREADS]
# The pretrained LeNet-5 is trained once and reused from the cache by the later jobs (same model,
# data, pretrain settings and seed), so only the first job pays for it.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-$(nproc)}
mkdir -p results/acceptance
for spec in examples/lenet5-fashion-mnist.json bench/specs/*.json; do
  name=$(basename "$spec" .json)
  echo "== $name"
  build/bitsearch run "$spec" --threads "$threads" --out "results/acceptance/$name.json" \
    > "results/acceptance/$name.log" 2>&1
done
python3 bench/summarize.py results/acceptance/*.json
