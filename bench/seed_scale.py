"""Seeds a migrated vbx store (created by a first `vbx serve`) for bench/scale.sh: 100,000
messages and 20,000 top-level calls (plus their <Dial> legs) across 5,000 numbers, written with
the real schema. The data is meant to look like two years of one busy number:

- activity per number is skewed (Zipf-like: a few numbers have thousands of messages, most
  have a handful), every number has at least one message;
- 55 % of messages are inbound; inbound ones are read except the newest 1-4 of 15 % of the
  numbers; 5 % of messages carry 1-3 media items; 2 % of outbound ones failed; most outbound
  ones were sent by vbx (an `sent` SMS outbox row whose result is the message SID), and a few
  texts are still queued or were refused (outbox only);
- calls of every status Twilio reports, 40 % of them from the browser (`client:vbx`), a
  `<Dial>` leg to the forwarding cell phone for some answered inbound ones, voicemails (with
  transcriptions) on 2,000 missed inbound calls;
- 1,000 numbers are contacts; the cell phone (an `sms` device) exchanged relay texts too,
  so the conversation list has a hidden number to leave out.

Usage: python3 bench/seed_scale.py DB [--numbers N] [--messages N] [--calls N]
Prints one JSON line: what was written, and the numbers with unread messages (for the
mark-read measurement) and the busiest numbers.
"""

import argparse
import json
import random
import sqlite3
import time

ACCOUNT = "AC0123456789abcdef0123456789abcdef"
OURS = "+18001234567"
CELL = "+18005555555"
DAY = 86_400_000
CALL_STATUSES = [  # (status, weight) for top-level calls
    ("completed", 55), ("no-answer", 15), ("busy", 8), ("canceled", 9), ("failed", 4),
    ("in-progress", 0.05), ("ringing", 0.05), ("queued", 0.02),
]
WORDS = ("ok see you at five", "thanks!", "can you call me back", "on my way",
         "the parcel arrived", "what time tomorrow?", "sounds good", "running late, sorry",
         "invoice attached", "happy birthday 🎉", "ünïcödé <&> test", "call me")


def number(i):
    return "+1415%07d" % (2_000_000 + i)


def skewed_counts(rng, total, n, floor):
    """`total` split over `n` numbers, Zipf-like (exponent 0.9), each at least `floor`."""
    weights = [1 / (rank + 1) ** 0.9 for rank in range(n)]
    rng.shuffle(weights)
    scale = (total - floor * n) / sum(weights)
    counts = [floor + int(w * scale) for w in weights]
    for i in range(total - sum(counts)):
        counts[i % n] += 1
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--numbers", type=int, default=5000)
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--calls", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    now = int(time.time() * 1000)
    start = now - 730 * DAY
    db = sqlite3.connect(args.db)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA foreign_keys = ON")

    numbers = [number(i) for i in range(args.numbers)]
    unread_numbers = set(rng.sample(numbers, args.numbers * 15 // 100))
    messages, media, outbox = [], [], []
    per_number = skewed_counts(rng, args.messages, args.numbers, 1)
    unread = 0
    for n, count in zip(numbers, per_number):
        times = sorted(rng.randrange(start, now) for _ in range(count))
        rows = []
        for t in times:
            sid = "SM%032x" % len(messages)
            inbound = rng.random() < 0.55
            body = rng.choice(WORDS)
            nmedia = rng.choice((1, 1, 2, 3)) if rng.random() < 0.05 else 0
            if inbound:
                rows.append([sid, n, OURS, body, "inbound", "received", nmedia, None, None,
                             t, t, t + 60_000])
            else:
                failed = rng.random() < 0.02
                rows.append([sid, OURS, n, body, "outbound",
                             "failed" if failed else rng.choice(("delivered", "delivered", "sent")),
                             nmedia, 30007 if failed else None,
                             "Message filtered" if failed else None, t, t + 2000, None])
                if rng.random() < 0.8:
                    payload = json.dumps({"to": n, "body": body, "media": []})
                    outbox.append(("sms", payload, "sent", 1, t, None, sid, t, t + 1000))
            for idx in range(nmedia):
                media.append((sid, idx, f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}"
                              f"/Messages/{sid}/Media/ME{idx:032x}", "image/jpeg"))
            messages.append(rows[-1])
        inbound_rows = [r for r in rows if r[4] == "inbound"]
        if n in unread_numbers and inbound_rows:
            for r in inbound_rows[-rng.randint(1, 4):]:
                r[11] = None
                unread += 1
        else:
            unread_numbers.discard(n)
    # Relay texts with the forwarding cell phone: hidden from the conversation list.
    for i in range(300):
        t = rng.randrange(start, now)
        sid = "SM%032x" % len(messages)
        messages.append([sid, OURS, CELL, f"[{numbers[i]}] forwarded text", "outbound",
                         "delivered", 0, None, None, t, t, None])
    # Texts vbx has not sent yet, or that Twilio refused: only in the outbox.
    for i in range(50):
        n = rng.choice(numbers)
        t = now - rng.randrange(0, 30 * DAY)
        status = "failed" if i % 3 else "pending"
        payload = json.dumps({"to": n, "body": "queued " + rng.choice(WORDS), "media": []})
        outbox.append(("sms", payload, status, 5 if status == "failed" else 0, t,
                       "Twilio error 21610" if status == "failed" else None, None, t, t))
    db.executemany(
        "INSERT INTO messages (sid, account_sid, from_number, to_number, body, direction, status,"
        " num_media, error_code, error_message, created_at, updated_at, read_at)"
        " VALUES (?,'" + ACCOUNT + "',?,?,?,?,?,?,?,?,?,?,?)", messages)
    db.executemany("INSERT INTO media (message_sid, idx, url, content_type) VALUES (?,?,?,?)",
                   media)
    outbox.sort(key=lambda r: r[7])
    db.executemany(
        "INSERT INTO outbox (kind, payload, status, attempts, next_attempt_at, last_error,"
        " result, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)", outbox)

    calls, recordings = [], []
    statuses = [s for s, _ in CALL_STATUSES]
    weights = [w for _, w in CALL_STATUSES]
    legs = 0
    for n, count in zip(numbers, skewed_counts(rng, args.calls, args.numbers, 0)):
        for _ in range(count):
            t = rng.randrange(start, now)
            sid = "CA%032x" % len(calls)
            status = rng.choices(statuses, weights)[0]
            duration = rng.randrange(5, 900) if status == "completed" else (
                0 if status in ("no-answer", "busy", "canceled", "failed") else None)
            ended = t + (duration or 0) * 1000 if duration is not None else None
            if rng.random() < 0.6:
                calls.append((sid, n, OURS, "inbound", status, "default", None, duration, t,
                              ended, t, ended or t))
                if status == "completed" and rng.random() < 0.4:
                    leg = "CA%032x" % (len(calls) + 10_000_000)
                    calls.append((leg, OURS, CELL, "outbound-dial", "completed", None, sid,
                                  duration, t + 3000, ended, t + 3000, ended or t))
                    legs += 1
                elif status in ("no-answer", "completed") and len(recordings) < 2000 \
                        and rng.random() < 0.25:
                    rsid = "RE%032x" % len(recordings)
                    text = rng.choice((None, "Hi, it's me, call me back when you can."))
                    recordings.append((rsid, sid, f"https://api.twilio.com/2010-04-01/Accounts/"
                                       f"{ACCOUNT}/Recordings/{rsid}", rng.randrange(3, 60),
                                       "completed", text, "completed" if text else None,
                                       (ended or t) + 1000, (ended or t) + 5000))
            else:
                calls.append((sid, "client:vbx", n, "inbound", status, None, None, duration, t,
                              ended, t, ended or t))
    db.executemany(
        "INSERT INTO calls (sid, account_sid, from_number, to_number, direction, status, alias,"
        " parent_sid, duration_s, started_at, ended_at, created_at, updated_at)"
        " VALUES (?,'" + ACCOUNT + "',?,?,?,?,?,?,?,?,?,?,?)", calls)
    db.executemany(
        "INSERT INTO recordings (sid, call_sid, url, duration_s, status, transcription_text,"
        " transcription_status, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)", recordings)
    contacts = rng.sample(numbers, args.numbers // 5)
    db.executemany(
        "INSERT INTO contacts (number, name, edited, created_at, updated_at) VALUES (?,?,1,?,?)",
        [(n, f"Contact {i:04d}", start, start) for i, n in enumerate(contacts)])
    db.commit()
    unread_list = sorted(unread_numbers)
    rng.shuffle(unread_list)  # mark-read runs take slices: mix busy and quiet numbers
    busiest = [n for _, n in sorted(zip(per_number, numbers), reverse=True)[:5]]
    print(json.dumps({
        "numbers": args.numbers, "messages": len(messages), "media": len(media),
        "outbox": len(outbox), "top_level_calls": len(calls) - legs, "dial_legs": legs,
        "voicemails": len(recordings), "contacts": len(contacts), "unread_messages": unread,
        "unread_numbers": unread_list, "busiest": busiest,
        "busiest_messages": sorted(per_number, reverse=True)[:5],
    }))


if __name__ == "__main__":
    main()
