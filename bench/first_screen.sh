#!/usr/bin/env bash
# Time to the first useful screen (the conversation list showing its rows) with 10,000
# conversations in the store: starts `vbx serve` on a seeded data dir, logs in with headless
# Chromium, and measures from navigation start until the first conversation row is visible.
# Issue 18 target: median < 500 ms with a release build. Usage: bench/first_screen.sh [RUNS]
# (default 5). Needs a built vbx (VBX_BIN, default $CARGO_TARGET_DIR/release/vbx, else
# target/release/vbx; not built by this script), web/node_modules (playwright-core) and
# /usr/bin/chromium. Prints each load and the median, with the load average before and after
# (BENCH_TRACE=FILE: a Chrome performance trace of the last load, see first_screen.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
bin="${VBX_BIN:-${CARGO_TARGET_DIR:-target}/release/vbx}"
[ -x "$bin" ] || { echo "first_screen.sh: no binary at $bin: build it (cargo build --release -p vbx) or set VBX_BIN" >&2; exit 1; }
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
password="bench-password-123"
cat > "$work/vbx.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
public_url = "http://127.0.0.1:$port"
data_dir = "$work/data"

[twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
auth_token = "0123456789abcdef0123456789abcdef"
number = "+18001234567"
api_base = "http://127.0.0.1:9"

[devices]
browser = { type = "browser" }

[calls]
default = [ { step = "device", devices = ["browser"] } ]

[messages]
default = [ { step = "device", devices = ["browser"] } ]
TOML
printf '%s\n%s\n' "$password" "$password" | "$bin" user add bench --config "$work/vbx.toml" >/dev/null

# First start creates the store; then seed 10,000 conversations (one text each) and restart.
VBX_LOG=warn "$bin" serve --config "$work/vbx.toml" 2>"$work/log" & pid=$!
python3 bench/wait_http.py "http://127.0.0.1:$port/login"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
python3 - "$work/data/vbx.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
now = int(time.time() * 1000)
rows = []
for i in range(10000):
    sid = "SM%032x" % i
    number = "+1415%07d" % i
    rows.append((sid, "AC0123456789abcdef0123456789abcdef", number, "+18001234567",
                 "message %d" % i, "inbound", "received", 0, now - i * 1000, now - i * 1000))
db.executemany(
    "INSERT INTO messages (sid, account_sid, from_number, to_number, body, direction, status,"
    " num_media, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
db.commit()
print("seeded", db.execute("SELECT COUNT(DISTINCT from_number) FROM messages").fetchone()[0], "conversations")
PY
VBX_LOG=warn "$bin" serve --config "$work/vbx.toml" 2>>"$work/log" & pid=$!
python3 bench/wait_http.py "http://127.0.0.1:$port/login"
echo "binary $bin; load average before: $(cut -d' ' -f1-3 /proc/loadavg) (nproc $(nproc))"
node bench/first_screen.mjs "http://127.0.0.1:$port" bench "$password" "$runs"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
