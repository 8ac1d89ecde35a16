//! The kept unread counts (triggers of `0004_unread.sql`) against a count of the messages
//! themselves, after any sequence of what can happen to a message.

use proptest::prelude::*;

use super::*;
use crate::store::test_support::store;
use crate::store::{message, Store};

const ME: &str = "+18001234567";
const PARTIES: [&str; 3] = ["+15550000001", "+15550000002", "+15550000003"];

#[derive(Debug, Clone)]
enum Op {
    /// A text arrives from a party (or, when `outbound`, goes to it); SIDs repeat, so some
    /// are the same text again.
    Text {
        sid: u8,
        party: usize,
        outbound: bool,
    },
    /// A status callback for a SID, possibly before its text (a stub row).
    Status {
        sid: u8,
    },
    MarkRead {
        party: usize,
    },
    Delete {
        sid: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..12u8, 0..3usize, any::<bool>())
            .prop_map(|(sid, party, outbound)| Op::Text { sid, party, outbound }),
        1 => (0..12u8).prop_map(|sid| Op::Status { sid }),
        1 => (0..3usize).prop_map(|party| Op::MarkRead { party }),
        1 => (0..12u8).prop_map(|sid| Op::Delete { sid }),
    ]
}

async fn apply(store: &Store, op: &Op, at: i64) {
    match *op {
        Op::Text {
            sid,
            party,
            outbound,
        } => {
            let (from, to) = if outbound {
                (ME, PARTIES[party])
            } else {
                (PARTIES[party], ME)
            };
            let text = message::NewMessage {
                sid: format!("SM{sid}"),
                account_sid: "AC00000000000000000000000000000000".into(),
                from: from.into(),
                to: to.into(),
                body: "x".into(),
                direction: if outbound { "outbound-api" } else { "inbound" }.into(),
                status: if outbound { "sent" } else { "received" }.into(),
                created_at_ms: at,
                media: vec![],
            };
            crate::store::test_support::record_text(store, text).await;
        }
        Op::Status { sid } => {
            store
                .apply_message_status(&format!("SM{sid}"), "delivered", None, None, at)
                .await
                .unwrap();
        }
        Op::MarkRead { party } => {
            store
                .mark_thread_read(PARTIES[party], &[], at)
                .await
                .unwrap();
        }
        Op::Delete { sid } => {
            store.delete_message(&format!("SM{sid}"), at).await.unwrap();
        }
    }
}

async fn counted(store: &Store, party: Option<&str>, hidden: &[String]) -> i64 {
    let mut sql = String::from(
        "SELECT COUNT(*) FROM messages WHERE direction = 'inbound' AND read_at IS NULL",
    );
    if let Some(party) = party {
        sql.push_str(&format!(" AND from_number = '{party}'"));
    }
    for number in hidden {
        sql.push_str(&format!(" AND from_number <> '{number}'"));
    }
    sqlx::query_scalar(&sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_kept_counts_always_equal_counting_the_messages(ops in prop::collection::vec(op(), 1..40)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let (_dir, store) = store().await;
            for (at, op) in ops.iter().enumerate() {
                apply(&store, op, at as i64 + 1).await;
                for party in PARTIES {
                    assert_eq!(
                        unread(store.pool(), party).await.unwrap(),
                        counted(&store, Some(party), &[]).await,
                        "{party} after {ops:?}"
                    );
                }
                let hidden = vec![PARTIES[0].to_owned()];
                assert_eq!(
                    unread_total(store.pool(), &hidden).await.unwrap(),
                    counted(&store, None, &hidden).await,
                    "total less hidden after {ops:?}"
                );
                assert_eq!(
                    unread_total(store.pool(), &[]).await.unwrap(),
                    counted(&store, None, &[]).await,
                    "total after {ops:?}"
                );
            }
        });
    }
}
