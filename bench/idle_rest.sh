#!/usr/bin/env bash
# Twilio REST requests made by an idle vbx with browsers open. For each browser count in
# BENCH_BROWSERS: starts `vbx demo` (vbx and the Twilio simulator in one process, fresh data
# directory) with the sync every BENCH_SYNC seconds, opens that many headless Chromium
# browsers logged in (each with its own session, socket, voice token and registered phone),
# and counts the REST requests the simulator receives (GET /_sim/requests) while the pages
# load and then over BENCH_PERIOD idle seconds. Prints the count by endpoint, per hour at
# that interval, per sync pass, and per hour at the default interval (10 minutes).
# Usage: bench/idle_rest.sh. Knobs: BENCH_BROWSERS ("1 5"), BENCH_SYNC (30), BENCH_PERIOD
# (300), BENCH_SETTLE (10), VBX_BIN (else $CARGO_TARGET_DIR or target, debug/vbx, built with
# the web UI). Needs web/node_modules (playwright-core), /usr/bin/chromium, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
browsers="${BENCH_BROWSERS:-1 5}"
sync="${BENCH_SYNC:-30}"
period="${BENCH_PERIOD:-300}"
settle="${BENCH_SETTLE:-10}"
bin="${VBX_BIN:-${CARGO_TARGET_DIR:-target}/debug/vbx}"
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

if ! "$bin" example-config | grep -q sync_interval_seconds; then
  echo "error: $bin has no twilio.sync_interval_seconds; build vbx from this tree (cargo build -p vbx)" >&2
  exit 1
fi

# The demo's own sample flows, with the sync interval shortened.
sed "s/^number = .*/&\nsync_interval_seconds = $sync/" crates/vbx/src/cli/demo.toml > "$work/vbx.toml"

for n in $browsers; do
  rm -rf "$work/data" "$work/out"
  "$bin" demo --config "$work/vbx.toml" --listen 127.0.0.1:0 --sim-listen 127.0.0.1:0 \
    --data-dir "$work/data" >"$work/out" 2>"$work/log" & pid=$!
  for _ in $(seq 1 600); do
    grep -q '^simulator:' "$work/out" 2>/dev/null && break
    sleep 0.1
  done
  app="$(sed -n 's/^app: *\(http[^ ]*\)\/$/\1/p' "$work/out")"
  login="$(sed -n 's/^login: *//p' "$work/out")"
  user="${login%% / *}"
  password="${login##* / }"
  sim="$(sed -n 's/^simulator: *\(http[^ ]*\).*/\1/p' "$work/out")"
  if [ -z "$app" ] || [ -z "$sim" ] || [ -z "$password" ]; then
    echo "error: vbx demo did not start:" >&2
    cat "$work/out" "$work/log" >&2
    exit 1
  fi
  # Let the demo's own start (setup, first sync) pass before counting.
  sleep 2
  echo "== $n browser(s): sync every ${sync}s, ${period}s idle" >&2
  node bench/idle_rest.mjs "$app" "$user" "$password" "$sim" "$n" "$settle" "$period" >>"$work/results.jsonl"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
done

python3 - "$work/results.jsonl" "$sync" <<'PY'
import json, sys
sync = float(sys.argv[2])
DEFAULT = 600.0
CALLS = "/2010-04-01/Accounts/{account}/Calls.json"
rows = [json.loads(line) for line in open(sys.argv[1])]
for r in rows:
    idle, secs = r["idle"], r["idleSeconds"]
    passes = next((e["count"] for e in idle["endpoints"] if e["method"] == "GET" and e["path"] == CALLS), 0)
    print(f"\n{r['browsers']} browser(s): {idle['total']} REST requests in {secs:.0f} s idle "
          f"({passes} sync passes); {r['loading']['total']} while the pages loaded ({r['loadSeconds']:.0f} s)")
    print("| endpoint | requests | per hour (sync every %gs) | per sync pass | per hour (default 10 min) |" % sync)
    print("|---|---:|---:|---:|---:|")
    for e in idle["endpoints"]:
        per_pass = e["count"] / passes if passes else float("nan")
        statuses = ", ".join(f"{k}: {v}" for k, v in e["statuses"].items())
        print(f"| `{e['method']} {e['path']}` ({statuses}) | {e['count']} | {e['count'] * 3600 / secs:.0f} "
              f"| {per_pass:.2f} | {per_pass * 3600 / DEFAULT:.1f} |")
    total_pass = idle["total"] / passes if passes else float("nan")
    print(f"| all | {idle['total']} | {idle['total'] * 3600 / secs:.0f} | {total_pass:.2f} | {total_pass * 3600 / DEFAULT:.1f} |")
    for e in r["loading"]["endpoints"]:
        print(f"  while loading: {e['method']} {e['path']}: {e['count']}")
PY
