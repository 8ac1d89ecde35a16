//! A crowd of slow clients against the real binary with the common open-files limit of
//! 1,024: vbx raises its limit at start, so the crowd does not leave it unable to accept a
//! normal request.

use std::time::Duration;

use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

use crate::harness::{Setup, TestSim};

/// More than 1,024: with the soft limit vbx was given, these alone would use up its files.
const CLIENTS: usize = 1_100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eleven_hundred_slow_clients_do_not_stop_a_normal_request() {
    // This process holds the crowd's sockets itself.
    rlimit::increase_nofile_limit(4_096).expect("the test's own open-files limit");
    let sim = TestSim::start_retrying(0, Duration::from_secs(5)).await;
    let setup = Setup::new(&sim);
    let vbx = setup.start_with_open_files(1_024, 4_096, "vbx.log").await;
    let mut crowd = Vec::with_capacity(CLIENTS);
    for _ in 0..CLIENTS {
        let mut stream = TcpStream::connect(("127.0.0.1", setup.port))
            .await
            .expect("connect");
        // A request head, then one byte of a body that never comes.
        stream
            .write_all(
                b"POST /api/login HTTP/1.1\r\nHost: vbx\r\nContent-Type: application/json\r\n\
                  Content-Length: 1000\r\n\r\n{",
            )
            .await
            .expect("write");
        crowd.push(stream);
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let login = http
        .get(vbx.url("/login"))
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "GET /login with {CLIENTS} slow clients: {e}\n{}",
                vbx.log_text()
            )
        });
    assert_eq!(login.status(), 200);
    assert!(
        !vbx.log_text().contains("Too many open files"),
        "{}",
        vbx.log_text()
    );
    drop(crowd);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_its_connection_cap_vbx_refuses_the_newest_and_keeps_its_files() {
    use tokio::io::AsyncReadExt as _;
    rlimit::increase_nofile_limit(4_096).expect("the test's own open-files limit");
    let sim = TestSim::start_retrying(0, Duration::from_secs(5)).await;
    let setup = Setup::new(&sim);
    // 300 files in all (soft and hard): vbx keeps 64 of them for itself.
    let vbx = setup.start_with_open_files(300, 300, "vbx.log").await;
    let mut crowd = Vec::new();
    for _ in 0..300 {
        let mut stream = TcpStream::connect(("127.0.0.1", setup.port))
            .await
            .expect("connect");
        let _ = stream
            .write_all(
                b"POST /api/login HTTP/1.1\r\nHost: vbx\r\nContent-Type: application/json\r\n\
                  Content-Length: 1000\r\n\r\n{",
            )
            .await;
        crowd.push(stream);
    }
    // The newest were closed at once: reading them ends instead of waiting.
    let mut refused = 0;
    for stream in crowd.iter_mut().rev().take(30) {
        let mut buf = [0u8; 64];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await
        {
            refused += 1;
        }
    }
    assert!(refused > 0, "no connection was refused: {}", vbx.log_text());
    let log = vbx.log_text();
    assert!(log.contains("refusing connections"), "{log}");
    assert!(!log.contains("Too many open files"), "{log}");
    // Those let in are served; once the crowd leaves, so is everyone.
    drop(crowd);
    let login = reqwest::get(vbx.url("/login")).await.expect("vbx answers");
    assert_eq!(login.status(), 200);
}
