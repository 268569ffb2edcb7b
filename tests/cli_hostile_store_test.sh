#!/usr/bin/env bash
# The CLI never aborts on what a server stores. A real server's database is given what a buggy or
# hostile worker could have stored (progress with a step past the total or below zero, results
# that are null, an array, a string, or have a string accuracy); `watch`, `result`, `result --out`
# and `compare` must answer with output or a one-line reason, never a crash (exit 134 was
# std::length_error in `watch`, and `result` aborted on the wrong shapes).
# Usage: cli_hostile_store_test.sh SERVER_BIN WORKER_BIN CLIENT_BIN
source "$(dirname "$0")/service_lib.sh" "$@"
B=$CLIENT_BIN

start_server
write_spec "$WORK/spec.json" hostile 256 1
ids=()
for i in 1 2 3 4 5 6; do ids+=("$("$B" submit "$WORK/spec.json" | head -n 1)"); done
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "server did not stop cleanly"
PIDS=()

# What a worker could have stored: written straight into the server's database while it is down.
python3 - "$WORK/jobs.db" "${ids[@]}" <<'PY'
import sqlite3, struct, sys

def varint(n):
    n &= (1 << 64) - 1  # int64 two's complement, as protobuf encodes negatives
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)

def field_varint(num, v): return varint(num << 3) + varint(v)
def field_bytes(num, b): return varint((num << 3) | 2) + varint(len(b)) + b
def field_double(num, d): return varint((num << 3) | 1) + struct.pack("<d", d)

def progress(job, seq, step, total, loss=0.5):
    p = field_bytes(1, b"search") + field_varint(2, 1) + field_varint(3, 1) + \
        field_varint(4, step) + field_varint(5, total) + field_double(6, loss)
    return field_bytes(1, job.encode()) + field_varint(2, seq) + field_varint(4, 3) + field_bytes(10, p)

def state(job, seq, st, msg):
    return field_bytes(1, job.encode()) + field_varint(2, seq) + field_varint(4, 1) + \
        field_varint(5, st) + field_bytes(9, msg)

db = sqlite3.connect(sys.argv[1])
jobs = sys.argv[2:]
watch_job = jobs[0]
seq = db.execute("SELECT last_sequence FROM jobs WHERE id=?", (watch_job,)).fetchone()[0]
events = [lambda s: progress(watch_job, s, 500, 100), lambda s: progress(watch_job, s, -5, 100),
          lambda s: progress(watch_job, s, 5, 0), lambda s: progress(watch_job, s, 5, -1),
          lambda s: progress(watch_job, s, (1 << 63) - 1, 1),
          lambda s: progress(watch_job, s, -(1 << 63), 3, float("nan")),
          lambda s: state(watch_job, s, 3, b"\x1b[2J done")]
for make in events:
    seq += 1
    db.execute("INSERT INTO events(job_id, sequence, payload) VALUES (?, ?, ?)", (watch_job, seq, make(seq)))
db.execute("UPDATE jobs SET state='SUCCEEDED', finished_ms=1, last_sequence=? WHERE id=?", (seq, watch_job))
results = {jobs[1]: "null", jobs[2]: "[1, 2, 3]", jobs[3]: '"89.1"',
           jobs[4]: '{"name": "odd", "accuracy": {"final": "high", "fp32": 89.5}, "layers": 5,'
                    ' "latency": {"final": 1e308, "unit": 7}, "relative_bops_percent": 1.5,'
                    ' "baselines": [{"name": "w8a8", "accuracy": "x"}, 3]}',
           jobs[5]: "[" * 100000 + "]" * 100000}
for job, text in results.items():
    db.execute("UPDATE jobs SET state='SUCCEEDED', finished_ms=1 WHERE id=?", (job,))
    db.execute("INSERT INTO results(job_id, result_json, created_ms) VALUES (?, ?, 1)", (job, text))
db.commit()
PY

start_server

expect_rc 0 "watch of impossible progress events" "$B" watch "${ids[0]}"
grep -q "500/100" "$WORK/out.txt" || fail "watch did not print the step past the total"
grep -q "\[########################\]" "$WORK/out.txt" || fail "no full bar for step 500 of 100"
grep -q "\[------------------------\]" "$WORK/out.txt" || fail "no empty bar for step -5"
if grep -q $'\x1b' "$WORK/out.txt"; then fail "a terminal escape from the server reached the terminal"; fi

for i in 1 2 3; do
  expect_rc 1 "result of a stored ${i}-th wrong shape" "$B" result "${ids[$i]}"
  grep -q "not a JSON object" "$WORK/err.txt" || fail "result ${ids[$i]}: $(cat "$WORK/err.txt")"
  expect_rc 1 "result --out of a wrong shape" "$B" result "${ids[$i]}" --out "$WORK/wrong$i.json"
  [[ ! -e $WORK/wrong$i.json ]] || fail "result --out wrote a file for a result that is not an object"
  expect_rc 0 "result --json of a wrong shape prints it as stored" "$B" result "${ids[$i]}" --json
done

expect_rc 0 "result with ill-typed fields" "$B" result "${ids[4]}"
grep -q "accuracy.final: expected a number" "$WORK/err.txt" || fail "no warning naming accuracy.final"
grep -q "layers: expected an array, got 5" "$WORK/err.txt" || fail "no warning naming layers"
grep -q "fp32 89.50%" "$WORK/out.txt" || fail "the readable figures are not shown"
expect_rc 0 "result --out with ill-typed fields" "$B" result "${ids[4]}" --out "$WORK/odd/odd.json"
for f in odd.json odd.svg odd.html; do [[ -s $WORK/odd/$f ]] || fail "result --out did not write $f"; done
grep -q "could not be read" "$WORK/odd/odd.html" || fail "the report does not list the unreadable fields"
expect_rc 0 "compare of a result with ill-typed fields" "$B" compare "${ids[4]}" "$WORK/odd/odd.json"
expect_rc 1 "compare of a result that is not an object" "$B" compare "${ids[4]}" "${ids[1]}"

expect_rc 1 "result nested 100000 levels deep" "$B" result "${ids[5]}"
grep -q "nests deeper than" "$WORK/err.txt" || fail "deep result: $(cat "$WORK/err.txt")"
log "PASS cli_hostile_store"
