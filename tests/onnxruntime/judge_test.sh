#!/usr/bin/env bash
# Self-test of the ONNX Runtime judge (ort_eval.sh): on a model whose logits are its input
# (Flatten + identity Gemm, written by the reference onnx library) the judge must report 100% for
# the right labels and 0% for shifted ones, agreement with the true logits and disagreement with
# negated ones, read uint8 and float16 samples, and fail loudly on a file that is not a model.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bitsearch-judge-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$HERE/../python_lib.sh"
find_python onnx numpy
"$PY" - "$WORK" <<'PY'
import sys, numpy as np, onnx
from onnx import TensorProto, helper, numpy_helper
out = sys.argv[1]
nodes = [helper.make_node("Flatten", ["input"], ["f"], axis=1),
         helper.make_node("Gemm", ["f", "w"], ["logits"], transB=1)]
graph = helper.make_graph(nodes, "identity", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 2, 5])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
                          [numpy_helper.from_array(np.eye(10, dtype=np.float32), "w")])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), out + "/identity.onnx")
rng = np.random.default_rng(3)
x = rng.standard_normal((300, 1, 2, 5)).astype(np.float32)
y = x.reshape(300, 10).argmax(1).astype(np.int64)
np.save(out + "/x.npy", x); np.save(out + "/x16.npy", x.astype(np.float16)); np.save(out + "/y.npy", y)
np.save(out + "/shifted.npy", (y + 1) % 10); np.save(out + "/logits.npy", x.reshape(300, 10))
np.save(out + "/negated.npy", -x.reshape(300, 10))
u8 = rng.integers(0, 256, (50, 1, 2, 5)).astype(np.uint8)
np.save(out + "/u8.npy", u8); np.save(out + "/u8y.npy", u8.reshape(50, 10).argmax(1).astype(np.int64))
open(out + "/garbage.onnx", "wb").write(b"not a model")
PY
judge() { bash "$HERE/ort_eval.sh" --model "$WORK/$1" --x "$WORK/$2" "${@:3}"; }
value() { "$PY" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
out=$(judge identity.onnx x.npy --y "$WORK/y.npy" --reference "$WORK/logits.npy")
echo "$out"
[[ $(value "$out" top1_percent) == 100.0 || $(value "$out" top1_percent) == 100 ]] || fail "right labels: $out"
[[ $(value "$out" agreement_percent) == 100 ]] || fail "true logits: $out"
[[ $(value "$out" max_abs_logit_diff) == 0 ]] || fail "true logits differ: $out"
out=$(judge identity.onnx x.npy --y "$WORK/shifted.npy" --reference "$WORK/negated.npy")
echo "$out"
[[ $(value "$out" top1_percent) == 0 ]] || fail "shifted labels scored: $out"
"$PY" -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["agreement_percent"] < 20 else 1)' "$out" \
  || fail "negated logits agree: $out"
out=$(judge identity.onnx x16.npy --y "$WORK/y.npy")
[[ $(value "$out" top1_percent) == 100 ]] || fail "float16 samples: $out"
out=$(judge identity.onnx u8.npy --y "$WORK/u8y.npy")
[[ $(value "$out" top1_percent) == 100 ]] || fail "uint8 samples: $out"
if judge garbage.onnx x.npy 2>"$WORK/err"; then fail "a file that is not a model was judged"; fi
grep -q "ONNX Runtime cannot load it" "$WORK/err" || fail "bad model error: $(cat "$WORK/err")"
echo "PASS"
