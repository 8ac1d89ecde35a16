//! vbx and its background work: a worker that stops while vbx runs stops vbx, saying which;
//! a stopping vbx closes the browser tabs' sockets.

use std::time::Duration;

use crate::harness::*;

#[tokio::test]
async fn a_worker_that_stops_stops_vbx_and_says_which() {
    let app = TestApp::builder()
        .worker(
            "test worker",
            Box::pin(tokio::time::sleep(Duration::from_millis(500))),
        )
        .start()
        .await;
    // vbx serves while the worker runs.
    let session = app.alice().await;
    assert_eq!(app.get("/api/session", &session).await.status, 200);
    let addr = app.addr;

    let ended = app.ended_by_itself(Duration::from_secs(20)).await;
    let error = ended.expect_err("vbx does not run on without a worker");
    assert_eq!(
        error.to_string(),
        "vbx stopped because its test worker worker stopped"
    );
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "vbx no longer listens"
    );
}

#[tokio::test]
async fn a_worker_that_panics_stops_vbx_with_the_panic() {
    let app = TestApp::builder()
        .worker(
            "test worker",
            Box::pin(async {
                tokio::time::sleep(Duration::from_millis(200)).await;
                panic!("the disk is gone");
            }),
        )
        .start()
        .await;
    let error = app
        .ended_by_itself(Duration::from_secs(20))
        .await
        .expect_err("vbx stops");
    assert_eq!(
        error.to_string(),
        "vbx stopped because its test worker worker panicked: the disk is gone"
    );
}

#[tokio::test]
async fn a_stopping_vbx_closes_the_tabs_sockets_as_going_away() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let mut socket = app.socket(&session).await;
    let stopped = tokio::spawn(app.stop());
    let close = socket.close_frame().await.expect("a close frame");
    assert_eq!(u16::from(close.code), 1001, "{close:?}");
    tokio::time::timeout(Duration::from_secs(20), stopped)
        .await
        .expect("vbx stops")
        .expect("stop task");
}
