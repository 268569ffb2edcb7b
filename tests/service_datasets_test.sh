#!/usr/bin/env bash
# Data sets uploaded to the service, end to end with the real binaries on 127.0.0.1:
#  - `bitsearch datasets upload` of a folder, killed half-way through a rate-capped upload, then
#    run again: it sends only the chunks the server still lacks; a data set over the server's
#    --max-dataset-bytes is refused, and so is a truncated .npz (before anything is sent);
#    `datasets list` shows what was committed.
#  - Two jobs with {"ref": NAME} on two workers: each worker downloads the data set once (its log
#    line), a third job reuses a worker's cache.
#  - A chunk altered on the server's disk: the worker refuses the data set (the job fails naming
#    the digest) and caches nothing.
#  - A spec naming /etc/passwd or climbing out with ".." (of the workers' --data-root, or of an
#    uploaded data set) is refused at submission, so no worker ever leases it.
# Usage: service_datasets_test.sh SERVER_BIN WORKER_BIN CLIENT_BIN
source "$(dirname "$0")/service_lib.sh" "$@"

source "$(dirname "$0")/python_lib.sh"
find_python numpy
"$PY" - "$WORK" <<'PY'
import gzip, os, sys, numpy as np
src, out = os.environ.get("BITSEARCH_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"), sys.argv[1]
def idx(name, offset):
    return np.frombuffer(gzip.open(os.path.join(src, name)).read(), dtype=np.uint8, offset=offset)
x, y = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28), idx("train-labels-idx1-ubyte.gz", 8)
tx, ty = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28), idx("t10k-labels-idx1-ubyte.gz", 8)
np.savez_compressed(f"{out}/fm.npz", x_train=x[:2000], y_train=y[:2000].astype(np.int64),
                    x_test=tx[:500], y_test=ty[:500].astype(np.int64))
np.savez_compressed(f"{out}/fm2.npz", x_train=x[2000:3000], y_train=y[2000:3000].astype(np.int64),
                    x_test=tx[500:700], y_test=ty[500:700].astype(np.int64))
rng = np.random.default_rng(5)  # incompressible: every chunk distinct
os.makedirs(f"{out}/big/part")
for i in range(4):
    rng.integers(0, 256, 1_500_000, dtype=np.uint8).tofile(f"{out}/big/part/{i}.bin")
rng.integers(0, 256, 9_000_000, dtype=np.uint8).tofile(f"{out}/huge.bin")
PY

start_server --max-dataset-bytes 8000000
start_worker w1
start_worker w2

# ---- upload: cut off, resumed; size limit; list ----
"$CLIENT_BIN" datasets upload "$WORK/big" --name big --max-mib-per-s 1 >"$WORK/up-cut.log" 2>&1 &
up_pid=$!
PIDS+=("$up_pid")
stored_chunks() { find "$WORK/data/datasets/chunks" -type f -regextype posix-extended -regex '.*/[0-9a-f]{64}' 2>/dev/null | wc -l; }
two_stored() { [[ $(stored_chunks) -ge 2 ]]; }
wait_until 120 "the first chunks to reach the server" two_stored
kill -9 "$up_pid" 2>/dev/null || fail "the rate-capped upload finished before it was cut off"
wait "$up_pid" 2>/dev/null || true
"$CLIENT_BIN" datasets upload "$WORK/big" --name big >"$WORK/up-resume.log" 2>&1 || fail "resumed upload: $(cat "$WORK/up-resume.log")"
cat "$WORK/up-resume.log"
read -r sent already < <(sed -n 's/.*(\([0-9]*\) chunks sent, \([0-9]*\) already on the server).*/\1 \2/p' "$WORK/up-resume.log")
[[ ${already:-0} -ge 1 ]] || fail "the resumed upload re-sent everything: $(cat "$WORK/up-resume.log")"
[[ $((sent + already)) -eq 8 ]] || fail "expected 8 chunks in all (4 files x 2): sent $sent, already $already"
log "upload cut off and resumed: $already chunks were already on the server, $sent sent"
if "$CLIENT_BIN" datasets upload "$WORK/huge.bin" --name huge >"$WORK/huge.log" 2>&1; then fail "an over-limit data set was accepted"; fi
grep -q -- "--max-dataset-bytes" "$WORK/huge.log" || fail "size limit error: $(cat "$WORK/huge.log")"
# A truncated archive is refused before anything is sent, naming the file (exit 2: bad input).
head -c 20000 "$WORK/fm.npz" >"$WORK/cut.npz"
set +e
"$CLIENT_BIN" datasets upload "$WORK/cut.npz" --name cut >"$WORK/cut.log" 2>&1
rc=$?
set -e
[[ $rc -eq 2 ]] || fail "a truncated .npz: exit $rc: $(cat "$WORK/cut.log")"
grep -q "cut.npz" "$WORK/cut.log" || fail "truncated archive error: $(cat "$WORK/cut.log")"
log "truncated archive refused: $(cat "$WORK/cut.log")"
"$CLIENT_BIN" datasets upload "$WORK/fm.npz" --name fm || fail "upload fm.npz"
"$CLIENT_BIN" datasets list
"$CLIENT_BIN" datasets list --json >"$WORK/list.json"
fm_digest=$("$PY" -c 'import json,sys; print({d["name"]: d["digest"] for d in json.load(open(sys.argv[1]))}["fm"])' "$WORK/list.json")
[[ $fm_digest == sha256:* ]] || fail "fm not listed: $(cat "$WORK/list.json")"
[[ $("$PY" -c 'import json,sys; print(sorted(d["name"] for d in json.load(open(sys.argv[1]))))' "$WORK/list.json") == "['big', 'fm']" ]] \
  || fail "list: $(cat "$WORK/list.json")"

# ---- jobs on two workers: one download each, then the cache ----
spec() {  # spec FILE NAME REF
  cat >"$1" <<JSON
{"name":"$2","model":"lenet5","dataset":{"ref":"$3","format":"npz"},
 "pretrain":{"epochs":1},"search":{"epochs":1,"batch_size":64},"finetune":{"epochs":1},"baselines":[]}
JSON
}
spec "$WORK/a.json" ds-a fm
spec "$WORK/b.json" ds-b fm
a=$("$CLIENT_BIN" submit "$WORK/a.json" | head -n 1)
b=$("$CLIENT_BIN" submit "$WORK/b.json" | head -n 1)
wait_terminal 900 "$a" "$b"
for id in "$a" "$b"; do
  [[ $(job_state "$id") == SUCCEEDED ]] || fail "$id ended $(job_state "$id"): $(job_field "$id" error)"
done
"$CLIENT_BIN" get "$a" --json | grep -q "$fm_digest" || fail "the job's spec does not pin the digest"
downloads() { cat "$WORK"/w1.log "$WORK"/w2.log | grep -c "dataset fm ($fm_digest) downloaded" || true; }
for w in w1 w2; do
  n=$(grep -c "dataset fm ($fm_digest) downloaded" "$WORK/$w.log" || true)
  [[ $n -eq 1 ]] || fail "$w downloaded the data set $n times (expected once)"
done
log "each worker downloaded fm once"
spec "$WORK/c.json" ds-c fm
c=$("$CLIENT_BIN" submit "$WORK/c.json" | head -n 1)
wait_terminal 600 "$c"
[[ $(job_state "$c") == SUCCEEDED ]] || fail "$c ended $(job_state "$c"): $(job_field "$c" error)"
[[ $(downloads) -eq 2 ]] || fail "the third job downloaded the data set again"
cat "$WORK"/w1.log "$WORK"/w2.log | grep -q "dataset fm ($fm_digest) from this worker's cache" || fail "no cache hit logged"
log "third job: data set from a worker's cache"

# ---- a chunk altered on the server's disk: refused by the worker, nothing cached ----
before=$(find "$WORK/data/datasets/chunks" -type f | sort)
"$CLIENT_BIN" datasets upload "$WORK/fm2.npz" --name fm2 || fail "upload fm2.npz"
new_chunk=$(comm -13 <(echo "$before") <(find "$WORK/data/datasets/chunks" -type f | sort) | head -n 1)
[[ -n $new_chunk ]] || fail "fm2 stored no new chunk"
"$PY" -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=0xFF; open(p,"wb").write(bytes(b))' "$new_chunk"
spec "$WORK/t.json" ds-tampered fm2
t=$("$CLIENT_BIN" submit "$WORK/t.json" | head -n 1)
wait_terminal 300 "$t"
[[ $(job_state "$t") == FAILED ]] || fail "a job on a tampered data set ended $(job_state "$t")"
err=$(job_field "$t" error)
[[ $err == *"does not match its SHA-256"* ]] || fail "tampered chunk error: $err"
fm2_hex=$("$PY" -c 'import json,sys; print({d["name"]: d["digest"] for d in json.load(sys.stdin)}["fm2"][7:])' \
  < <("$CLIENT_BIN" datasets list --json))
for w in w1 w2; do
  [[ ! -e $WORK/$w/datasets/$fm2_hex ]] || fail "$w cached the tampered data set"
done
log "tampered chunk refused: $err"

# ---- paths that could leave the workers' --data-root: refused at submission ----
jobs_before=$("$CLIENT_BIN" list --json | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
for path in /etc/passwd "imgs/../../etc"; do
  cat >"$WORK/out.json" <<JSON
{"name":"outside","model":"lenet5","dataset":{"format":"image-folder","path":"$path"}}
JSON
  if "$CLIENT_BIN" submit "$WORK/out.json" >"$WORK/out.log" 2>&1; then fail "a spec reading $path was accepted"; fi
  grep -Eq "must be relative|may not contain '..'" "$WORK/out.log" || fail "refusal for $path: $(cat "$WORK/out.log")"
  log "refused: $(cat "$WORK/out.log")"
done
cat >"$WORK/inref.json" <<'JSON'
{"name":"inside-ref","model":"lenet5","dataset":{"ref":"fm","format":"npz","path":"../../etc/passwd"}}
JSON
if "$CLIENT_BIN" submit "$WORK/inref.json" >"$WORK/inref.log" 2>&1; then fail "a path climbing out of an uploaded data set was accepted"; fi
grep -q "inside the uploaded data set" "$WORK/inref.log" || fail "refusal: $(cat "$WORK/inref.log")"
jobs_after=$("$CLIENT_BIN" list --json | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
[[ $jobs_before -eq $jobs_after ]] || fail "a refused spec was queued ($jobs_before -> $jobs_after jobs)"
echo "PASS"
