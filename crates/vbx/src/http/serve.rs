//! Serving the router with the bounds `axum::serve` does not set: a client must send its
//! request head within [`Limits::header_read`] and be answered within [`Limits::request`]
//! (body included; [`Limits::upload`] for sending a text with pictures), so slow clients
//! cannot hold connections for long; and vbx takes at most [`connection_cap`] connections at
//! once, below its open-files limit (raised to the hard limit at start), so a crowd of them
//! cannot leave it without file descriptors for its store and its own requests.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt as _;

/// Time limits on each connection and request.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// From the connection's start (or the end of the previous answer) to the end of the
    /// request head; after it, the connection is closed.
    pub header_read: Duration,
    /// From the request head to the answer, reading the body included; after it, 408 and the
    /// connection is closed. WebSockets are not bound by it once upgraded.
    pub request: Duration,
    /// [`Limits::request`] for `POST /api/messages`, whose pictures may take long to arrive.
    pub upload: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        // Twilio gives up on a webhook after 15 s and the app's requests are small; a 50 MB
        // upload over a slow uplink needs minutes.
        Limits {
            header_read: Duration::from_secs(10),
            request: Duration::from_secs(30),
            upload: Duration::from_secs(300),
        }
    }
}

/// File descriptors kept for the store, media files, the workers' connections and logs.
fn reserved_files(open_files: u64) -> u64 {
    (open_files / 8).max(64)
}

/// How many connections vbx serves at once with `open_files` descriptors.
pub fn connection_cap(open_files: u64) -> usize {
    let cap = open_files
        .saturating_sub(reserved_files(open_files))
        .max(16);
    usize::try_from(cap).unwrap_or(usize::MAX)
}

/// Raises the open-files soft limit to the hard one (a common soft limit is 1,024) and
/// returns the limit in force.
pub fn raise_open_files_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read or raise the open-files limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
        }
    }
}

/// Answers 408 when a request (body included) takes longer than its bound.
async fn bound_request(limits: Limits, req: Request, next: Next) -> Response {
    let bound = if req.method() == Method::POST && req.uri().path() == "/api/messages" {
        limits.upload
    } else {
        limits.request
    };
    match tokio::time::timeout(bound, next.run(req)).await {
        Ok(response) => response,
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish (idle connections are closed at once).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let router = router.layer(axum::middleware::from_fn(move |req, next| {
        bound_request(limits, req, next)
    }));
    let open_files = raise_open_files_limit();
    let cap = connection_cap(open_files);
    let slots = Arc::new(Semaphore::new(cap));
    tracing::info!(
        open_files,
        connections = cap,
        "serving at most this many connections at once"
    );
    let mut refused_since_warning = 0_u64;
    let mut warned_at: Option<tokio::time::Instant> = None;
    // HTTP/1 only: vbx sits behind a TLS proxy or is reached by Twilio, both HTTP/1, and
    // sniffing for HTTP/2 would read the first bytes with no time limit.
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read);
    // Connections hold a receiver: shutdown is signalled through the sender and is over when
    // every receiver is gone.
    let (signal_tx, signal_rx) = watch::channel(());
    let (close_tx, close_rx) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // At the cap the newest connection is closed at once; those already in are served.
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            drop(stream);
            refused_since_warning += 1;
            if warned_at.is_none_or(|at| at.elapsed() >= Duration::from_secs(10)) {
                tracing::warn!(
                    refused = refused_since_warning,
                    connections = cap,
                    "refusing connections: this many are open already"
                );
                refused_since_warning = 0;
                warned_at = Some(tokio::time::Instant::now());
            }
            continue;
        };
        // The login rate limit reads the peer's address.
        let service = router
            .clone()
            .map_request(move |mut req: axum::http::Request<_>| {
                req.extensions_mut().insert(ConnectInfo(remote));
                req
            });
        let conn = builder
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
            .with_upgrades();
        let mut signal = signal_rx.clone();
        let close = close_rx.clone();
        tokio::spawn(async move {
            let mut conn = std::pin::pin!(conn);
            let ended = tokio::select! {
                ended = conn.as_mut() => ended,
                _ = signal.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                tracing::trace!(error = %e, "connection ended with an error");
            }
            drop(slot);
            drop(close);
        });
    }
    drop(listener);
    drop(signal_rx);
    drop(close_rx);
    let _ = signal_tx.send(());
    close_tx.closed().await;
}
