#!/usr/bin/env bash
# Measures the API's resident memory while a large ELF is uploaded (flat memory: the
# file is streamed to disk, never buffered). Not part of the test suite (too big/slow).
#   bash bench/upload-memory.sh [SIZE_MiB]     (default 1024; needs ~3x that in /tmp)
# Requires: a built dist/ (npm run build), Redis at REDIS_URL, objcopy, curl.
set -euo pipefail
cd "$(dirname "$0")/.."
MIB="${1:-1024}"
PORT="${PORT:-3917}"
W="$(mktemp -d)"
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT

# A real ELF with a build-id, padded by a huge non-loaded section.
head -c "$((MIB * 1024 * 1024))" /dev/zero > "$W/pad"
objcopy --add-section .bigpad="$W/pad" --set-section-flags .bigpad=noload,readonly \
  test/fixtures/store-cases/build/hello "$W/big.elf"
rm -f "$W/pad"
echo "file: $(stat -c %s "$W/big.elf") bytes"

STORAGE_ROOT="$W/store" PORT="$PORT" HOST=127.0.0.1 ROLE=api LOG_LEVEL=warn \
  QUEUE_PREFIX="bench-$$" MAX_UPLOAD_BYTES=$((4 * 1024 * 1024 * 1024)) node dist/main.js &
SERVER=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2}' "/proc/$SERVER/status"; }
echo "api RSS idle: $(rss) KiB"

peak=0
( while kill -0 "$SERVER" 2>/dev/null; do r=$(rss); echo "$r"; sleep 0.1; done ) > "$W/rss.log" &
SAMPLER=$!
start=$(date +%s.%N)
curl -fsS -F "files=@$W/big.elf" "http://127.0.0.1:$PORT/v1/symbols" -o "$W/answer.json"
end=$(date +%s.%N)
kill "$SAMPLER" 2>/dev/null || true
peak=$(sort -n "$W/rss.log" | tail -1)
echo "upload: $(echo "$end - $start" | bc) s; answer: $(head -c 300 "$W/answer.json")"
echo "api RSS peak during upload: $peak KiB; after: $(rss) KiB"
cmp "$W/big.elf" "$W/store/buildid/"*/executable && echo "stored bytes identical"
