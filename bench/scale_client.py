"""HTTP helpers for bench/scale.sh, on one keep-alive connection to a running vbx.

  login PORT USER PASSWORD                 prints `vbx_session=…` and the CSRF token (2 lines)
  paths PORT COOKIE SEED_JSON OUTDIR       writes one file of paths per measured request kind,
                                           after checking each first page is full and that its
                                           second page follows it
  read PORT COOKIE CSRF SEED_JSON FROM TO  marks the threads of unread numbers [FROM, TO) read
                                           (POST /api/threads/{n}/read), one at a time, and
                                           prints a RESULT line with p50/p99 in µs
"""

import http.client
import json
import random
import sys
import time
import urllib.parse


def connect(port):
    return http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)


def request(conn, method, path, headers=None, body=None):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    return response.status, response.getheader("Set-Cookie"), data


def login(port, user, password):
    conn = connect(port)
    status, cookie, body = request(
        conn, "POST", "/api/login", {"Content-Type": "application/json"},
        json.dumps({"name": user, "password": password}))
    if status != 200 or not cookie:
        sys.exit(f"login failed: {status} {body[:200]!r}")
    print(cookie.split(";", 1)[0])
    print(json.loads(body)["csrf"])


def get_json(conn, cookie, path):
    status, _, body = request(conn, "GET", path, {"Cookie": cookie})
    if status != 200:
        sys.exit(f"GET {path}: {status} {body[:200]!r}")
    return json.loads(body)


def paths(port, cookie, seed_json, outdir):
    seed = json.load(open(seed_json))
    conn = connect(port)
    out = {}

    def first_and_second(name, path, sep):
        page = get_json(conn, cookie, path)
        if len(page["items"]) != 50 or not page["next"]:
            sys.exit(f"{path}: expected a full first page with a next cursor, got "
                     f"{len(page['items'])} items")
        second = f"{path}{sep}before={page['next']}"
        page2 = get_json(conn, cookie, second)
        if not page2["items"]:
            sys.exit(f"{second}: empty second page")
        out[name] = [path]
        out[name + "_page2"] = [second]
        return page, page2

    conv, conv2 = first_and_second("conversations", "/api/conversations", "?")
    key = lambda c: (c["last"]["at"] if c["last"] else 0, c["number"])
    rows = conv["items"] + conv2["items"]
    if any(key(a) < key(b) for a, b in zip(rows, rows[1:])):
        sys.exit("conversations: pages are not newest first")
    calls, calls2 = first_and_second("calls", "/api/calls", "?")
    rows = calls["items"] + calls2["items"]
    if any((a["at"], a["sid"]) < (b["at"], b["sid"]) for a, b in zip(rows, rows[1:])):
        sys.exit("calls: pages are not newest first")
    first_and_second("calls_failed", "/api/calls?status=failed", "&")
    first_and_second("calls_inbound", "/api/calls?direction=inbound", "&")
    out["search"] = ["/api/conversations?q=" + urllib.parse.quote(q) for q in ("Contact 01", "4152001", "zzz")]
    # Threads: the five busiest numbers and 495 others, each first page; plus the second page
    # of the busiest ones.
    rng = random.Random(7)
    numbers = ["+1415%07d" % (2_000_000 + i) for i in range(seed["numbers"])]
    chosen = seed["busiest"] + rng.sample(numbers, 495)
    rng.shuffle(chosen)
    out["thread"] = ["/api/threads/" + urllib.parse.quote(n) for n in chosen]
    out["thread_page2"] = []
    for n in seed["busiest"]:
        page = get_json(conn, cookie, "/api/threads/" + urllib.parse.quote(n))
        if len(page["items"]) != 50 or not page["next"]:
            sys.exit(f"thread {n}: expected a full first page")
        out["thread_page2"].append(f"/api/threads/{urllib.parse.quote(n)}?before={page['next']}")
    for name, lines in out.items():
        with open(f"{outdir}/{name}.paths", "w") as f:
            f.write("\n".join(lines) + "\n")
    print(" ".join(out))


def mark_read(port, cookie, csrf, seed_json, start, end):
    seed = json.load(open(seed_json))
    numbers = seed["unread_numbers"][int(start):int(end)]
    conn = connect(port)
    headers = {"Cookie": cookie, "X-CSRF-Token": csrf}
    times = []
    for n in numbers:
        path = f"/api/threads/{urllib.parse.quote(n)}/read"
        t0 = time.perf_counter()
        status, _, body = request(conn, "POST", path, headers)
        times.append(time.perf_counter() - t0)
        if status != 204:
            sys.exit(f"POST {path}: {status} {body[:200]!r}")
    times.sort()
    pct = lambda p: int(times[min(len(times) - 1, int(len(times) * p / 100))] * 1e6)
    print(f"RESULT requests={len(times)} p50_us={pct(50)} p99_us={pct(99)} "
          f"max_us={int(times[-1] * 1e6)}")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"login": login, "paths": paths, "read": mark_read}[command](*args)
