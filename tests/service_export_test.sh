#!/usr/bin/env bash
# End-to-end "bring your own model" through the service: an ONNX file written by the reference
# Python library is uploaded with `submit --onnx`, a real worker imports, searches, fine-tunes and
# exports it, and `bitsearch result JOB --export DIR` brings back model.onnx (which the reference
# checker accepts), quant.json and model.pt. Also: an unsupported operator is refused, and a job
# finished by a worker started with --no-export has nothing to export (one-line error, no files).
# Usage: service_export_test.sh SERVER_BIN WORKER_BIN CLIENT_BIN
source "$(dirname "$0")/service_lib.sh" "$@"

# The ONNX reference library comes from Debian's python3-onnx; find an interpreter that has it.
PY=""
for candidate in python3 /usr/bin/python3; do
  if "$candidate" -c 'import onnx' 2>/dev/null; then PY=$candidate; break; fi
done
[[ -n $PY ]] || fail "no python3 with the onnx module (Debian package python3-onnx)"
"$PY" "$(dirname "$0")/make_test_onnx.py" "$WORK/mine.onnx"
"$PY" "$(dirname "$0")/make_test_onnx.py" "$WORK/odd.onnx" --unsupported

start_server
start_worker w1

cat >"$WORK/onnx-job.json" <<'JSON'
{"name":"onnx-upload","model":{"onnx":"mine.onnx"},
 "dataset":{"name":"synthetic","synthetic_train":1024,"synthetic_test":256},
 "search":{"epochs":1,"batch_size":64},"finetune":{"epochs":1}}
JSON
id=$("$CLIENT_BIN" submit "$WORK/onnx-job.json" --onnx "$WORK/mine.onnx" | sed -n 1p)
[[ $id == job-* ]] || fail "submit printed '$id' instead of a job id"

# An operator outside the supported set: the job fails before training, naming op and node.
odd=$("$CLIENT_BIN" submit "$WORK/onnx-job.json" --onnx "$WORK/odd.onnx" | sed -n 1p)

wait_until 600 "$id to finish" terminal "$id"
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
print("export OK:", sorted(ops), export["payload_bytes"], "payload bytes")
PY
log "ONNX upload -> search -> export round trip OK"

wait_until 120 "$odd to finish" terminal "$odd"
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
wait_until 600 "$zid to finish" terminal "$zid"
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
