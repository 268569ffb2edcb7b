#!/usr/bin/env bash
# End-to-end "bring your own model" through the service: an ONNX file written by the reference
# Python library is uploaded with `submit --onnx`, a real worker imports, searches, fine-tunes and
# exports it on a Fashion-MNIST subset saved as .npy, and `bitsearch result JOB --export DIR` brings
# back model.onnx (which the reference checker accepts, and which ONNX Runtime scores at the job's
# reported accuracy on the raw test pixels), quant.json and model.pt. Also: an unsupported operator is refused, and a job
# finished by a worker started with --no-export has nothing to export (one-line error, no files).
# Usage: service_export_test.sh SERVER_BIN WORKER_BIN CLIENT_BIN
source "$(dirname "$0")/service_lib.sh" "$@"

# The ONNX reference library comes from Debian's python3-onnx; find an interpreter that has it.
source "$(dirname "$0")/python_lib.sh"
find_python onnx numpy
"$PY" "$(dirname "$0")/make_test_onnx.py" "$WORK/mine.onnx"
"$PY" "$(dirname "$0")/make_test_onnx.py" "$WORK/odd.onnx" --unsupported
# The data the job reads: Fashion-MNIST subsets as uint8 NCHW .npy files.
"$PY" - "$WORK" <<'PY'
import gzip, sys, numpy as np
src, out = "/usr/share/datasets/fashion-mnist/", sys.argv[1]
def idx(name, offset):
    return np.frombuffer(gzip.open(src + name).read(), dtype=np.uint8, offset=offset)
for split, prefix, n in (("train", "train", 2000), ("test", "t10k", 1000)):
    np.save(f"{out}/{split}_x.npy", idx(f"{prefix}-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)[:n])
    np.save(f"{out}/{split}_y.npy", idx(f"{prefix}-labels-idx1-ubyte.gz", 8)[:n].astype(np.int64))
PY
export BITSEARCH_ORT_CACHE=${BITSEARCH_ORT_CACHE:-$(dirname "$CLIENT_BIN")/onnxruntime}
bash "$(dirname "$0")/onnxruntime/ort_eval.sh" --install || fail "ONNX Runtime could not be installed"

start_server
start_worker w1 --data-root "$WORK"  # the job reads .npy files from $WORK

cat >"$WORK/onnx-job.json" <<JSON
{"name":"onnx-upload","model":{"onnx":"mine.onnx"},
 "dataset":{"format":"npy","train":{"x":"train_x.npy","y":"train_y.npy"},
            "test":{"x":"test_x.npy","y":"test_y.npy"},"preprocess":{"scale":0.00392156862745098}},
 "export":{"include_preprocessing":true},
 "search":{"epochs":1,"batch_size":64},"finetune":{"epochs":1}}
JSON
id=$("$CLIENT_BIN" submit "$WORK/onnx-job.json" --onnx "$WORK/mine.onnx" | sed -n 1p)
[[ $id == job-* ]] || fail "submit printed '$id' instead of a job id"

# An operator outside the supported set: the job fails before training, naming op and node.
odd=$("$CLIENT_BIN" submit "$WORK/onnx-job.json" --onnx "$WORK/odd.onnx" | sed -n 1p)

wait_terminal 600 "$id"
[[ $(job_state "$id") == SUCCEEDED ]] || fail "$id ended $(job_state "$id"): $(job_field "$id" error)"
"$CLIENT_BIN" result "$id" --json --export "$WORK/export" >"$WORK/result.json" \
  || fail "result --export of $id"
for f in model.onnx quant.json model.pt; do
  [[ -s $WORK/export/$f ]] || fail "export lacks $f"
done
"$PY" - "$WORK/export" "$WORK/result.json" <<'PY' || fail "exported files do not check out"
import json, sys
import onnx
folder, result = sys.argv[1], json.load(open(sys.argv[2]))
model = onnx.load(folder + "/model.onnx")
onnx.checker.check_model(model, full_check=True)
ops = {n.op_type for n in model.graph.node}
assert {"QuantizeLinear", "DequantizeLinear", "Conv", "Gemm"} <= ops, ops
export = result["export"]
assert export["onnx_agreement_percent"] >= 99.9, export
assert export["payload_bytes"] == export["expected_payload_bytes"], export
quant = json.load(open(folder + "/quant.json"))
assert [l["name"] for l in quant["layers"]] == [l["name"] for l in result["layers"]], quant.keys()
assert quant["preprocessing"]["in_model"] is True, quant["preprocessing"]
print("export OK:", sorted(ops), export["payload_bytes"], "payload bytes")
PY
# ONNX Runtime on the raw test pixels (the export carries the preprocessing).
ort=$(bash "$(dirname "$0")/onnxruntime/ort_eval.sh" --model "$WORK/export/model.onnx" --x "$WORK/test_x.npy" \
      --y "$WORK/test_y.npy") || fail "ONNX Runtime could not run the export"
"$PY" - "$ort" "$WORK/result.json" <<'PY' || fail "ONNX Runtime disagrees with the reported accuracy: $ort"
import json, sys
ort, final = json.loads(sys.argv[1])["top1_percent"], json.load(open(sys.argv[2]))["accuracy"]["final"]
print(f"ONNX Runtime {ort:.2f}% vs reported final {final:.2f}%")
assert abs(ort - final) <= 0.2, (ort, final)  # 1,000 test samples: at most two flips
PY
log "ONNX upload -> search -> export round trip OK"

wait_terminal 120 "$odd"
[[ $(job_state "$odd") == FAILED ]] || fail "the unsupported model ended $(job_state "$odd")"
err=$(job_field "$odd" error)
[[ $err == *Erf* && $err == *odd_erf* ]] || fail "unsupported-op error does not name op and node: $err"
log "unsupported operator refused: $err"

# A worker that does not export: its jobs have a result but nothing to export.
kill "${WORKER_PIDS[w1]}"
wait "${WORKER_PIDS[w1]}" 2>/dev/null || true
start_worker w2 --no-export
write_spec "$WORK/zoo.json" "no-export" 256 1
zid=$("$CLIENT_BIN" submit "$WORK/zoo.json" | sed -n 1p)
wait_terminal 600 "$zid"
[[ $(job_state "$zid") == SUCCEEDED ]] || fail "$zid ended $(job_state "$zid")"
"$CLIENT_BIN" result "$zid" >/dev/null || fail "result of $zid without --export"
if "$CLIENT_BIN" result "$zid" --export "$WORK/none" 2>"$WORK/err.txt"; then
  fail "result --export of a job without export succeeded"
fi
[[ $(wc -l <"$WORK/err.txt") -eq 1 ]] || fail "error is not one line: $(cat "$WORK/err.txt")"
grep -q "no exported model" "$WORK/err.txt" || fail "no-export error: $(cat "$WORK/err.txt")"
[[ ! -e $WORK/none ]] || fail "a failed export still wrote $WORK/none"
log "job without export: $(cat "$WORK/err.txt")"
echo "PASS"
