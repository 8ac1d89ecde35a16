#!/usr/bin/env python3
"""Sends one signed incoming-call webhook and exits 0 if vbx answers 200 within 5 s: after a
load run, proves the server is still serving (not stalled).

usage: probe.py PORT PUBLIC_URL AUTH_TOKEN
"""

import sys

from signed import signed_voice_request, status_of

port, public_url, token = int(sys.argv[1]), sys.argv[2], sys.argv[3]
status = status_of(port, signed_voice_request(public_url, token, port), timeout=5)
if status != 200:
    sys.exit(f"probe: a signed webhook got {status or 'no answer within 5 s'}, not 200")
