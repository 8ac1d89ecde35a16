"""HTTP helpers for bench/scale.sh, on one keep-alive connection to a running vbx.

  login PORT USER PASSWORD                 prints `vbx_session=…` and the CSRF token (2 lines)
  paths PORT COOKIE SEED_JSON OUTDIR       writes one file of paths per measured request kind,
                                           after checking each first page is full and that its
                                           second page follows it, that a text search finds
                                           only texts with the words, newest first, and that
                                           each needle is found as often as it was seeded
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
    # The call log filtered by what the calls were (`outcome`, since schema 14; the app's
    # filter): common outcomes, each a full page, and `rejected` (calls from blocked numbers:
    # few or none in the store, the worst case for a filter that reads the log in page order).
    if "outcome" in calls["items"][0]:
        out["calls_outcome"], out["calls_outcome_page2"] = [], []
        for outcome in ("missed", "voicemail", "answered"):
            path = f"/api/calls?outcome={outcome}"
            page, page2 = first_and_second("calls_" + outcome, path, "&")
            if any(c["outcome"] != outcome for c in page["items"] + page2["items"]):
                sys.exit(f"{path}: a call with another outcome")
            out["calls_outcome"] += out.pop("calls_" + outcome)
            out["calls_outcome_page2"] += out.pop("calls_" + outcome + "_page2")
        path = "/api/calls?outcome=rejected"
        page = get_json(conn, cookie, path)
        if len(page["items"]) != min(50, seed.get("rejected_calls", len(page["items"]))):
            sys.exit(f"{path}: {len(page['items'])} calls, {seed['rejected_calls']} seeded")
        out["calls_blocked"] = [path]
    out["search"] = ["/api/conversations?q=" + urllib.parse.quote(q) for q in ("Contact 01", "4152001", "zzz")]
    # Full-text search of texts and voicemails (GET /api/search): common words (each in about
    # a twelfth of the texts), a prefix, two words, and needles (a `ref NNNNN` token in one or
    # two texts of the million). `search_text` is the mix; the parts are there to look into one.
    needles = list(seed["needles"])[:3]
    if not needles:
        sys.exit("seed: no needles")
    kinds = {
        "search_text_common": ["parcel", "invoice", "tomorrow"],
        "search_text_prefix": ["birth"],
        "search_text_two_words": ["call back"],
        "search_text_needle": [f"ref {t}" for t in needles],
    }
    search_path = lambda q: "/api/search?q=" + urllib.parse.quote(q)
    for name, queries in kinds.items():
        out[name] = [search_path(q) for q in queries]
    out["search_text"] = [search_path(q) for q in (
        "parcel", "invoice", "tomorrow", "birth", "call back", f"ref {needles[0]}",
        f"ref {needles[1 % len(needles)]}")]
    out["search_text_page2"] = []
    for q in ("parcel", "invoice", "birth", "call back"):
        page = get_json(conn, cookie, search_path(q))
        hits = page["items"]
        if len(hits) < 50 or not page["next"]:
            sys.exit(f"search {q!r}: expected a full first page with a next cursor, got "
                     f"{len(hits)} items")
        words = q.split()
        for hit in hits:
            text = hit["snippet"].lower()
            if any(w not in text for w in words):
                sys.exit(f"search {q!r}: a hit without the words: {hit}")
        at = [h["at"] for h in hits]
        if at != sorted(at, reverse=True):
            sys.exit(f"search {q!r}: hits are not newest first")
        second = f"{search_path(q)}&before={page['next']}"
        page2 = get_json(conn, cookie, second)
        if not page2["items"] or page2["items"][0]["at"] > min(
                h["at"] for h in hits if h["kind"] == "message"):
            sys.exit(f"{second}: the second page does not follow the first")
        if q != "call back":
            out["search_text_page2"].append(second)
    for token, count in seed["needles"].items():
        page = get_json(conn, cookie, search_path(f"ref {token}"))
        if len(page["items"]) != count or page["next"]:
            sys.exit(f"search 'ref {token}': expected {count} hits, got {len(page['items'])}")
    # Threads: the five busiest numbers by texts, the five by calls and 490 others, each first
    # page; plus the second page of the busiest ones.
    rng = random.Random(7)
    numbers = ["+1415%07d" % (2_000_000 + i) for i in range(seed["numbers"])]
    busiest = list(dict.fromkeys(seed["busiest"] + seed.get("busiest_calls", [])))
    chosen = busiest + rng.sample(numbers, 500 - len(busiest))
    rng.shuffle(chosen)
    out["thread"] = ["/api/threads/" + urllib.parse.quote(n) for n in chosen]
    out["thread_page2"] = []
    for n in busiest:
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
