#!/usr/bin/env bash
# Acceptance of "your own model and data", with tools bitsearch did not write as the judges:
#  1. A small CNN trained in PyTorch (pixels / 255) is exported with torch.onnx.export and its data
#     saved with numpy.save (tests/pytorch_model.py). `bitsearch run` imports it with the matching
#     dataset.preprocess and reports the float accuracy PyTorch measured (within 0.1 point); the
#     job runs end to end (search, refine, fine-tune, export).
#  2. ONNX Runtime (npm onnxruntime-node) runs the exported model.onnx on the inputs the user feeds
#     the model (pixels / 255) and scores the job's reported final accuracy (within 0.1 point).
#  3. The same for a zoo LeNet-5 trained by bitsearch, whose export carries the preprocessing:
#     ONNX Runtime and PyTorch (model.pt) on the raw pixels give the reported final accuracy.
#  4. A spec importing the model without dataset.preprocess is refused before anything runs.
# Usage: own_model_test.sh CLIENT_BIN
set -euo pipefail
CLIENT_BIN=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bitsearch-own-model-XXXXXX")
trap 'rc=$?; [[ $rc -eq 0 ]] && rm -rf "$WORK" || echo "---- FAILED (rc=$rc); files in $WORK" >&2' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*"; }
export BITSEARCH_ORT_CACHE=${BITSEARCH_ORT_CACHE:-$(dirname "$CLIENT_BIN")/onnxruntime}
ORT="$HERE/onnxruntime/ort_eval.sh"
source "$HERE/python_lib.sh"
find_python torch numpy onnx
bash "$ORT" --install || fail "ONNX Runtime could not be installed (see above)"
cd "$WORK"

# 2,000 training images (of Fashion-MNIST's first) are enough for a model far above chance (about
# 80%), which is all the agreement checks below need; the test set stays at 2,000 images, so that
# 0.1 point is two of them.
log "training the PyTorch model"
"$PY" "$HERE/pytorch_model.py" "$WORK/user" --train 2000 --test 2000 | tee "$WORK/pytorch.json"
field() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval("d"+sys.argv[2]))' "$@"; }
within() { "$PY" -c 'import sys; a,b,t=map(float,sys.argv[1:4]); sys.exit(0 if abs(a-b)<=t else 1)' "$@"; }

# 4. No preprocessing named: refused, with the explanation, before any work.
cat >"$WORK/nopre.json" <<JSON
{"name": "no-pre", "model": {"onnx": "user/model.onnx"},
 "dataset": {"format": "npy", "layout": "NHWC", "train": {"x": "user/train_x.npy", "y": "user/train_y.npy"},
             "test": {"x": "user/test_x.npy", "y": "user/test_y.npy"}}}
JSON
if "$CLIENT_BIN" run "$WORK/nopre.json" --out "$WORK/nopre-result.json" 2>"$WORK/nopre.err"; then
  fail "a spec importing a model without dataset.preprocess ran"
fi
grep -q 'dataset.preprocess: required for an imported ONNX model' "$WORK/nopre.err" || fail "refusal: $(cat "$WORK/nopre.err")"
grep -q '0.00392156862745098' "$WORK/nopre.err" || fail "refusal lacks the pixels / 255 example"
[[ ! -e $WORK/nopre-result.json ]] || fail "a refused spec wrote a result"
log "no preprocess: refused"

# 1. The model with its preprocessing (pixels / 255), end to end with export.
"$PY" - "$WORK/nopre.json" "$WORK/user-job.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["name"] = "user-cnn"
spec["dataset"]["preprocess"] = {"scale": 0.00392156862745098}
spec.update({"hardware": {"profile": "bops"}, "search": {"epochs": 1, "batch_size": 128},
             "refine": {"method": "freebits"}, "finetune": {"epochs": 1}, "baselines": []})
json.dump(spec, open(sys.argv[2], "w"))
PY
log "bitsearch run on the imported model"
"$CLIENT_BIN" run "$WORK/user-job.json" --out "$WORK/user-result.json" --export "$WORK/user-export" --no-cache --threads 1 \
  >"$WORK/user-run.log" 2>&1 || { tail -n 20 "$WORK/user-run.log"; fail "bitsearch run on the imported model"; }
pt=$(field "$WORK/pytorch.json" '["pytorch_top1"]')
fp=$(field "$WORK/user-result.json" '["accuracy"]["fp32"]')
final=$(field "$WORK/user-result.json" '["accuracy"]["final"]')
log "PyTorch top-1 $pt%, bitsearch fp32 $fp%, final $final%"
within "$pt" "$fp" 0.1 || fail "bitsearch's float accuracy $fp% is not PyTorch's $pt%"
for phase in search refine finetune; do
  [[ $(field "$WORK/user-result.json" "[\"timings\"].get(\"$phase\") is not None") == True ]] || fail "phase $phase did not run"
done
[[ $(field "$WORK/user-result.json" '["refine"]["applied"]') == True ]] || fail "refinement not applied"
within "$(field "$WORK/user-result.json" '["preprocessing"]["scale"]')" 0.00392156862745098 1e-9 \
  || fail "result records preprocessing $(field "$WORK/user-result.json" '["preprocessing"]')"
[[ $(field "$WORK/user-result.json" '["warnings"]') == "[]" ]] || fail "warnings for a good model"
[[ $(field "$WORK/user-export/quant.json" '["preprocessing"]["in_model"]') == False ]] || fail "quant.json preprocessing"

# 2. ONNX Runtime on what the user feeds the model (pixels / 255).
bash "$ORT" --model "$WORK/user-export/model.onnx" --x "$WORK/user/test_x_div255.npy" --y "$WORK/user/test_y.npy" \
  | tee "$WORK/user-ort.json"
ort=$(field "$WORK/user-ort.json" '["top1_percent"]')
log "ONNX Runtime on the user's export: $ort% (reported final $final%)"
within "$ort" "$final" 0.1 || fail "ONNX Runtime scores $ort%, the job reported $final%"

# 3. A zoo LeNet-5 trained by bitsearch: its export takes raw pixels.
cat >"$WORK/zoo-job.json" <<'JSON'
{"name": "zoo-lenet5", "model": "lenet5",
 "dataset": {"name": "fashion-mnist", "train_limit": 2000, "test_limit": 2000},
 "pretrain": {"epochs": 1}, "search": {"epochs": 1}, "finetune": {"epochs": 1}, "baselines": []}
JSON
log "bitsearch run on the zoo LeNet-5"
"$CLIENT_BIN" run "$WORK/zoo-job.json" --out "$WORK/zoo-result.json" --export "$WORK/zoo-export" --no-cache --threads 1 \
  >"$WORK/zoo-run.log" 2>&1 || { tail -n 20 "$WORK/zoo-run.log"; fail "bitsearch run on lenet5"; }
zfinal=$(field "$WORK/zoo-result.json" '["accuracy"]["final"]')
[[ $(field "$WORK/zoo-export/quant.json" '["preprocessing"]["in_model"]') == True ]] || fail "zoo export lacks preprocessing"
"$PY" -c 'import numpy as np, sys; x=np.load(sys.argv[1]); np.save(sys.argv[2], np.ascontiguousarray(x.transpose(0,3,1,2)))' \
  "$WORK/user/test_x.npy" "$WORK/raw_nchw.npy"
bash "$ORT" --model "$WORK/zoo-export/model.onnx" --x "$WORK/raw_nchw.npy" --y "$WORK/user/test_y.npy" | tee "$WORK/zoo-ort.json"
zort=$(field "$WORK/zoo-ort.json" '["top1_percent"]')
zpt=$("$PY" - "$WORK/zoo-export/model.pt" "$WORK/raw_nchw.npy" "$WORK/user/test_y.npy" <<'PY'
import sys, numpy as np, torch
m = torch.jit.load(sys.argv[1])
x = torch.from_numpy(np.load(sys.argv[2]).astype(np.float32))
y = torch.from_numpy(np.load(sys.argv[3]))
with torch.no_grad():
    print((m(x).argmax(1) == y).float().mean().item() * 100)
PY
)
log "zoo LeNet-5: reported final $zfinal%, ONNX Runtime on raw pixels $zort%, PyTorch model.pt $zpt%"
within "$zort" "$zfinal" 0.1 || fail "ONNX Runtime scores the zoo export $zort%, the job reported $zfinal%"
within "$zpt" "$zfinal" 0.1 || fail "model.pt scores $zpt%, the job reported $zfinal%"
echo "FIGURES pytorch=$pt bitsearch_fp32=$fp final=$final ort=$ort zoo_final=$zfinal zoo_ort=$zort zoo_pt=$zpt"
echo "PASS"
