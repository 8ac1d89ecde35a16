#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd) for vbx's email tests.

Listens on 127.0.0.1 (port 0 unless --port), prints `PORT <n>` on stdout once it accepts
connections, and runs until killed. Every accepted message is saved in --dir as
`<n>.eml` (the raw bytes) and `<n>.json` (what Python's email package reads from it:
envelope, decoded headers, text, attachments), each written atomically.

--auth USER:PASSWORD requires AUTH PLAIN or LOGIN with those credentials (allowed without
TLS, as on a test bench). --tls serves implicit TLS with a fresh self-signed certificate
(made with the openssl command). --data-size-limit N answers 552 to larger messages. While
the file `<dir>/reply` exists, its first line (e.g. `550 5.1.1 Mailbox unavailable`) is the
answer to every message, which is then not saved.
"""

import argparse
import asyncio
import base64
import email
import email.policy
import itertools
import json
import logging
import os
import ssl
import subprocess
import sys
import tempfile
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def write_atomically(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def summary(envelope, session, raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    header_block = raw.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
    body = msg.get_body(preferencelist=("plain",))
    attachments = []
    for part in msg.iter_attachments():
        content = part.get_payload(decode=True) or b""
        attachments.append(
            {
                "filename": part.get_filename(),
                "content_type": part.get_content_type(),
                "content_b64": base64.b64encode(content).decode("ascii"),
            }
        )
    return {
        "mail_from": envelope.mail_from,
        "rcpt_tos": list(envelope.rcpt_tos),
        "login": session.auth_data.login.decode() if session.auth_data else None,
        "header_block": header_block,
        "headers": [[name, str(value)] for name, value in msg.items()],
        "subject": str(msg["subject"]),
        "text": body.get_content().replace("\r\n", "\n") if body is not None else None,
        "content_type": msg.get_content_type(),
        "attachments": attachments,
    }


class Handler:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        reply_file = os.path.join(self.directory, "reply")
        if os.path.exists(reply_file):
            with open(reply_file) as f:
                return f.readline().strip()
        n = next(self.counter)
        raw = envelope.original_content
        base = os.path.join(self.directory, f"{n:04}")
        write_atomically(base + ".eml", raw)
        write_atomically(base + ".json", json.dumps(summary(envelope, session, raw)).encode())
        return "250 2.0.0 OK saved"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    return check


def self_signed_context():
    workdir = tempfile.mkdtemp(prefix="vbx-smtp-tls-")
    cert = os.path.join(workdir, "cert.pem")
    key = os.path.join(workdir, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "basicConstraints=critical,CA:FALSE",
         "-keyout", key, "-out", cert],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def main():
    # AUTH without TLS is what the tests want; aiosmtpd warns about it at every connection.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--auth")
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--data-size-limit", type=int, default=33554432)
    args = parser.parse_args()

    handler = Handler(args.dir)
    options = {"hostname": "smtp.test", "data_size_limit": args.data_size_limit}
    if args.auth:
        user, _, password = args.auth.partition(":")
        options.update(
            authenticator=authenticator(user, password),
            auth_required=True,
            auth_require_tls=False,
        )
    context = self_signed_context() if args.tls else None
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, **options), "127.0.0.1", args.port, ssl=context
    )
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
