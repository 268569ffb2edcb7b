#!/usr/bin/env bash
# Gradient-L1 ("quantization-ready") pretraining judged by post-training quantization, on
# Fashion-MNIST LeNet-5: for plain pretraining and for each LAMBDAS value (lambda_w = lambda_a),
# the float accuracy and the W4A4 and W4A8 post-training accuracy (search.method "none": ranges
# set on 1,024 training samples, nearest rounding, no training after). One pretraining per
# variant (the pretrain cache serves the second bit width). Prints a Markdown table
# (docs/RESULTS.md "Gradient-L1 pretraining").
#   BIN=build/bitsearch THREADS=2 EPOCHS=3 LAMBDAS="0.01 0.05" bench/methods/grad_l1_ptq.sh
set -euo pipefail
BIN=${BIN:-build/bitsearch}
THREADS=${THREADS:-2}
EPOCHS=${EPOCHS:-3}
LAMBDAS=${LAMBDAS:-"0.01 0.05"}
BITS=${BITS:-"4,4 4,8"}
OUT=${OUT:-/tmp/bitsearch-grad-l1}
mkdir -p "$OUT"
echo "| pretraining | fp32 top-1 | pretrain s | $(for b in $BITS; do echo -n "W${b%,*}A${b#*,} PTQ top-1 | "; done)"
echo "|---|---|---|$(for b in $BITS; do echo -n "---|"; done)"
for lambda in plain $LAMBDAS; do
  line="| $([ "$lambda" = plain ] && echo plain || echo "grad-L1 lambda $lambda") |"
  first=1
  for b in $BITS; do
    name="gl1-$lambda-w${b%,*}a${b#*,}"
    /usr/bin/python3 - "$OUT/$name.json" "$name" "$lambda" "$EPOCHS" "${b%,*}" "${b#*,}" <<'PY'
import json, sys
path, name, lam, epochs, w, a = sys.argv[1:]
pretrain = {"epochs": int(epochs)}
if lam != "plain":
    pretrain["grad_l1"] = {"lambda_w": float(lam), "lambda_a": float(lam)}
json.dump({"name": name, "model": "lenet5", "dataset": {"name": "fashion-mnist"},
           "pretrain": pretrain, "search": {"method": "none"}, "refine": {"method": "none"},
           "finetune": {"epochs": 0}, "ptq": {"weight_bits": int(w), "act_bits": int(a)}},
          open(path, "w"))
PY
    "$BIN" run "$OUT/$name.json" --threads "$THREADS" --out "$OUT/$name.result.json" \
      > "$OUT/$name.log" 2>&1 || { echo "job $name failed: see $OUT/$name.log" >&2; exit 1; }
    read -r fp32 final pre <<<"$(/usr/bin/python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))
print(r['accuracy']['fp32'], r['accuracy']['final'], r['timings'].get('pretrain', 0))" "$OUT/$name.result.json")"
    if [ $first = 1 ]; then line="$line $(printf %.2f "$fp32")% | $(printf %.0f "$pre") |"; first=0; fi
    line="$line $(printf %.2f "$final")% |"
  done
  echo "$line"
done
