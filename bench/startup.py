#!/usr/bin/env python3
"""Startup to first answered webhook: spawns `vbx serve`, then sends a signed
`POST /flow/voice/default` every half millisecond until one gets 200, and reports the time
from spawn to that answer. Cold = a new, empty data directory (database created and migrated);
warm = the data directory of a previous start.

usage: startup.py VBX_BINARY CONFIG PUBLIC_URL AUTH_TOKEN REPS
prints: STARTUP cold_ms=<median> warm_ms=<median> cold_all=<...> warm_all=<...>
"""

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from signed import signed_voice_request, status_of

binary, config, public_url, token, reps = sys.argv[1:6]
reps = int(reps)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_start(data_dir, log):
    port = free_port()
    request = signed_voice_request(public_url, token, port)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [binary, "serve", "--config", config, "--listen", f"127.0.0.1:{port}",
         "--data-dir", data_dir],
        stdout=log, stderr=log,
    )
    try:
        while True:
            status = status_of(port, request)
            if status == 200:
                return (time.perf_counter() - t0) * 1000
            if status is not None:
                sys.exit(f"startup: the first signed webhook got {status}, not 200")
            if proc.poll() is not None:
                sys.exit(f"startup: vbx exited with {proc.returncode} before answering")
            if time.perf_counter() - t0 > 30:
                sys.exit("startup: no answer within 30 s")
            time.sleep(0.0005)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    cold, warm = [], []
    with tempfile.TemporaryDirectory(prefix="vbx-startup-") as tmp, \
            open(os.path.join(tmp, "vbx.log"), "wb") as log:
        for i in range(reps):
            data_dir = os.path.join(tmp, f"data{i}")
            cold.append(one_start(data_dir, log))
            warm.append(one_start(data_dir, log))
    fmt = lambda xs: ",".join(f"{x:.1f}" for x in xs)
    print(f"STARTUP cold_ms={statistics.median(cold):.1f} warm_ms={statistics.median(warm):.1f} "
          f"cold_all={fmt(cold)} warm_all={fmt(warm)}")


if __name__ == "__main__":
    main()
