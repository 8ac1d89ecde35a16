//! Serving the router with the bounds `axum::serve` does not set: a client must send its
//! request head within [`Limits::header_read`] and be answered within [`Limits::request`]
//! (body included), so slow clients cannot hold connections forever.

use std::future::Future;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::StatusCode;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
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
}

impl Default for Limits {
    fn default() -> Limits {
        // Twilio gives up on a webhook after 15 s; a 50 MB upload over a slow uplink needs
        // minutes, so the request bound is generous and the header bound is not.
        Limits {
            header_read: Duration::from_secs(10),
            request: Duration::from_secs(300),
        }
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
    let router = router.layer(tower_http::timeout::TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        limits.request,
    ));
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
            drop(close);
        });
    }
    drop(listener);
    drop(signal_rx);
    drop(close_rx);
    let _ = signal_tx.send(());
    close_tx.closed().await;
}
