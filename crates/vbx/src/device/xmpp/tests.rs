//! The XMPP device's reconnection: one attempt per step, waits that grow, a stop.

use super::*;
use crate::store::test_support::store;

/// A port nothing listens on: bound, then closed.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn each_step_is_one_attempt_and_failed_ones_wait_longer_until_one_stops() {
    let (_dir, store) = store().await;
    let port = closed_port();
    let mut device = XmppDevice::new(
        "jabber".into(),
        config::Xmpp {
            component: "sms.example.com".into(),
            secret: config::Secret::new("s3cret"),
            server: "127.0.0.1".into(),
            port,
            target: "me@example.com".into(),
        },
        store,
        LivePresence::new(),
        EventHub::default(),
        PhoneNumber::parse("+18001234567").unwrap(),
        ContactBook::default(),
    );
    let (stop, mut shutdown) = watch::channel(false);
    let timing = Timing::default();
    for failures in 1..=3 {
        assert_eq!(
            device.step(&mut shutdown).await,
            Next::RetryIn(timing.backoff(failures))
        );
    }
    let status = device.status().borrow().clone();
    assert_eq!(status.attempts, 3);
    assert!(!status.connected);
    let error = status.last_error.unwrap();
    assert!(
        error.contains(&format!("127.0.0.1:{port}")) && error.contains("devices.jabber.port"),
        "{error}"
    );
    stop.send(true).unwrap();
    assert_eq!(device.step(&mut shutdown).await, Next::Stop);
    assert_eq!(
        device.status().borrow().attempts,
        3,
        "no attempt once stopping"
    );
}

#[test]
fn reconnect_waits_double_and_are_capped() {
    let t = Timing::default();
    let waits: Vec<u64> = (1..=8).map(|n| t.backoff(n).as_secs()).collect();
    assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
    assert_eq!(t.backoff(u32::MAX), Duration::from_secs(60));
    assert!(t.refused_retry >= Duration::from_secs(300));
}
