#!/usr/bin/env bash
# Webhook benchmark: builds the release binary, serves a temporary config on 127.0.0.1 and
# measures signed, stored `POST /flow/voice/default` and `POST /flow/msg/default` with wrk at
# 1, 16 and 64 connections (median of 3 runs), the server's RSS, and startup to first answer.
# Results: a Markdown table on stdout. See docs/BENCHMARKS.md.
#
# Knobs (environment): BENCH_DURATION (10s), BENCH_WARMUP (2s), BENCH_REPS (3),
# BENCH_CONNECTIONS ("1 16 64"), BENCH_KINDS ("voice msg"; also "status": a <Dial> leg's final
# call status callback for a call vbx has not seen), BENCH_STARTUP_REPS (9),
# BENCH_KEEP=1 (keep the temp dir), VBX_LOG (warn: the server's log filter),
# CARGO_TARGET_DIR (where the release binary is built), VBX_BIN (a binary to measure instead of
# building one: compare two builds side by side), BENCH_PRESIGN (1: wrk sends requests that
# bench/presign.py signed before the run; 0: wrk signs each one in Lua while it measures, which
# costs this 2-core machine ~0.3 cores at 14,000 requests/s).
set -euo pipefail

# The server logs at `warn` as it would in production (the webhook success path logs nothing).
export VBX_LOG="${VBX_LOG:-warn}"
export PYTHONDONTWRITEBYTECODE=1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
DURATION="${BENCH_DURATION:-10s}"
WARMUP="${BENCH_WARMUP:-2s}"
REPS="${BENCH_REPS:-3}"
CONNECTIONS="${BENCH_CONNECTIONS:-1 16 64}"
KINDS="${BENCH_KINDS:-voice msg}"
STARTUP_REPS="${BENCH_STARTUP_REPS:-9}"
PRESIGN="${BENCH_PRESIGN:-1}"
PUBLIC_URL="https://vbx.example.com"
AUTH_TOKEN="0123456789abcdef0123456789abcdef"

say() { printf '%s\n' "$*" >&2; }
die() { say "webhook.sh: $*"; exit 1; }

# --- tools ---------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing wrk (apt-get)…"
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else
    die "wrk is missing: install it (Debian/Ubuntu: sudo apt-get install wrk)"
  fi
fi
command -v python3 >/dev/null || die "python3 is missing"
command -v curl >/dev/null || die "curl is missing"

# --- build ---------------------------------------------------------------------------------
if [ -n "${VBX_BIN:-}" ]; then
  VBX="$VBX_BIN"
else
  say "building: cargo build --release -p vbx"
  (cd "$ROOT" && cargo build --release -p vbx --quiet)
  TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
  VBX="$TARGET/release/vbx"
fi
[ -x "$VBX" ] || die "no binary at $VBX"

# --- scratch space, cleanup ----------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/vbx-bench.XXXXXX")"
SERVER_PID=""
# SIGTERM (graceful), then SIGKILL if it has not stopped within 10 s.
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

# --- the signer checks itself (FACTS §2 vector 1) before any load --------------------------
BENCH_SELFCHECK=1 wrk -s "$BENCH/webhook.lua" http://127.0.0.1:9/ >&2 \
  || die "the wrk script's signer failed its self-check"

CONFIG="$WORK/vbx.toml"
cat >"$CONFIG" <<EOF
[server]
public_url = "$PUBLIC_URL"

[twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
auth_token  = "$AUTH_TOKEN"
number      = "+18001234567"
# These flows make no REST calls (the SMS device is reached by TwiML <Message>);
# a closed local port keeps anything unexpected on this machine.
api_base    = "http://127.0.0.1:9"

[devices]
browser = { type = "browser" }
cell    = { type = "sms", number = "+18005555555" }

[calls]
default = [ { step = "device", devices = ["browser"], timeout = 30, next = "phone" } ]
phone   = [ { step = "dial", number = "+18005555555" } ]

[messages]
default = [ { step = "device", devices = ["browser", "cell"] } ]
EOF
"$VBX" check "$CONFIG" >/dev/null || die "the benchmark config does not pass vbx check"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# VmRSS and VmHWM of a process, in kB.
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
# User + system CPU time of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Rows in a table of the running server's database (WAL: readers see committed rows).
rows() {
  python3 -c 'import sqlite3,sys; c=sqlite3.connect("file:"+sys.argv[1]+"?mode=ro",uri=True); print(c.execute("select count(*) from "+sys.argv[2]).fetchone()[0])' \
    "$1/vbx.db" "$2"
}

# Starts vbx on a free port with a new data directory; sets SERVER_PID, PORT, DATA.
start_server() {
  DATA="$WORK/data-$1"
  PORT="$(free_port)"
  "$VBX" serve --config "$CONFIG" --listen "127.0.0.1:$PORT" --data-dir "$DATA" \
    >>"$WORK/vbx-$1.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 200); do
    # Any HTTP answer means the server is up (a GET on a webhook route: 405, nothing logged).
    code="$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/flow/voice/default" || true)"
    [ -n "$code" ] && [ "$code" != 000 ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || die "vbx exited; see $WORK/vbx-$1.log"
    sleep 0.05
  done
  die "vbx did not answer on 127.0.0.1:$PORT"
}

# --- load ----------------------------------------------------------------------------------
TICKS="$(getconf CLK_TCK)"
RUNS="$WORK/runs.tsv"
SERVERS="$WORK/servers.tsv"
printf 'kind\tconns\trep\trequests\tsent\trps\tp50_us\tp99_us\tmax_us\tnon200\tbadbody\tsocket_errors\tstored\tserver_cpu\tload1\n' >"$RUNS"
printf 'kind\tconns\trss_idle_kb\trss_after_kb\thwm_kb\n' >"$SERVERS"
INVALID=0
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
say "load average before the runs: $LOAD_BEFORE (nproc $(nproc))"

# One wrk run against the running server ($kind, $c, $t, $table, $DATA, $PORT);
# $1 = duration, $2 = rep (0 = warm-up, not recorded).
one_run() {
  run_id=$((run_id + 1))
  local run before after cpu0 cpu1 load out result
  run="$(printf '%02x%02x%02x%02x' "$(case "$kind" in voice) echo 1 ;; msg) echo 2 ;; *) echo 3 ;; esac)" "$c" "$run_id" "$((RANDOM % 256))")"
  load="$(cut -d' ' -f1 /proc/loadavg)"
  before="$(rows "$DATA" "$table")"
  cpu0="$(cpu_ticks "$SERVER_PID")"
  local presigned=()
  if [ "$PRESIGN" = 1 ]; then
    # Enough for 40,000 requests/s (10,000 on one connection); past that wrk signs live and
    # reports how many it signed (live_signed).
    local secs rate
    secs="$(sed 's/s$//' <<<"$1")"
    rate=$((c == 1 ? 10000 : 40000))
    python3 "$BENCH/presign.py" "$kind" "$PUBLIC_URL" "$AUTH_TOKEN" "$run" "$t" \
      $(((rate * secs + t - 1) / t)) "$WORK/presigned"
    presigned=("$WORK/presigned")
  fi
  out="$(wrk -t"$t" -c"$c" -d"$1" --timeout 5s --latency -s "$BENCH/webhook.lua" "http://127.0.0.1:$PORT" \
    -- "$kind" "$PUBLIC_URL" "$AUTH_TOKEN" "$run" "${presigned[@]}")"
  rm -f "$WORK"/presigned.*
  cpu1="$(cpu_ticks "$SERVER_PID")"
  sleep 0.5 # let requests in flight when wrk stopped finish
  after="$(rows "$DATA" "$table")"
  result="$(grep '^RESULT ' <<<"$out")" || die "no RESULT line from wrk: $out"
  # shellcheck disable=SC2086
  local $(sed 's/^RESULT //' <<<"$result")
  local stored=$((after - before))
  local socket_errors=$((connect_err + read_err + write_err + timeout_err))
  local cpu
  cpu="$(awk -v a="$cpu0" -v b="$cpu1" -v tck="$TICKS" -v d="$duration_us" 'BEGIN {printf "%.2f", (b - a) / tck / (d / 1e6)}')"
  local label="run $2"
  [ "$2" = 0 ] && label="warm-up"
  say "$kind c=$c $label: $requests requests ($rps/s) p50 ${p50_us}us p99 ${p99_us}us; stored $stored of $sent sent; non-200 $non200; bad bodies $badbody; socket errors $socket_errors; server CPU ${cpu} cores; load $load; signed live $live_signed"
  local alive=yes
  python3 "$BENCH/probe.py" "$PORT" "$PUBLIC_URL" "$AUTH_TOKEN" || alive=no
  # Valid: every answer a 200 with TwiML (a 204 for a status callback), no socket errors, every answered request's event
  # stored (requests in flight when wrk stopped may be stored too), and the server still
  # answering a signed webhook afterwards (a stalled server answers nothing).
  if [ "$non200" != 0 ] || [ "$badbody" != 0 ] || [ "$socket_errors" != 0 ] \
    || [ "$requests" = 0 ] || [ "$alive" != yes ] \
    || [ "$stored" -lt "$requests" ] || [ "$stored" -gt "$sent" ]; then
    say "INVALID RUN: every request must get 200 with TwiML and store exactly its event"
    INVALID=1
  fi
  if [ "$2" != 0 ]; then
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$c" "$2" \
      "$requests" "$sent" "$rps" "$p50_us" "$p99_us" "$max_us" "$non200" "$badbody" \
      "$socket_errors" "$stored" "$cpu" "$load" >>"$RUNS"
  fi
}

for kind in $KINDS; do
  if [ "$kind" = msg ]; then table=messages; else table=calls; fi
  for c in $CONNECTIONS; do
    t=$((c < 2 ? c : 2))
    start_server "$kind-$c"
    sleep 1
    rss_idle="$(rss_kb "$SERVER_PID")"
    run_id=0
    one_run "$WARMUP" 0
    for rep in $(seq "$REPS"); do one_run "$DURATION" "$rep"; done
    printf '%s\t%s\t%s\t%s\t%s\n' "$kind" "$c" "$rss_idle" "$(rss_kb "$SERVER_PID")" \
      "$(hwm_kb "$SERVER_PID")" >>"$SERVERS"
    stop_server
  done
done

# --- startup -------------------------------------------------------------------------------
say "startup to first answered webhook ($STARTUP_REPS cold + $STARTUP_REPS warm starts)…"
STARTUP="$(python3 "$BENCH/startup.py" "$VBX" "$CONFIG" "$PUBLIC_URL" "$AUTH_TOKEN" "$STARTUP_REPS")"
say "$STARTUP"

# --- report --------------------------------------------------------------------------------
python3 "$BENCH/report.py" "$RUNS" "$SERVERS" "$STARTUP" "$DURATION" "$REPS" "$LOAD_BEFORE"
if [ "$INVALID" != 0 ]; then
  say "webhook.sh: INVALID: some requests failed or were not stored (see above)"
  exit 1
fi
