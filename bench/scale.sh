#!/usr/bin/env bash
# Store at scale (issue 18 §4): the app's requests against a store holding 1,000,000 messages and
# 100,000 calls across 20,000 numbers (bench/seed_scale.py, the real schema with its triggers).
# Starts the release `vbx serve` on a free 127.0.0.1 port, logs in (a `vbx user add` user, the
# session cookie), and measures with wrk (bench/paths.lua) the conversation list, its second
# page, the conversation filter (`search`), the full-text search of texts and voicemails
# (`search_text`, GET /api/search) and its second page, thread pages, the call log, its second
# page and the call log filtered by direction and by outcome; then the mark-read path that
# recounts the unread totals.
# Results: a Markdown table on stdout; the seeding, the store's size and each run on stderr.
# See docs/BENCHMARKS.md.
#
# Knobs (environment): VBX_BIN (default $CARGO_TARGET_DIR/release/vbx, else target/release/vbx;
# not built by this script), BENCH_NUMBERS (20000), BENCH_MESSAGES (1000000), BENCH_CALLS
# (100000), BENCH_DURATION (5s), BENCH_WARMUP (2s), BENCH_REPS (3), BENCH_CONNECTIONS ("1 4"),
# BENCH_ENDPOINTS (the list below; also calls_failed, calls_failed_page2 (the status filter),
# and search_text_common, search_text_prefix, search_text_two_words, search_text_needle: the
# parts of the search_text mix), BENCH_COMMIT (the label of the binary's commit in the
# results; default the checkout's HEAD), BENCH_KEEP=1 (keep the temp dir), VBX_LOG.
set -euo pipefail

export VBX_LOG="${VBX_LOG:-warn}"
export PYTHONDONTWRITEBYTECODE=1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
VBX="${VBX_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/vbx}"
DURATION="${BENCH_DURATION:-5s}"
WARMUP="${BENCH_WARMUP:-2s}"
REPS="${BENCH_REPS:-3}"
NUMBERS="${BENCH_NUMBERS:-20000}"
MESSAGES="${BENCH_MESSAGES:-1000000}"
CALLS="${BENCH_CALLS:-100000}"
CONNECTIONS="${BENCH_CONNECTIONS:-1 4}"
ENDPOINTS="${BENCH_ENDPOINTS:-conversations conversations_page2 search search_text search_text_page2 thread thread_page2 calls calls_page2 calls_inbound calls_inbound_page2 calls_outcome calls_outcome_page2 calls_blocked}"
PASSWORD="bench-password-123"

say() { printf '%s\n' "$*" >&2; }
die() { say "scale.sh: $*"; exit 1; }
command -v wrk >/dev/null || die "wrk is missing (Debian/Ubuntu: apt-get install wrk)"
command -v python3 >/dev/null || die "python3 is missing"
[ -x "$VBX" ] || die "no binary at $VBX: build it (cargo build --release -p vbx) or set VBX_BIN"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/vbx-scale.XXXXXX")"
SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      say "vbx (pid $SERVER_PID) did not stop on SIGTERM within 10 s; killing it"
      kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
cleanup() {
  stop_server
  if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
CONFIG="$WORK/vbx.toml"
cat >"$CONFIG" <<EOF
[server]
listen = "127.0.0.1:$PORT"
public_url = "http://127.0.0.1:$PORT"
data_dir = "$WORK/data"

[twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
auth_token = "0123456789abcdef0123456789abcdef"
number = "+18001234567"
api_base = "http://127.0.0.1:9"

[devices]
browser = { type = "browser" }
cell    = { type = "sms", number = "+18005555555" }

[calls]
default = [ { step = "device", devices = ["browser"], timeout = 30, next = "phone" } ]
phone   = [ { step = "dial", number = "+18005555555" } ]

[messages]
default = [ { step = "device", devices = ["browser", "cell"] } ]
EOF
printf '%s\n%s\n' "$PASSWORD" "$PASSWORD" | "$VBX" user add bench --config "$CONFIG" >/dev/null

start_server() {
  "$VBX" serve --config "$CONFIG" >>"$WORK/vbx.log" 2>&1 &
  SERVER_PID=$!
  python3 "$BENCH/wait_http.py" "http://127.0.0.1:$PORT/login" \
    || die "vbx did not answer; see $WORK/vbx.log"
}

# The first start creates and migrates the store; seed it while the server is stopped.
start_server
stop_server
say "seeding $NUMBERS numbers, $MESSAGES messages, $CALLS calls…"
SEED_START="$(date +%s.%N)"
python3 "$BENCH/seed_scale.py" "$WORK/data/vbx.db" --numbers "$NUMBERS" --messages "$MESSAGES" \
  --calls "$CALLS" >"$WORK/seed.json"
SEED_SECONDS="$(python3 -c 'import sys,time; print(f"{time.time() - float(sys.argv[1]):.0f}")' "$SEED_START")"
say "seeded in $SEED_SECONDS s: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [d.pop(k) for k in ("unread_numbers",)]; print(d)' "$WORK/seed.json")"
start_server
DB_SIZE="$(du -b "$WORK/data/vbx.db" | cut -f1)"
say "store: $(du -h "$WORK/data/vbx.db" | cut -f1) ($DB_SIZE bytes) in vbx.db; $(du -sh "$WORK/data" | cut -f1) in the data dir after the start"
{ read -r COOKIE; read -r CSRF; } < <(python3 "$BENCH/scale_client.py" login "$PORT" bench "$PASSWORD")
python3 "$BENCH/scale_client.py" paths "$PORT" "$COOKIE" "$WORK/seed.json" "$WORK" >/dev/null

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
say "load average before the runs: $LOAD_BEFORE (nproc $(nproc))"
RUNS="$WORK/runs.tsv"
: >"$RUNS"
INVALID=0
for endpoint in $ENDPOINTS; do
  if [ ! -f "$WORK/$endpoint.paths" ]; then
    case "$endpoint" in
      calls_outcome*|calls_blocked) say "skipping $endpoint: this vbx has no call outcomes"; continue ;;
      *) die "unknown endpoint $endpoint" ;;
    esac
  fi
  for c in $CONNECTIONS; do
    t=$((c < 2 ? c : 2))
    for rep in $(seq 0 "$REPS"); do
      d="$DURATION"
      [ "$rep" = 0 ] && d="$WARMUP"
      out="$(wrk -t"$t" -c"$c" -d"$d" --timeout 5s --latency -s "$BENCH/paths.lua" \
        "http://127.0.0.1:$PORT" -- "$WORK/$endpoint.paths" "$COOKIE")"
      result="$(grep '^RESULT ' <<<"$out")" || die "no RESULT line from wrk: $out"
      # shellcheck disable=SC2086
      eval "$(sed 's/^RESULT //' <<<"$result")"
      label="run $rep"
      [ "$rep" = 0 ] && label="warm-up"
      say "$endpoint c=$c $label: $requests requests ($rps/s) p50 ${p50_us}us p99 ${p99_us}us max ${max_us}us; non-200 $non200, bad bodies $badbody, socket errors $socket_errors; load $(cut -d' ' -f1 /proc/loadavg)"
      # A warm-up may end before a slow request does (0 requests); a measured run may not.
      if [ "$non200" != 0 ] || [ "$badbody" != 0 ] || [ "$socket_errors" != 0 ] \
        || { [ "$requests" = 0 ] && [ "$rep" != 0 ]; }; then
        say "INVALID RUN: every answer must be a 200 with a list, and a run must have answers"
        INVALID=1
      fi
      [ "$rep" != 0 ] && printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$endpoint" "$c" "$rps" "$p50_us" "$p99_us" "$max_us" >>"$RUNS"
    done
  done
done

# Marking a thread read recounts the thread's and the total unread messages (the `unread`
# event). Each number can be marked read once, so each run takes its own third of them.
UNREAD="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["unread_numbers"]))' "$WORK/seed.json")"
third=$((UNREAD / 3))
for rep in 1 2 3; do
  result="$(python3 "$BENCH/scale_client.py" read "$PORT" "$COOKIE" "$CSRF" "$WORK/seed.json" \
    $(((rep - 1) * third)) $((rep * third)))"
  eval "$(sed 's/^RESULT //' <<<"$result")"
  say "mark_read c=1 run $rep: $requests requests p50 ${p50_us}us p99 ${p99_us}us max ${max_us}us"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' mark_read 1 "-" "$p50_us" "$p99_us" "$max_us" >>"$RUNS"
done
kill -0 "$SERVER_PID" 2>/dev/null || die "vbx died during the runs; see $WORK/vbx.log"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$RUNS" "$LOAD_BEFORE" "$LOAD_AFTER" "${BENCH_COMMIT:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')}" \
  "$WORK/seed.json" "$SEED_SECONDS" "$DB_SIZE" <<'PY'
import json, statistics, sys
from collections import OrderedDict
rows = OrderedDict()
for line in open(sys.argv[1]):
    endpoint, c, rps, p50, p99, mx = line.rstrip("\n").split("\t")
    rows.setdefault((endpoint, c), []).append((rps, int(p50), int(p99)))
seed = json.load(open(sys.argv[5]))
print(f"Store: {seed['messages']:,} messages, {seed['top_level_calls']:,} calls "
      f"(+ {seed['dial_legs']:,} legs), {seed['voicemails']:,} voicemails, "
      f"{seed['numbers']:,} numbers; seeded in {sys.argv[6]} s; vbx.db "
      f"{int(sys.argv[7]) / 1e6:,.0f} MB.")
print(f"Load average before {sys.argv[2]}, after {sys.argv[3]}; commit {sys.argv[4]}.\n")
print("| request | conns | p50 ms (median) | p99 ms (median) | req/s (median) | p50 / p99 ms of each run |")
print("|---|---:|---:|---:|---:|---|")
ms = lambda us: f"{us / 1000:.2f}"
for (endpoint, c), runs in rows.items():
    p50 = statistics.median(r[1] for r in runs)
    p99 = statistics.median(r[2] for r in runs)
    rates = [float(r[0]) for r in runs if r[0] != "-"]
    rps = f"{statistics.median(rates):,.0f}" if rates else "–"
    each = ", ".join(f"{ms(r[1])} / {ms(r[2])}" for r in runs)
    print(f"| `{endpoint}` | {c} | {ms(p50)} | {ms(p99)} | {rps} | {each} |")
PY
[ "$INVALID" = 0 ] || die "some runs were invalid (see above)"
