"""Signed Twilio webhook requests for the benchmark helpers, signed with Python's own HMAC
(independently of the wrk script's Lua signer)."""

import base64
import hashlib
import hmac
import socket
import urllib.parse
import uuid

PATH = "/flow/voice/default"


def signed_voice_request(public_url, token, port):
    """Raw HTTP bytes of an incoming-call webhook with a new CallSid, signed as FACTS §2."""
    params = {
        "AccountSid": "AC0123456789abcdef0123456789abcdef",
        "CallSid": "CA" + uuid.uuid4().hex,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "From": "+14155550100",
        "To": "+18001234567",
    }
    signed = public_url.rstrip("/") + PATH + "".join(k + params[k] for k in sorted(params))
    sig = base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest())
    body = urllib.parse.urlencode(params).encode()
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"X-Twilio-Signature: {sig.decode()}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body


def status_of(port, request, timeout=2):
    """The HTTP status of one request, or None while nothing answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(request)
            line = s.makefile("rb").readline()
    except OSError:
        return None
    parts = line.split()
    return int(parts[1]) if len(parts) > 1 else None
