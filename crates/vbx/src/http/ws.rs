//! `/ws`: the live feed for a logged-in tab. It says `hello` with the newest cursor, then sends
//! every stored event in cursor order (filling gaps from the table), replays what a tab missed
//! when it asks to `resume`, and registers the tab's Voice device so the browser rings.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::header::{HOST, ORIGIN};
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::SinkExt;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::broadcast::Receiver;

use super::api::ApiError;
use super::auth::User;
use super::{Access, AppState, Route};
use crate::event::Event;
use crate::store::now_ms;

/// Frames from a tab are small; anything larger is not one.
const MAX_FRAME: usize = 64 * 1024;
/// The socket's read buffer. tungstenite zeroes the free part of it before every read, and a
/// tab's socket is polled for reading each time an event wakes it: with the default 128 KiB
/// that was 6 MB of zeroing for each event with 50 tabs open. A larger frame grows the buffer.
const READ_BUFFER: usize = 4 * 1024;
const PING_EVERY: Duration = Duration::from_secs(30);
/// Events read from the table per query when replaying.
const REPLAY_BATCH: u32 = 500;
/// Published events taken at once before writing: a flood cannot hold a tab's frames back.
const LIVE_BATCH: usize = 256;

pub fn routes() -> Vec<Route> {
    vec![Route::new("/ws", Access::User).get(handler)]
}

async fn handler(
    State(state): State<AppState>,
    user: User,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    if !same_origin(&headers, &state) {
        return Err(ApiError::Forbidden(
            "the WebSocket may only be opened by vbx's own pages".into(),
        ));
    }
    Ok(upgrade
        .max_message_size(MAX_FRAME)
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| async move {
            let name = user.name.clone();
            if let Err(e) = serve(state, socket, user.session).await {
                tracing::debug!(user = %name, error = format!("{e:#}"), "WebSocket closed");
            }
        }))
}

/// Whether the login session a socket was opened with still exists (always, without one:
/// proxy mode).
async fn session_alive(state: &AppState, session: Option<&str>) -> anyhow::Result<bool> {
    let Some(hash) = session else {
        return Ok(true);
    };
    Ok(state.store.session(hash, now_ms()).await?.is_some())
}

/// Browsers always send `Origin` on WebSocket requests; it must be the host the page came
/// from (or the public URL's), so another site cannot open a socket with the user's cookie.
fn same_origin(headers: &HeaderMap, state: &AppState) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Ok(origin) = url::Url::parse(origin) else {
        return false;
    };
    let origin_host = match (origin.host_str(), origin.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => return false,
    };
    let public = &state.config.server.public_url;
    let public_host = match (public.host_str(), public.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => String::new(),
    };
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin_host.eq_ignore_ascii_case(host) || origin_host.eq_ignore_ascii_case(&public_host)
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    Resume { cursor: i64 },
    Voice { registered: bool },
}

/// What a tab's socket does after delivering what was published.
enum After {
    Open,
    /// The event hub is gone (vbx is stopping).
    HubGone,
    /// The socket's login session ended.
    LoggedOut,
}

/// One tab's socket.
struct Tab {
    state: AppState,
    socket: WebSocket,
    /// The newest cursor sent; live events arrive in cursor order from here.
    last_sent: i64,
    /// Whether this tab's Voice device counts as registered.
    registered: bool,
    /// The login session's token hash (login mode): the socket lives no longer than it.
    session: Option<String>,
}

async fn serve(state: AppState, socket: WebSocket, session: Option<String>) -> anyhow::Result<()> {
    // Subscribe before reading the newest cursor, so nothing committed in between is lost.
    let mut events = state.events.subscribe_feed();
    let latest = state.store.latest_event().await?;
    let mut tab = Tab {
        state,
        socket,
        last_sent: latest,
        registered: false,
        session,
    };
    let result = tab.run(&mut events, latest).await;
    if tab.registered {
        tab.set_registered(false);
    }
    result
}

impl Tab {
    async fn run(&mut self, events: &mut Receiver<Event>, hello: i64) -> anyhow::Result<()> {
        self.feed(json!({ "type": "hello", "cursor": hello }).to_string())
            .await?;
        self.feed(presence_frame(&self.state)).await?;
        self.socket.flush().await?;
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        let mut stopping = self.state.stopping.clone();
        // A state whose app never runs (the fuzz targets' router) drops the sender unsent:
        // that vbx never stops, and the tab goes on.
        let mut listening = true;
        loop {
            if *stopping.borrow_and_update() {
                // 1001 "going away": the app reconnects, to this vbx once it is back.
                let close = CloseFrame {
                    code: 1001,
                    reason: "vbx is stopping".into(),
                };
                let _ = self.socket.send(Message::Close(Some(close))).await;
                return Ok(());
            }
            tokio::select! {
                changed = stopping.changed(), if listening => listening = changed.is_ok(),
                incoming = self.socket.recv() => match incoming {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Ok(()),
                    Some(Ok(Message::Text(text))) => {
                        self.on_frame(&text).await?;
                        self.socket.flush().await?;
                    }
                    Some(Ok(_)) => {}
                },
                published = events.recv() => {
                    let after = self.deliver(published, events).await?;
                    // One write for everything delivered, however many frames it was.
                    self.socket.flush().await?;
                    match after {
                        After::Open => {}
                        After::HubGone => return Ok(()),
                        After::LoggedOut => return self.close_for_logout().await,
                    }
                }
                _ = ping.tick() => {
                    // Sessions also end without a logout here (expiry, `vbx passwd`, a user
                    // removed from the configuration): look now and then.
                    if !session_alive(&self.state, self.session.as_deref()).await? {
                        return self.close_for_logout().await;
                    }
                    self.socket.send(Message::Ping(Default::default())).await?
                }
            }
        }
    }

    /// Tells the tab its session is over (it shows the login page) and closes the socket
    /// with 4401, so nothing more reaches a logged-out browser.
    async fn close_for_logout(&mut self) -> anyhow::Result<()> {
        self.feed(json!({"type": "logged_out"}).to_string()).await?;
        self.socket
            .send(Message::Close(Some(CloseFrame {
                code: 4401,
                reason: Utf8Bytes::from_static("logged out"),
            })))
            .await?;
        Ok(())
    }

    /// Queues the frames of `first` and of every event already published after it, in cursor
    /// order (events that commit together may be published in another order); says whether
    /// the socket goes on.
    async fn deliver(
        &mut self,
        first: Result<Event, RecvError>,
        events: &mut Receiver<Event>,
    ) -> anyhow::Result<After> {
        let mut after = After::Open;
        let mut lagged = false;
        let mut frames = Vec::new();
        let mut next = Some(first);
        while let Some(published) = next.take() {
            match published {
                Ok(Event::Feed {
                    cursor: Some(cursor),
                    frame,
                }) => frames.push((cursor, frame)),
                Ok(Event::Feed {
                    cursor: None,
                    frame,
                }) => self.feed(frame).await?,
                Ok(Event::SessionEnded { session }) if self.session.as_ref() == Some(&session) => {
                    after = After::LoggedOut;
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => lagged = true,
                Err(RecvError::Closed) => after = After::HubGone,
            }
            if frames.len() >= LIVE_BATCH {
                break;
            }
            next = match events.try_recv() {
                Ok(event) => Some(Ok(event)),
                Err(TryRecvError::Lagged(n)) => Some(Err(RecvError::Lagged(n))),
                Err(TryRecvError::Empty | TryRecvError::Closed) => None,
            };
        }
        if lagged {
            // Missed some: the table has them all.
            let latest = self.state.store.latest_event().await?;
            self.catch_up(latest).await?;
        }
        frames.sort_by_key(|(cursor, _)| *cursor);
        for (cursor, frame) in frames {
            self.catch_up(cursor - 1).await?;
            if cursor > self.last_sent {
                self.feed(frame).await?;
                self.last_sent = cursor;
            }
        }
        Ok(after)
    }

    /// Queues a frame; it is written at the next flush.
    async fn feed(&mut self, frame: String) -> anyhow::Result<()> {
        self.socket
            .feed(Message::Text(Utf8Bytes::from(frame)))
            .await?;
        Ok(())
    }

    /// Sends the stored events after `last_sent` up to `upto` (events commit in cursor order,
    /// so all of them are in the table once a later one was published).
    async fn catch_up(&mut self, upto: i64) -> anyhow::Result<()> {
        self.replay(self.last_sent, upto).await?;
        self.last_sent = self.last_sent.max(upto);
        Ok(())
    }

    /// Sends the stored events in `(after, upto]`, oldest first.
    async fn replay(&mut self, mut after: i64, upto: i64) -> anyhow::Result<()> {
        while after < upto {
            let rows = self.state.store.events_after(after, REPLAY_BATCH).await?;
            let Some(last) = rows.last().map(|r| r.id) else {
                break;
            };
            for row in rows.into_iter().take_while(|r| r.id <= upto) {
                self.feed(row.frame()).await?;
            }
            after = last;
        }
        Ok(())
    }

    async fn on_frame(&mut self, text: &str) -> anyhow::Result<()> {
        let frame = match serde_json::from_str::<ClientFrame>(text) {
            Ok(frame) => frame,
            Err(e) => {
                let error = json!({"type": "error", "message": format!("unknown frame: {e}")});
                return self.feed(error.to_string()).await;
            }
        };
        match frame {
            ClientFrame::Voice { registered } => self.set_registered(registered),
            ClientFrame::Resume { cursor } => {
                let oldest = self.state.store.oldest_event().await?;
                let pruned = oldest.is_some_and(|oldest| cursor < oldest - 1);
                if cursor > self.last_sent || pruned {
                    // The tab's cursor is from another database or too old: it must reload.
                    let reload = json!({"type": "reload", "cursor": self.last_sent});
                    return self.feed(reload.to_string()).await;
                }
                // Events after `last_sent` arrive live; events already sent live may come
                // again, still in order, so the tab's final state is the newest.
                self.replay(cursor, self.last_sent).await?;
            }
        }
        Ok(())
    }

    /// Counts this tab's Voice device (once) and tells every tab the new presence.
    fn set_registered(&mut self, registered: bool) {
        if registered == self.registered {
            return;
        }
        let Some(identity) = self.state.config.browser_identity().map(str::to_owned) else {
            return;
        };
        if registered {
            self.state.live.browser_registered(&identity);
        } else {
            self.state.live.browser_unregistered(&identity);
        }
        self.registered = registered;
        self.state.events.publish(Event::Feed {
            cursor: None,
            frame: presence_frame(&self.state),
        });
    }
}

fn presence_frame(state: &AppState) -> String {
    let devices: Vec<_> = super::api::status_devices(state)
        .into_iter()
        .map(|d| json!({ "name": d["name"], "online": d["online"] }))
        .collect();
    json!({ "type": "presence", "devices": devices }).to_string()
}
