#!/usr/bin/env bash
# Service load benchmark (not a test): starts bitsearch-server on a free loopback port with a
# fresh database, preloads 10,000 stored jobs, then runs `bitsearch bench-load` (submit+get) at
# 1, 16 and 64 concurrent clients and prints throughput and p50/p99 latency for each.
# Usage: bench/service_load_bench.sh [BUILD_DIR (default build)] [PRELOAD (default 10000)]
set -euo pipefail
BUILD=${1:-build}
PRELOAD=${2:-10000}
REQUESTS=${REQUESTS:-500}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bitsearch-load-XXXXXX")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BUILD/bitsearch-server" --listen "127.0.0.1:$PORT" --metrics "" --db "$WORK/jobs.db" \
  --data-dir "$WORK/data" >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
export BITSEARCH_SERVER="127.0.0.1:$PORT"
for _ in $(seq 1 100); do "$BUILD/bitsearch" list --limit 1 >/dev/null 2>&1 && break; sleep 0.1; done
echo "machine: $(nproc) cores, $(uname -sr)"
"$BUILD/bitsearch" bench-load --clients 16 --requests $(((PRELOAD + 15) / 16)) | sed -n 2p |
  sed "s/^/preload of $PRELOAD jobs: /"
for clients in 1 16 64; do
  echo
  "$BUILD/bitsearch" bench-load --clients "$clients" --requests "$REQUESTS"
done
echo
echo "jobs stored at the end: $(sqlite3 "$WORK/jobs.db" 'SELECT COUNT(*) FROM jobs' 2>/dev/null || echo '?')"
