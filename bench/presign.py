"""Pre-signs the webhook requests bench/webhook.lua sends, so the load generator does not spend
the benchmark machine's CPU on HMAC-SHA1 in Lua while it measures (Twilio signs on its own
machines, not on the server's).

Usage: presign.py KIND PUBLIC_URL AUTH_TOKEN RUN THREADS COUNT PREFIX

Writes PREFIX.<thread> for each wrk thread 0..THREADS-1: COUNT lines of `signature<TAB>body`,
the requests webhook.lua's own signer makes for counters 1..COUNT, in that order. webhook.lua
checks the first line against its own signer (two independent implementations must agree) and
signs live once a file runs out. Signed with Python's hmac, as FACTS §2.
"""

import base64
import hashlib
import hmac
import sys
import urllib.parse

ACCOUNT = "AC0123456789abcdef0123456789abcdef"
NUMBER = "+18001234567"


def params_for(kind, run, tid, counter):
    """The webhook's parameters, in the order webhook.lua sends them."""
    sid = f"{run}{tid:04x}{counter:020x}"
    sender = f"+1415{counter % 5000:07d}"
    if kind == "voice":
        return [
            ("AccountSid", ACCOUNT), ("CallSid", "CA" + sid), ("CallStatus", "ringing"),
            ("Direction", "inbound"), ("From", sender), ("To", NUMBER),
            ("ApiVersion", "2010-04-01"),
        ]
    if kind == "status":
        return [
            ("AccountSid", ACCOUNT), ("CallSid", "CA" + sid), ("CallStatus", "completed"),
            ("Direction", "outbound-dial"), ("From", NUMBER), ("To", sender),
            ("CallDuration", "12"), ("SequenceNumber", "3"), ("ApiVersion", "2010-04-01"),
        ]
    return [
        ("AccountSid", ACCOUNT), ("MessageSid", "SM" + sid), ("From", sender), ("To", NUMBER),
        ("Body", f"Benchmark text #{counter} <&> ünï 📞"), ("NumMedia", "0"),
        ("NumSegments", "1"), ("ApiVersion", "2010-04-01"),
    ]


def encode(params):
    q = urllib.parse.quote
    return "&".join(q(k, safe="-._~") + "=" + q(v, safe="-._~") for k, v in params)


def main():
    kind, public_url, token, run, threads, count, prefix = sys.argv[1:8]
    if kind not in ("voice", "msg", "status"):
        sys.exit("presign.py: kind must be voice, msg or status")
    path = "/flow/status/call" if kind == "status" else f"/flow/{kind}/default"
    url = public_url.rstrip("/") + path
    key = hmac.new(token.encode(), digestmod=hashlib.sha1)
    # Only the SID, the sender and (for texts) the counter in the body change from one request
    # to the next: format those into the body and the signed string, encode the rest once.
    base = params_for(kind, run, 0, 0)
    sid0 = ("SM" if kind == "msg" else "CA") + run + "0" * 24
    sid_tmpl = sid0[:10] + "{tid:04x}{counter:020x}"
    body_tmpl = encode(base).replace(sid0, sid_tmpl).replace("%2B14150000000", "%2B1415{n:07d}")
    signed_tmpl = (url + "".join(k + v for k, v in sorted(base))) \
        .replace(sid0, sid_tmpl).replace("+14150000000", "+1415{n:07d}")
    if kind == "msg":
        body_tmpl = body_tmpl.replace("%230%20", "%23{counter}%20")
        signed_tmpl = signed_tmpl.replace("#0 ", "#{counter} ")
    for tid in range(int(threads)):
        lines = []
        for counter in range(1, int(count) + 1):
            fields = {"run": run, "tid": tid, "counter": counter, "n": counter % 5000}
            mac = key.copy()
            mac.update(signed_tmpl.format(**fields).encode())
            sig = base64.b64encode(mac.digest()).decode()
            lines.append(f"{sig}\t{body_tmpl.format(**fields)}\n")
        # The templates must give exactly what the plain encoding gives (first and last line).
        for counter, line in ((1, lines[0]), (int(count), lines[-1])):
            params = params_for(kind, run, tid, counter)
            mac = hmac.new(token.encode(), (url + "".join(k + v for k, v in sorted(params))).encode(),
                           hashlib.sha1)
            want = f"{base64.b64encode(mac.digest()).decode()}\t{encode(params)}\n"
            if line != want:
                sys.exit(f"presign.py: template mismatch at counter {counter}:\n{line}{want}")
        with open(f"{prefix}.{tid}", "w", encoding="utf-8") as out:
            out.writelines(lines)


if __name__ == "__main__":
    main()
