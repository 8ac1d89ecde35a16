#!/usr/bin/env bash
# Live latency: with CLIENTS logged-in `/ws` sockets open, the time from a signed incoming-text
# webhook (`POST /flow/msg/default`) to its `message` frame on every socket (bench/live.mjs),
# at a steady rate and in a burst, against the release `vbx serve` on a free 127.0.0.1 port.
# Results: a Markdown table on stdout; each run on stderr. See docs/BENCHMARKS.md.
#
# Knobs (environment): VBX_BIN (default $CARGO_TARGET_DIR/release/vbx, else
# target/release/vbx; not built by this script), BENCH_CLIENTS (50), BENCH_RATE (20 a second),
# BENCH_STEADY (300 webhooks a run), BENCH_BURST (200 webhooks a run), BENCH_REPS (3),
# BENCH_SEED=1 (first fill the store like bench/scale.sh), BENCH_KEEP=1, VBX_LOG.
set -euo pipefail

export VBX_LOG="${VBX_LOG:-warn}"
export PYTHONDONTWRITEBYTECODE=1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
VBX="${VBX_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/vbx}"
CLIENTS="${BENCH_CLIENTS:-50}"
RATE="${BENCH_RATE:-20}"
STEADY="${BENCH_STEADY:-300}"
BURST="${BENCH_BURST:-200}"
REPS="${BENCH_REPS:-3}"
PASSWORD="bench-password-123"
PUBLIC_URL="https://vbx.example.com"
AUTH_TOKEN="0123456789abcdef0123456789abcdef"

say() { printf '%s\n' "$*" >&2; }
die() { say "live.sh: $*"; exit 1; }
command -v node >/dev/null || die "node is missing"
command -v python3 >/dev/null || die "python3 is missing"
[ -d "$ROOT/web/node_modules/ws" ] || die "web/node_modules/ws is missing: run npm install in web/"
[ -x "$VBX" ] || die "no binary at $VBX: build it (cargo build --release -p vbx) or set VBX_BIN"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/vbx-live.XXXXXX")"
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
public_url = "$PUBLIC_URL"
data_dir = "$WORK/data"

[twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
auth_token = "$AUTH_TOKEN"
number = "+18001234567"
# The message flow makes no REST call (the cell phone is reached by TwiML <Message>).
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

start_server
if [ "${BENCH_SEED:-0}" = 1 ]; then
  stop_server
  say "seeding…"
  python3 "$BENCH/seed_scale.py" "$WORK/data/vbx.db" >/dev/null
  start_server
fi
{ read -r COOKIE; read -r _CSRF; } < <(python3 "$BENCH/scale_client.py" login "$PORT" bench "$PASSWORD")

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
say "load average before the runs: $LOAD_BEFORE (nproc $(nproc)); $CLIENTS sockets"
RUNS="$WORK/runs.txt"
: >"$RUNS"
INVALID=0
# User + system CPU time of the server, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
TICKS="$(getconf CLK_TCK)"
one_run() { # phase count label
  local out cpu0 cpu1
  cpu0="$(cpu_ticks)"
  if out="$(node "$BENCH/live.mjs" "http://127.0.0.1:$PORT" "$COOKIE" "$PUBLIC_URL" "$AUTH_TOKEN" \
    "$CLIENTS" "$1" "$2" "$RATE")"; then :; else
    say "INVALID RUN ($1 $3): a webhook was refused, a frame never arrived, or a socket closed"
    INVALID=1
  fi
  cpu1="$(cpu_ticks)"
  local result
  result="$(grep '^RESULT ' <<<"$out")" || die "no RESULT line from live.mjs: $out"
  # The server's CPU time per webhook, sockets' frames included.
  result="$result server_cpu_us_per_webhook=$(((cpu1 - cpu0) * 1000000 / TICKS / $2))"
  say "$1 $3: ${result#RESULT }; load $(cut -d' ' -f1 /proc/loadavg)"
  [ "$3" != warm-up ] && echo "${result#RESULT }" >>"$RUNS"
  return 0
}
one_run steady 40 warm-up
for rep in $(seq "$REPS"); do one_run steady "$STEADY" "run $rep"; done
for rep in $(seq "$REPS"); do one_run burst "$BURST" "run $rep"; done
kill -0 "$SERVER_PID" 2>/dev/null || die "vbx died during the runs; see $WORK/vbx.log"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$RUNS" "$LOAD_BEFORE" "$LOAD_AFTER" "$CLIENTS" "$RATE" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    fields = dict(kv.split("=", 1) for kv in line.split())
    runs.setdefault(fields["phase"], []).append(fields)
print(f"Load average before {sys.argv[2]}, after {sys.argv[3]}; {sys.argv[4]} sockets; commit {sys.argv[6]}.\n")
print("| phase | webhooks a run | every socket p50 ms | every socket p99 ms | first socket p50 / p99 ms | webhook answered p50 / p99 ms | first → last socket p50 / p99 ms | server CPU ms a webhook | every socket p50 / p99 ms of each run |")
print("|---|---:|---:|---:|---|---|---|---:|---|")
ms = lambda us: f"{int(us) / 1000:.1f}"
med = lambda rs, k: statistics.median(int(r[k]) for r in rs)
for phase, rs in runs.items():
    label = f"steady, {sys.argv[5]}/s" if phase == "steady" else "burst (all at once)"
    each = ", ".join(f"{ms(r['all_p50_us'])} / {ms(r['all_p99_us'])}" for r in rs)
    print(f"| {label} | {rs[0]['webhooks']} | {ms(med(rs, 'all_p50_us'))} | {ms(med(rs, 'all_p99_us'))} | "
          f"{ms(med(rs, 'first_p50_us'))} / {ms(med(rs, 'first_p99_us'))} | "
          f"{ms(med(rs, 'answer_p50_us'))} / {ms(med(rs, 'answer_p99_us'))} | "
          f"{ms(med(rs, 'spread_p50_us'))} / {ms(med(rs, 'spread_p99_us'))} | "
          f"{int(med(rs, 'server_cpu_us_per_webhook')) / 1000:.2f} | {each} |")
PY
[ "$INVALID" = 0 ] || die "some runs were invalid (see above)"
