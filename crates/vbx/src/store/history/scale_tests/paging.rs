//! The list queries page through items of the same moment one by one, read their pages from
//! indexes, and load an item of a page as it loads alone.

use super::*;

#[tokio::test]
async fn a_thread_pages_one_by_one_through_items_of_every_kind_at_the_same_moment() {
    let (_dir, store) = store().await;
    let db = &conn(&_dir);
    let (pool, ann) = (store.pool(), PARTIES[0]);
    for at in [5, 7] {
        text(db, &format!("SM{at}a"), ann, ME, at);
        text(db, &format!("SM{at}b"), ME, ann, at);
        ring(db, &format!("CA{at}"), ann, "completed", at);
        voicemail(db, &format!("RE{at}"), &format!("CA{at}"), at);
        outbox::blocking::enqueue(db, "sms", &json!({"to": ann, "body": "q"}), None, at).unwrap();
    }
    text(db, "SMother", PARTIES[1], ME, 6);
    let mut conn = pool.acquire().await.unwrap();
    let all = thread(&mut conn, ann, None, 50).await.unwrap();
    let keys: Vec<_> = all.items.iter().map(key).collect();
    // Newest first; at the same moment, by key, descending.
    assert_eq!(
        keys,
        ["outbox:2", "SM7b", "SM7a", "RE7", "CA7", "outbox:1", "SM5b", "SM5a", "RE5", "CA5"]
    );
    for limit in [1, 3] {
        let mut paged = Vec::new();
        let mut cursor = None;
        loop {
            let page = thread(&mut conn, ann, cursor.as_ref(), limit)
                .await
                .unwrap();
            assert!(page.items.len() <= usize::try_from(limit).unwrap());
            paged.extend(page.items.iter().map(key));
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(paged, keys, "pages of {limit}");
    }
}

/// Every call of the log with `status`, a page of `limit` at a time.
async fn walk(pool: &SqlitePool, status: Option<&str>, limit: u32) -> Vec<String> {
    let mut query = CallLogQuery {
        status: status.map(str::to_owned),
        limit,
        ..Default::default()
    };
    let mut conn = pool.acquire().await.unwrap();
    let mut seen = Vec::new();
    loop {
        let page = call_log(&mut conn, &query).await.unwrap();
        assert!(page.items.len() <= usize::try_from(limit).unwrap());
        seen.extend(page.items.iter().map(|c| c.sid.clone()));
        match page.next {
            Some(next) => query.before = Some(next),
            None => return seen,
        }
    }
}

#[tokio::test]
async fn the_call_log_pages_through_calls_started_at_the_same_moment_with_their_first_voicemail() {
    let (_dir, store) = store().await;
    let db = &conn(&_dir);
    let pool = store.pool();
    for i in 0..7 {
        let status = if i % 2 == 0 { "completed" } else { "no-answer" };
        ring(
            db,
            &format!("CA{i}"),
            PARTIES[i % 3],
            status,
            100 + i64::try_from(i / 3).unwrap(),
        );
    }
    // Two recordings of one call: the log shows the first.
    voicemail(db, "RE2", "CA3", 130);
    voicemail(db, "RE1", "CA3", 120);
    let mut conn = pool.acquire().await.unwrap();
    let everything = ["CA6", "CA5", "CA4", "CA3", "CA2", "CA1", "CA0"];
    for limit in [1, 2, 50] {
        assert_eq!(
            walk(pool, None, limit).await,
            everything,
            "pages of {limit}"
        );
        assert_eq!(
            walk(pool, Some("no-answer"), limit).await,
            ["CA5", "CA3", "CA1"],
            "no-answer, pages of {limit}"
        );
    }
    let all = call_log(
        &mut conn,
        &CallLogQuery {
            limit: 50,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let recordings: Vec<_> = all
        .items
        .iter()
        .map(|c| c.recording.as_ref().map(|r| r.sid.as_str()))
        .collect();
    assert_eq!(
        recordings,
        [None, None, None, Some("RE1"), None, None, None]
    );
}

#[tokio::test]
async fn a_conversation_moves_back_when_its_newest_text_is_deleted_and_up_with_a_queued_one() {
    let (_dir, store) = store().await;
    let db = &conn(&_dir);
    let pool = store.pool();
    let (ann, bob) = (PARTIES[0], PARTIES[1]);
    text(db, "SM1", ann, ME, 10);
    text(db, "SM2", bob, ME, 20);
    text(db, "SM3", ann, ME, 30);
    let mut conn = pool.acquire().await.unwrap();
    let order = |page: Page<Conversation>| -> Vec<(String, i64)> {
        page.items
            .into_iter()
            .map(|c| (c.number, c.last.map(|l| l.at).unwrap_or_default()))
            .collect()
    };
    let q = ConversationQuery {
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        order(conversations(&mut conn, &q).await.unwrap()),
        [(ann.to_owned(), 30), (bob.to_owned(), 20)]
    );
    crate::store::texts::delete_message_in(db, "SM3")
        .unwrap()
        .unwrap();
    assert_eq!(
        order(conversations(&mut conn, &q).await.unwrap()),
        [(bob.to_owned(), 20), (ann.to_owned(), 10)]
    );
    let id = outbox::blocking::enqueue(db, "sms", &json!({"to": ann, "body": "q"}), None, 40)
        .unwrap()
        .unwrap();
    assert_eq!(
        order(conversations(&mut conn, &q).await.unwrap()),
        [(ann.to_owned(), 40), (bob.to_owned(), 20)]
    );
    // Sent: the queued row is no longer activity, the message it became is.
    outbox::blocking::mark_sent(db, id, Some("SM4"), 45).unwrap();
    text(db, "SM4", ME, ann, 44);
    assert_eq!(
        order(conversations(&mut conn, &q).await.unwrap()),
        [(ann.to_owned(), 44), (bob.to_owned(), 20)]
    );
}

/// The plan of `sql` as text, one detail per line, those of subqueries and parts of a
/// compound indented.
async fn plan(pool: &SqlitePool, sql: &str) -> String {
    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
        .fetch_all(pool)
        .await
        .unwrap();
    rows.into_iter()
        .map(|(_, parent, _, detail)| {
            if parent == 0 {
                detail
            } else {
                format!("  {detail}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether the query as a whole is sorted in a temporary B-tree (a part of it may be, such as
/// a call's few recordings).
fn sorts_everything(plan: &str) -> bool {
    plan.lines().any(|line| line.starts_with("USE TEMP B-TREE"))
}

#[tokio::test]
async fn the_list_queries_read_pages_from_indexes_without_sorting_whole_tables() {
    let (_dir, store) = store().await;
    let pool = store.pool();
    let cursor = Some((5, "x".to_owned()));

    for query in [
        ConversationQuery {
            hidden: vec![PARTIES[3].into()],
            limit: 50,
            ..Default::default()
        },
        ConversationQuery {
            before: cursor.clone(),
            limit: 50,
            ..Default::default()
        },
        ConversationQuery {
            search: Some("ann 55".into()),
            limit: 50,
            ..Default::default()
        },
    ] {
        let plan = plan(pool, conversation_rows(&query).sql()).await;
        assert!(plan.contains("latest_activity_at"), "{plan}");
        assert!(!sorts_everything(&plan), "{plan}");
        // A filter lists the matching contacts once, rather than joining a contact's name to
        // every conversation walked before deciding.
        if query.search.is_some() {
            assert!(plan.contains("LIST SUBQUERY"), "{plan}");
        }
    }

    for (query, index) in [
        (CallLogQuery::default(), "calls_log"),
        (
            CallLogQuery {
                before: cursor.clone(),
                direction: Some(Direction::Inbound),
                ..Default::default()
            },
            "calls_log ((started_at,sid)<(?,?))",
        ),
        (
            CallLogQuery {
                status: Some("failed".into()),
                before: cursor.clone(),
                ..Default::default()
            },
            "calls_log_status (status=? AND (started_at,sid)<(?,?))",
        ),
        (
            CallLogQuery {
                outcome: Some("rejected".into()),
                before: cursor.clone(),
                ..Default::default()
            },
            "calls_blocked ((started_at,sid)<(?,?))",
        ),
    ] {
        let plan = plan(pool, call_log_rows(&query).sql()).await;
        assert!(plan.contains(index), "{index}:\n{plan}");
        assert!(!sorts_everything(&plan), "{plan}");
    }

    for sql in [&*THREAD_FIRST, &*THREAD_LATER, &*THREAD_NEWEST] {
        let plan = plan(pool, sql).await;
        // Each part is read in order from its own index and merged; none reads a whole table.
        assert!(plan.contains("MERGE (UNION ALL)"), "{plan}");
        for index in [
            "messages_party",
            "calls_party",
            "recordings_party",
            "outbox_sms_to",
        ] {
            assert!(plan.contains(index), "{index}:\n{plan}");
        }
        // The voicemails are not found through every call of the number.
        assert_eq!(plan.matches("calls_party").count(), 1, "{plan}");
        // Only the newest keys' own list of numbers and its per-number results are scanned.
        assert!(
            plan.lines()
                .filter(|l| l.contains("SCAN"))
                .all(|l| l.contains("VIRTUAL TABLE") || l.contains("SCAN (subquery")),
            "{plan}"
        );
        assert!(!sorts_everything(&plan), "{plan}");
    }
}

#[tokio::test]
async fn a_page_loaded_at_once_has_each_item_as_loaded_alone() {
    let (_dir, store) = store().await;
    let db = &conn(&_dir);
    let (pool, ann) = (store.pool(), PARTIES[0]);
    for (i, media) in [0usize, 2, 1, 3].into_iter().enumerate() {
        let at = i64::try_from(i).unwrap() * 10;
        message::blocking::record_message_in(
            db,
            &message::NewMessage {
                sid: format!("MM{i}"),
                account_sid: ACCOUNT.into(),
                from: ann.into(),
                to: ME.into(),
                body: format!("with {media} pictures"),
                direction: "inbound".into(),
                status: "received".into(),
                created_at_ms: at,
                media: (0..media)
                    .map(|m| message::NewMedia {
                        url: format!("https://api.twilio.com/{i}/{m}"),
                        content_type: if m % 2 == 0 { "image/png" } else { "image/gif" }.into(),
                    })
                    .collect(),
            },
        )
        .unwrap();
        ring(db, &format!("CA{i}"), ann, "no-answer", at + 1);
        voicemail(db, &format!("RE{i}"), &format!("CA{i}"), at + 2);
    }
    message::blocking::apply_message_status(db, "MM1", "failed", Some(30007), None, 15).unwrap();
    let queued =
        outbox::blocking::enqueue(db, "sms", &json!({"to": ann, "body": "later"}), None, 50)
            .unwrap()
            .unwrap();
    let refused = outbox::blocking::enqueue(db, "sms", &json!({"to": ann, "body": "no"}), None, 51)
        .unwrap()
        .unwrap();
    outbox::blocking::mark_failed(db, refused, "Twilio answered HTTP 400", 52).unwrap();

    let mut conn = pool.acquire().await.unwrap();
    for limit in [50, 5] {
        let page = thread(&mut conn, ann, None, limit).await.unwrap();
        assert_eq!(page.items.len(), usize::try_from(limit.min(14)).unwrap());
        for item in &page.items {
            let alone = match item {
                Item::Message(m) => match (&m.sid, m.outbox_id) {
                    (Some(sid), _) => blocking::message_item(db, sid).unwrap(),
                    (None, Some(id)) => blocking::outbox_item(db, id).unwrap(),
                    (None, None) => panic!("{m:?}"),
                },
                Item::Call(c) => blocking::call_item(db, &c.sid).unwrap(),
                Item::Voicemail(v) => blocking::voicemail_item(db, &v.sid).unwrap(),
            };
            assert_eq!(alone.map(|l| l.item).as_ref(), Some(item));
        }
    }
    let page = thread(&mut conn, ann, None, 50).await.unwrap();
    let unsent: Vec<(Option<i64>, &str)> = page.items[..2]
        .iter()
        .map(|item| match item {
            Item::Message(m) => (m.outbox_id, m.status.as_str()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        unsent,
        [(Some(refused), "failed"), (Some(queued), "queued")]
    );
    let media: Vec<usize> = page
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Message(m) if m.sid.is_some() => Some(m.media.len()),
            _ => None,
        })
        .collect();
    assert_eq!(media, [3, 1, 2, 0]);
    let conversation = conversations(
        &mut conn,
        &ConversationQuery {
            limit: 5,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let last = conversation.items[0].last.as_ref().unwrap();
    assert_eq!(
        (last.kind, last.text.as_str(), last.at),
        ("message", "no", 51)
    );
}
