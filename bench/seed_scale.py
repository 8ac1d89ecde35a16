"""Seeds a migrated vbx store (created by a first `vbx serve`) for bench/scale.sh: by default
1,000,000 messages and 100,000 top-level calls (plus their <Dial> legs) across 20,000 numbers
(issue 18 §4), written with the real schema and its triggers active, so the full-text indexes,
`latest_activity` and the unread counts are filled the way vbx fills them. The data is meant
to look like years of one busy number:

- activity per number is skewed (Zipf-like: a few numbers have tens of thousands of messages,
  most have a few dozen), every number has at least one message; rows are stored oldest first,
  as vbx stores them (a search walks the text index newest stored first);
- 55 % of messages are inbound; inbound ones are read except the newest 1-4 of 15 % of the
  numbers; 5 % of messages carry 1-3 media items (those of inbound ones already downloaded,
  as vbx does when they arrive); 2 % of outbound ones failed; most outbound ones were sent by
  vbx (a `sent` SMS outbox row whose result is the message SID), and a few texts are still
  queued or were refused (outbox only);
- message bodies come from 12 phrases, and 1 % of them end in a rare token `ref NNNNN`
  (random 5 digits): a search for a common word has a page of hits in the newest few hundred
  texts, a search for such a token (a "needle") has one or two in the whole store;
- calls of every status Twilio reports, 40 % of them from the browser (`client:vbx`), a
  `<Dial>` leg to the forwarding cell phone for some answered inbound ones, voicemails (most
  with transcriptions) on missed inbound calls, up to a tenth of the calls (10,000), 2 % of
  them not yet heard;
- calls answered in the browser or on the cell, forwarded or sent to voicemail keep how their
  <Dial> ended (dial status, who picked up, talk time: schema 14, when the store has it);
- a fifth of the numbers are contacts; 1 in 2,000 numbers is blocked (what came since is
  stored blocked), 2 % are archived; the cell phone (an `sms` device) exchanged relay texts
  too, so the conversation list has a hidden number to leave out.

Usage: python3 bench/seed_scale.py DB [--numbers N] [--messages N] [--calls N]
Prints one JSON line: what was written and how long it took, the numbers with unread messages
(for the mark-read measurement), the busiest numbers by texts and by calls, and needles
(`ref NNNNN` tokens that occur, with their number of texts).
"""

import argparse
import json
import random
import sqlite3
import time
from collections import Counter

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
TRANSCRIPTIONS = (None, "Hi, it's me, call me back when you can.",
                  "Hello, this is about the invoice, please call back.",
                  "Your parcel is at the front desk.")


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
    ap.add_argument("--numbers", type=int, default=20_000)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    t0 = time.monotonic()
    rng = random.Random(args.seed)
    now = int(time.time() * 1000)
    start = now - 730 * DAY
    db = sqlite3.connect(args.db, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    # Seeding only: one transaction, no fsync, a rollback journal instead of a WAL as large as
    # the store, a 1 GB page cache. The store goes back to WAL at the end (vbx asks for it too).
    db.execute("PRAGMA journal_mode = DELETE")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -1000000")
    db.execute("PRAGMA temp_store = MEMORY")

    numbers = [number(i) for i in range(args.numbers)]
    unread_numbers = set(rng.sample(numbers, args.numbers * 15 // 100))
    # What the user decided (conversation_marks): 1 in 2,000 numbers blocked in the last two
    # months (what they sent since is stored blocked: texts read, calls rejected), 2 % of them
    # archived in the last two days (listed again if anything came since).
    marked = rng.sample(numbers, max(1, args.numbers // 2000) + args.numbers // 50)
    blocked = {n: now - rng.randrange(DAY, 60 * DAY)
               for n in marked[:max(1, args.numbers // 2000)]}
    archived = {n: now - rng.randrange(0, 2 * DAY) for n in marked[len(blocked):]}
    # Message rows without their SID (given once they are in stored order):
    # [sid, from, to, body, direction, status, num_media, error_code, error_message,
    #  created_at, updated_at, read_at, blocked, sent_by_vbx]
    messages = []
    needles = Counter()
    per_number = skewed_counts(rng, args.messages, args.numbers, 1)
    unread = 0
    for n, count in zip(numbers, per_number):
        times = sorted(rng.randrange(start, now) for _ in range(count))
        rows = []
        for t in times:
            inbound = rng.random() < 0.55
            body = rng.choice(WORDS)
            if rng.random() < 0.01:
                token = "%05d" % rng.randrange(10_000, 100_000)
                needles[token] += 1
                body = f"{body} ref {token}"
            nmedia = rng.choice((1, 1, 2, 3)) if rng.random() < 0.05 else 0
            if inbound:
                stopped = n in blocked and t > blocked[n]
                rows.append([None, n, OURS, body, "inbound", "received", nmedia, None, None,
                             t, t, t if stopped else t + 60_000, int(stopped), False])
            else:
                failed = rng.random() < 0.02
                rows.append([None, OURS, n, body, "outbound",
                             "failed" if failed else rng.choice(("delivered", "delivered", "sent")),
                             nmedia, 30007 if failed else None,
                             "Message filtered" if failed else None, t, t + 2000, None, 0,
                             rng.random() < 0.8])
        inbound_rows = [r for r in rows if r[4] == "inbound" and not r[12]]
        if n in unread_numbers and inbound_rows:
            for r in inbound_rows[-rng.randint(1, 4):]:
                r[11] = None
                unread += 1
        else:
            unread_numbers.discard(n)
        messages.extend(rows)
    # Relay texts with the forwarding cell phone: hidden from the conversation list.
    for i in range(300):
        t = rng.randrange(start, now)
        messages.append([None, OURS, CELL, f"[{numbers[i]}] forwarded text", "outbound",
                         "delivered", 0, None, None, t, t, None, 0, False])
    messages.sort(key=lambda r: r[9])
    media, outbox = [], []
    for i, r in enumerate(messages):
        sid = r[0] = "SM%032x" % i
        for idx in range(r[6]):
            # vbx keeps a copy of incoming media (`media/in/<sid>/<idx>`, worker/inbound_media.rs);
            # left without one, its download worker would spend the run retrying them all.
            local = f"media/in/{sid}/{idx}" if r[4] == "inbound" else None
            media.append((sid, idx, f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}"
                          f"/Messages/{sid}/Media/ME{idx:032x}", "image/jpeg", local))
        if r.pop():
            t = r[9]
            payload = json.dumps({"to": r[2], "body": r[3], "media": []})
            outbox.append(("sms", payload, "sent", 1, t, None, sid, t, t + 1000))
    # Texts vbx has not sent yet, or that Twilio refused: only in the outbox.
    for i in range(50):
        n = rng.choice(numbers)
        t = now - rng.randrange(0, 30 * DAY)
        status = "failed" if i % 3 else "pending"
        payload = json.dumps({"to": n, "body": "queued " + rng.choice(WORDS), "media": []})
        outbox.append(("sms", payload, status, 5 if status == "failed" else 0, t,
                       "Twilio error 21610" if status == "failed" else None, None, t, t))
    t_generated = time.monotonic()

    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO messages (sid, account_sid, from_number, to_number, body, direction, status,"
        " num_media, error_code, error_message, created_at, updated_at, read_at, blocked)"
        " VALUES (?,'" + ACCOUNT + "',?,?,?,?,?,?,?,?,?,?,?,?)", messages)
    t_messages = time.monotonic()
    db.executemany("INSERT INTO media (message_sid, idx, url, content_type, local_path)"
                   " VALUES (?,?,?,?,?)", media)
    outbox.sort(key=lambda r: r[7])
    db.executemany(
        "INSERT INTO outbox (kind, payload, status, attempts, next_attempt_at, last_error,"
        " result, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)", outbox)

    # Since schema 14 a call keeps how its <Dial> ended (the action's DialCallStatus, who
    # picked up, the talk time); an older schema has no such columns.
    dial_columns = {"dial_status", "answered_to", "talk_s"} <= {
        row[1] for row in db.execute("PRAGMA table_info(calls)")}
    calls, recordings = [], []
    statuses = [s for s, _ in CALL_STATUSES]
    weights = [w for _, w in CALL_STATUSES]
    max_voicemails = args.calls // 10
    legs = 0
    per_number_calls = skewed_counts(rng, args.calls, args.numbers, 0)
    for n, count in zip(numbers, per_number_calls):
        for _ in range(count):
            t = rng.randrange(start, now)
            sid = "CA%032x" % len(calls)
            status = rng.choices(statuses, weights)[0]
            duration = rng.randrange(5, 900) if status == "completed" else (
                0 if status in ("no-answer", "busy", "canceled", "failed") else None)
            ended = t + (duration or 0) * 1000 if duration is not None else None
            talk = max(1, (duration or 0) - 8)
            # [sid, from, to, direction, status, alias, parent_sid, duration_s, started_at,
            #  ended_at, created_at, updated_at, blocked, dial_status, answered_to, talk_s]
            if rng.random() < 0.6:
                if n in blocked and t > blocked[n]:  # rejected: Twilio reports it busy
                    calls.append([sid, n, OURS, "inbound", "busy", "default", None, 0, t, t, t,
                                  t, 1, None, None, None])
                    continue
                call = [sid, n, OURS, "inbound", status, "default", None, duration, t,
                        ended, t, ended or t, 0, None, None, None]
                calls.append(call)
                if status == "completed" and rng.random() < 0.4:  # answered on the cell
                    leg = "CA%032x" % (len(calls) + 10_000_000)
                    calls.append([leg, OURS, CELL, "outbound-dial", "completed", None, sid,
                                  duration, t + 3000, ended, t + 3000, ended or t, 0, None,
                                  None, None])
                    call[13:16] = ["completed", CELL, talk]
                    legs += 1
                elif status in ("no-answer", "completed") \
                        and len(recordings) < max_voicemails and rng.random() < 0.4:
                    rsid = "RE%032x" % len(recordings)
                    text = rng.choice(TRANSCRIPTIONS)
                    at = (ended or t) + 1000
                    recordings.append((rsid, sid, f"https://api.twilio.com/2010-04-01/Accounts/"
                                       f"{ACCOUNT}/Recordings/{rsid}", rng.randrange(3, 60),
                                       "completed", text, "completed" if text else None,
                                       at, at + 4000,
                                       None if rng.random() < 0.02 else at + 60_000))
                    call[13] = "no-answer"
                elif status == "completed":  # answered in the browser
                    call[13:16] = ["completed", "client:browser", talk]
                elif status == "no-answer":
                    call[13] = "no-answer"
            else:  # placed from the browser: the <Dial> action says how the callee's leg ended
                calls.append([sid, "client:vbx", n, "inbound",
                              status if status in ("in-progress", "ringing", "queued")
                              else "completed", None, None, duration, t, ended, t, ended or t, 0,
                              None if status in ("in-progress", "ringing", "queued") else status,
                              n if status == "completed" else None,
                              talk if status == "completed" else None])
    calls.sort(key=lambda r: r[10])  # stored as they happened; a leg after its call
    recordings.sort(key=lambda r: r[7])
    columns = ("sid, account_sid, from_number, to_number, direction, status, alias, parent_sid,"
               " duration_s, started_at, ended_at, created_at, updated_at, blocked")
    width = 16 if dial_columns else 13
    if dial_columns:
        columns += ", dial_status, answered_to, talk_s"
    db.executemany(
        f"INSERT INTO calls ({columns}) VALUES (?,'{ACCOUNT}'{',?' * (width - 1)})",
        [r[:width] for r in calls])
    db.executemany(
        "INSERT INTO recordings (sid, call_sid, url, duration_s, status, transcription_text,"
        " transcription_status, created_at, updated_at, heard_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        recordings)
    db.executemany(
        "INSERT INTO conversation_marks (number, archived_at, blocked_at) VALUES (?,?,?)",
        [(n, None, at) for n, at in blocked.items()]
        + [(n, at, None) for n, at in archived.items()])
    contacts = rng.sample(numbers, args.numbers // 5)
    db.executemany(
        "INSERT INTO contacts (number, name, edited, created_at, updated_at) VALUES (?,?,1,?,?)",
        [(n, f"Contact {i:04d}", start, start) for i, n in enumerate(contacts)])
    db.execute("COMMIT")
    t_committed = time.monotonic()
    db.execute("PRAGMA journal_mode = WAL")
    db.close()
    unread_list = sorted(unread_numbers)
    rng.shuffle(unread_list)  # mark-read runs take slices: mix busy and quiet numbers
    busiest = [n for _, n in sorted(zip(per_number, numbers), reverse=True)[:5]]
    busiest_calls = [n for _, n in sorted(zip(per_number_calls, numbers), reverse=True)[:5]]
    # Needles: tokens in exactly one text first, then the rarest others.
    found = sorted(needles.items(), key=lambda kv: (kv[1], kv[0]))
    print(json.dumps({
        "numbers": args.numbers, "messages": len(messages), "media": len(media),
        "outbox": len(outbox), "top_level_calls": len(calls) - legs, "dial_legs": legs,
        "voicemails": len(recordings), "contacts": len(contacts), "unread_messages": unread,
        "blocked_numbers": len(blocked), "archived_numbers": len(archived),
        "rejected_calls": sum(r[12] for r in calls), "dial_columns": dial_columns,
        "texts_with_ref": sum(needles.values()),
        "seconds": {"generate": round(t_generated - t0, 1),
                    "insert_messages": round(t_messages - t_generated, 1),
                    "total": round(t_committed - t0, 1)},
        "unread_numbers": unread_list, "busiest": busiest,
        "busiest_messages": sorted(per_number, reverse=True)[:5],
        "busiest_calls": busiest_calls,
        "busiest_calls_count": sorted(per_number_calls, reverse=True)[:5],
        "needles": {token: count for token, count in found[:20]},
    }))


if __name__ == "__main__":
    main()
