#!/usr/bin/env python3
"""Turns bench/webhook.sh's raw runs into the Markdown table of medians.

usage: report.py RUNS.tsv SERVERS.tsv "STARTUP cold_ms=… warm_ms=…" DURATION REPS LOAD
"""

import csv
import statistics
import sys

runs_path, servers_path, startup, duration, reps, load = sys.argv[1:7]


def read(path):
    with open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))


runs, servers = read(runs_path), read(servers_path)
mb = lambda kb: f"{int(kb) / 1024:.1f}"
ms = lambda us: f"{us / 1000:.2f}"

print(f"Each row: the median of {reps} runs of {duration} (after a warm-up run), signed requests,")
print(f"every one a new SID stored before the answer. Load average before: {load}.\n")
print("| endpoint | conns | req/s (median) | p50 ms | p99 ms | req/s of each run | "
      "answered / stored rows | non-200 + errors | server CPU (cores) | RSS idle MB | "
      "RSS after MB | peak RSS MB |")
print("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
for srv in servers:
    kind, conns = srv["kind"], srv["conns"]
    mine = [r for r in runs if r["kind"] == kind and r["conns"] == conns]
    if not mine:
        continue
    med = lambda key: statistics.median(float(r[key]) for r in mine)
    answered = sum(int(r["requests"]) for r in mine)
    stored = sum(int(r["stored"]) for r in mine)
    failures = sum(int(r["non200"]) + int(r["badbody"]) + int(r["socket_errors"]) for r in mine)
    each = " / ".join(f"{float(r['rps']):,.0f}" for r in mine)
    path = "/flow/status/call" if kind == "status" else f"/flow/{kind}/default"
    print(f"| `POST {path}` | {conns} | {med('rps'):,.0f} | {ms(med('p50_us'))} | "
          f"{ms(med('p99_us'))} | {each} | {answered:,} / {stored:,} | {failures} | "
          f"{med('server_cpu'):.2f} | {mb(srv['rss_idle_kb'])} | {mb(srv['rss_after_kb'])} | "
          f"{mb(srv['hwm_kb'])} |")

fields = dict(kv.split("=", 1) for kv in startup.split()[1:])
print()
print("| startup to first answered signed webhook | median ms | each start (ms) |")
print("|---|---:|---|")
print(f"| cold (new data directory: database created and migrated) | {fields['cold_ms']} | "
      f"{fields['cold_all'].replace(',', ', ')} |")
print(f"| warm (existing data directory) | {fields['warm_ms']} | "
      f"{fields['warm_all'].replace(',', ', ')} |")
