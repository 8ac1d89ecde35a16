//! A simulated browser phone for tests: connects to the simulator's `/_sim/client` WebSocket
//! with an access token, then receives calls (`next_event`) and answers, rejects, hangs up,
//! sends digits and places calls, speaking the protocol in [`ServerEvent`]/[`ClientCommand`].

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

pub use crate::browser::protocol::{ClientCommand, ServerEvent};

/// Why the client could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("could not connect to the simulator: {0}")]
    Connect(String),
    /// The simulator answered with Twilio's error (e.g. 20104 for an expired token).
    #[error("refused with {code}: {message}")]
    Refused { code: u32, message: String },
    #[error("the connection is closed")]
    Closed,
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

/// A registered browser connection. Dropping it closes the connection (which hangs up its
/// calls, as closing a browser tab does).
#[derive(Debug)]
pub struct BrowserClient {
    identity: String,
    events: mpsc::UnboundedReceiver<ServerEvent>,
    /// Events read while [`BrowserClient::call`] waited for its `outgoing`.
    pending: VecDeque<ServerEvent>,
    commands: mpsc::UnboundedSender<ClientCommand>,
}

/// How long `connect` and `call` wait for the simulator's answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

impl BrowserClient {
    /// Connects to `ws_url` (`ws://…/_sim/client`, see [`crate::Sim::client_url`]) and
    /// registers `token`; a refused token is [`ClientError::Refused`] with Twilio's code.
    pub async fn connect(ws_url: &str, token: &str) -> Result<Self, ClientError> {
        let (socket, _) = tokio_tungstenite::connect_async(ws_url)
            .await
            .map_err(|e| ClientError::Connect(e.to_string()))?;
        let (mut write, mut read) = socket.split();
        let (events_tx, mut events) = mpsc::unbounded_channel();
        let (commands, mut commands_rx) = mpsc::unbounded_channel::<ClientCommand>();
        let register = ClientCommand::Register {
            token: token.to_owned(),
        };
        write
            .send(Message::text(encode(&register)))
            .await
            .map_err(|e| ClientError::Connect(e.to_string()))?;
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    frame = read.next() => match frame {
                        Some(Ok(Message::Text(text))) => {
                            if let Ok(event) = serde_json::from_str::<ServerEvent>(text.as_str()) {
                                if events_tx.send(event).is_err() {
                                    break;
                                }
                            }
                        }
                        Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                        Some(Ok(_)) => {}
                    },
                    command = commands_rx.recv() => match command {
                        Some(command) => {
                            if write.send(Message::text(encode(&command))).await.is_err() {
                                break;
                            }
                        }
                        None => {
                            let _ = write.send(Message::Close(None)).await;
                            break;
                        }
                    },
                }
            }
        });
        match tokio::time::timeout(ANSWER_WITHIN, events.recv()).await {
            Ok(Some(ServerEvent::Registered { identity })) => Ok(Self {
                identity,
                events,
                pending: VecDeque::new(),
                commands,
            }),
            Ok(Some(ServerEvent::Error { code, message })) => {
                Err(ClientError::Refused { code, message })
            }
            Ok(Some(other)) => Err(ClientError::Connect(format!(
                "expected registered, got {other:?}"
            ))),
            Ok(None) => Err(ClientError::Closed),
            Err(_) => Err(ClientError::Timeout(ANSWER_WITHIN)),
        }
    }

    /// The identity the token carries.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// The next event from the simulator; `None` once the connection is closed.
    pub async fn next_event(&mut self) -> Option<ServerEvent> {
        match self.pending.pop_front() {
            Some(event) => Some(event),
            None => self.events.recv().await,
        }
    }

    /// [`BrowserClient::next_event`] with a time limit.
    pub async fn next_event_within(&mut self, limit: Duration) -> Result<ServerEvent, ClientError> {
        match tokio::time::timeout(limit, self.next_event()).await {
            Ok(Some(event)) => Ok(event),
            Ok(None) => Err(ClientError::Closed),
            Err(_) => Err(ClientError::Timeout(limit)),
        }
    }

    fn send(&self, command: ClientCommand) -> Result<(), ClientError> {
        self.commands.send(command).map_err(|_| ClientError::Closed)
    }

    /// Answers a call that rings this browser.
    pub fn accept(&self, call_sid: &str) -> Result<(), ClientError> {
        self.send(ClientCommand::Accept {
            call_sid: call_sid.to_owned(),
        })
    }

    /// Declines a call that rings this browser.
    pub fn reject(&self, call_sid: &str) -> Result<(), ClientError> {
        self.send(ClientCommand::Reject {
            call_sid: call_sid.to_owned(),
        })
    }

    pub fn hangup(&self, call_sid: &str) -> Result<(), ClientError> {
        self.send(ClientCommand::Hangup {
            call_sid: call_sid.to_owned(),
        })
    }

    /// Presses keys on a connected call.
    pub fn digits(&self, call_sid: &str, digits: &str) -> Result<(), ClientError> {
        self.send(ClientCommand::Digits {
            call_sid: call_sid.to_owned(),
            digits: digits.to_owned(),
        })
    }

    /// Replaces the token (same identity).
    pub fn update_token(&self, token: &str) -> Result<(), ClientError> {
        self.send(ClientCommand::UpdateToken {
            token: token.to_owned(),
        })
    }

    /// Calls `to` through the token's outgoing application; returns the new call's SID.
    pub async fn call(&mut self, to: &str) -> Result<String, ClientError> {
        self.call_with(BTreeMap::from([("To".to_owned(), to.to_owned())]))
            .await
    }

    /// Places a call with these parameters (`To` and any custom ones); returns its SID.
    /// Events that arrive meanwhile stay queued for [`BrowserClient::next_event`].
    pub async fn call_with(
        &mut self,
        params: BTreeMap<String, String>,
    ) -> Result<String, ClientError> {
        self.send(ClientCommand::Connect { params })?;
        let wait = async {
            loop {
                match self.events.recv().await {
                    Some(ServerEvent::Outgoing { call_sid }) => return Ok(call_sid),
                    Some(ServerEvent::Error { code, message }) => {
                        return Err(ClientError::Refused { code, message })
                    }
                    Some(other) => self.pending.push_back(other),
                    None => return Err(ClientError::Closed),
                }
            }
        };
        tokio::time::timeout(ANSWER_WITHIN, wait)
            .await
            .unwrap_or(Err(ClientError::Timeout(ANSWER_WITHIN)))
    }
}

fn encode(command: &ClientCommand) -> String {
    serde_json::to_string(command).unwrap_or_default()
}
