//! SIGKILL during a burst of incoming texts, and SIGTERM with webhooks in flight.

use std::collections::HashSet;
use std::time::Duration;

use crate::harness::{answered, burst, final_statuses, Setup, TestSim, WAIT};

const TEXTS: usize = 1000;

async fn wait_for_answers(sim: &TestSim, at_least: usize) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while answered(sim) < at_least {
        assert!(
            tokio::time::Instant::now() < deadline,
            "fewer than {at_least} texts answered within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn texts_arriving_while_vbx_is_killed_and_restarted_are_each_stored_exactly_once() {
    // Retries 50 ms apart cover a restart of the binary many times over.
    let retries = 400;
    let sim = TestSim::start_retrying(retries, Duration::from_secs(5)).await;
    let setup = Setup::new(&sim);
    let vbx = setup.start("first.log").await;
    setup.wire(&sim).await;
    let sids = burst(&sim, TEXTS);
    wait_for_answers(&sim, TEXTS / 10).await;
    vbx.kill().await;
    let answered_before_kill = answered(&sim);
    assert!(
        answered_before_kill < TEXTS,
        "the burst was over before the kill; nothing was interrupted"
    );
    let vbx = setup.start("second.log").await;
    let statuses = final_statuses(&sim, &sids, retries).await;
    let unanswered: Vec<_> = sids
        .iter()
        .zip(&statuses)
        .filter(|(_, s)| **s != Some(200))
        .collect();
    assert!(unanswered.is_empty(), "never answered 200: {unanswered:?}");
    let retried = sim
        .sim()
        .webhooks()
        .iter()
        .filter(|h| h.purpose == "sms" && h.attempt > 1)
        .count();
    assert!(retried > 0, "no text needed a retry: the kill hit nothing");
    assert!(vbx.terminate().await.success());

    let stored = setup.stored_messages().await;
    let duplicates: Vec<_> = stored.iter().filter(|(_, n)| *n != 1).collect();
    assert!(duplicates.is_empty(), "{duplicates:?}");
    let stored: HashSet<String> = stored.into_iter().map(|(sid, _)| sid).collect();
    let sent: HashSet<String> = sids.into_iter().collect();
    assert_eq!(stored.len(), TEXTS);
    assert_eq!(stored, sent);
    assert_eq!(setup.integrity().await, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_webhooks_in_flight_finish_and_leaves_a_sound_store() {
    // No retries: what is refused stays refused, so every answer can be checked.
    let sim = TestSim::start_retrying(0, Duration::from_secs(15)).await;
    let setup = Setup::new(&sim);
    let vbx = setup.start("vbx.log").await;
    setup.wire(&sim).await;
    let sids = burst(&sim, 300);
    wait_for_answers(&sim, 1).await;
    let status = vbx.terminate().await;
    assert!(status.success(), "vbx exited with {status}");
    let statuses = final_statuses(&sim, &sids, 0).await;
    // A webhook either got its 200 or never reached vbx (no connection): none was cut off
    // with an error or half an answer.
    let odd: Vec<_> = sids
        .iter()
        .zip(&statuses)
        .filter(|(_, s)| s.is_some_and(|code| code != 200))
        .collect();
    assert!(odd.is_empty(), "answers other than 200: {odd:?}");
    let answered: HashSet<&String> = sids
        .iter()
        .zip(&statuses)
        .filter(|(_, s)| **s == Some(200))
        .map(|(sid, _)| sid)
        .collect();
    assert!(!answered.is_empty());
    let stored = setup.stored_messages().await;
    assert!(stored.iter().all(|(_, n)| *n == 1), "{stored:?}");
    let stored: HashSet<&String> = stored.iter().map(|(sid, _)| sid).collect();
    let lost: Vec<_> = answered.difference(&stored).collect();
    assert!(lost.is_empty(), "answered 200 but not stored: {lost:?}");
    assert_eq!(setup.integrity().await, "ok");
}
