//! Many webhooks at once against the real server: every one answered with its TwiML after its
//! event was stored, none lost and none stored twice, whatever order the writes end up in.

use std::sync::Arc;

use super::harness::*;

const CALLS: usize = 250;
const TEXTS: usize = 250;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_hundred_concurrent_signed_webhooks_are_all_answered_and_each_stored_once() {
    let app = Arc::new(TestApp::start().await);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..CALLS + TEXTS {
        let app = Arc::clone(&app);
        tasks.spawn(async move {
            let from = format!("+1415555{i:04}");
            if i < CALLS {
                let call_sid = sid("CA");
                let params = call_params(&call_sid, &from);
                let reply = app
                    .post_signed("/flow/voice/default", &borrow(&params))
                    .await;
                let expected = "<Response><Redirect>https://vbx.example.com/flow/voice/phone\
                                </Redirect></Response>";
                assert_eq!(reply.twiml(), expected, "call {i}");
                ("calls", call_sid)
            } else {
                let message_sid = sid("SM");
                let params = text_params(&message_sid, &from, &format!("text {i}"), &[]);
                let reply = app.post_signed("/flow/msg/default", &borrow(&params)).await;
                let expected = format!(
                    "<Response><Message to=\"+18005555555\"><Body>From: {from}\ntext {i}\
                     </Body></Message></Response>"
                );
                assert_eq!(reply.twiml(), expected, "text {i}");
                ("messages", message_sid)
            }
        });
    }
    let mut answered = Vec::new();
    while let Some(done) = tasks.join_next().await {
        answered.push(done.unwrap());
    }
    assert_eq!(answered.len(), CALLS + TEXTS);

    let pool = app.store.pool();
    let calls: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM calls")
        .fetch_one(pool)
        .await
        .unwrap();
    let messages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!((calls, messages), (CALLS as i64, TEXTS as i64));
    for (table, sid) in &answered {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE sid = $1"))
            .bind(sid)
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(rows, 1, "{table} row for {sid}");
    }
}
