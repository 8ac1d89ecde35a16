"""Waits (up to 30 s) until a URL answers at all."""
import sys, time, urllib.request, urllib.error
deadline = time.time() + 30
while True:
    try:
        urllib.request.urlopen(sys.argv[1], timeout=1)
        break
    except urllib.error.HTTPError:
        break
    except Exception:
        if time.time() > deadline:
            sys.exit(f"{sys.argv[1]} did not answer within 30 s")
        time.sleep(0.05)
