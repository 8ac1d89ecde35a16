//! XEP-0114: connecting to the XMPP server as an external component. A plain TCP stream in
//! `jabber:component:accept`, authenticated by `<handshake>` = hex SHA-1 of the stream id and
//! the shared secret.

use std::io;

use sha1::{Digest, Sha1};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use super::stream::{
    stream_header, Element, ReadError, StreamEvent, XmlReader, XmlWriter, NS_COMPONENT, NS_STREAM,
    NS_STREAM_ERRORS,
};

/// An authenticated component stream.
pub struct Connection {
    pub reader: XmlReader<OwnedReadHalf>,
    pub writer: XmlWriter<OwnedWriteHalf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot reach the XMPP server at {addr}: {source}")]
    Unreachable { addr: String, source: io::Error },
    /// The secret does not match the server's `component_secret`.
    #[error("the XMPP server refused the component secret")]
    NotAuthorized,
    /// The server has no component by that name.
    #[error("the XMPP server has no component of that name (stream error host-unknown)")]
    HostUnknown,
    /// Another process is connected as this component.
    #[error("another connection is already using this component (stream error conflict)")]
    Conflict,
    /// The port answered as a client (or server-to-server) port.
    #[error(
        "{addr} is not a component port: the server opened a {ns} stream there. XEP-0114 \
         components connect to the component port (Prosody: `component_ports`, 5347 by \
         default; ejabberd: an `ejabberd_service` listener), not the client port (5222)"
    )]
    NotComponentPort { addr: String, ns: String },
    #[error("the XMPP server ended the stream: {0}")]
    Stream(String),
    #[error("the handshake broke off: {0}")]
    Read(#[from] ReadError),
    #[error("writing to the XMPP server failed: {0}")]
    Write(io::Error),
    #[error("the XMPP server sent no stream id, which the handshake needs")]
    NoStreamId,
    /// The caller's deadline for connecting and the handshake passed.
    #[error("the XMPP server did not finish the handshake in time")]
    TimedOut,
}

/// The `<handshake>` content: lowercase hex SHA-1 of the stream id followed by the secret.
pub fn handshake_digest(stream_id: &str, secret: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(stream_id.as_bytes());
    sha.update(secret.as_bytes());
    hex::encode(sha.finalize())
}

/// The condition and text of a `<stream:error>`, e.g. `conflict (Replaced by a new connection)`.
pub fn stream_error_text(error: &Element) -> String {
    let condition = error
        .elements()
        .find(|e| e.ns == NS_STREAM_ERRORS && e.name != "text")
        .map_or("undefined-condition", |e| e.name.as_str());
    match error.child("text", NS_STREAM_ERRORS).map(Element::text) {
        Some(text) if !text.is_empty() => format!("{condition} ({text})"),
        _ => condition.to_owned(),
    }
}

/// Connects to `server:port` and authenticates as `component`.
pub async fn connect(
    server: &str,
    port: u16,
    component: &str,
    secret: &str,
) -> Result<Connection, ConnectError> {
    let tcp =
        TcpStream::connect((server, port))
            .await
            .map_err(|source| ConnectError::Unreachable {
                addr: format!("{server}:{port}"),
                source,
            })?;
    // Stanzas are small and interactive.
    let _ = tcp.set_nodelay(true);
    let (read, write) = tcp.into_split();
    let mut reader = XmlReader::new(read);
    let mut writer = XmlWriter::new(write, NS_COMPONENT);
    writer
        .send_raw(&stream_header(NS_COMPONENT, component, false))
        .await
        .map_err(ConnectError::Write)?;

    let stream_id = match reader.next().await? {
        StreamEvent::Open(header) => {
            match header.attr("xmlns") {
                Some(ns) if ns != NS_COMPONENT => {
                    return Err(ConnectError::NotComponentPort {
                        addr: format!("{server}:{port}"),
                        ns: ns.to_owned(),
                    })
                }
                _ => {}
            }
            header.attr("id").map(str::to_owned)
        }
        StreamEvent::Element(e) => return Err(refusal(&e)),
        StreamEvent::Close => return Err(ConnectError::Stream("closed at once".into())),
    };
    let stream_id = stream_id.ok_or(ConnectError::NoStreamId)?;
    let handshake =
        Element::new("handshake", NS_COMPONENT).with_text(handshake_digest(&stream_id, secret));
    writer.send(&handshake).await.map_err(ConnectError::Write)?;
    match reader.next().await? {
        StreamEvent::Element(e) if e.is("handshake", NS_COMPONENT) => {
            Ok(Connection { reader, writer })
        }
        StreamEvent::Element(e) => Err(refusal(&e)),
        StreamEvent::Open(_) | StreamEvent::Close => Err(ConnectError::Stream(
            "closed instead of answering the handshake".into(),
        )),
    }
}

/// What a `<stream:error>` (or anything unexpected) during the handshake means.
fn refusal(element: &Element) -> ConnectError {
    if !element.is("error", NS_STREAM) {
        return ConnectError::Stream(format!("unexpected <{}>", element.name));
    }
    let has = |condition: &str| element.child(condition, NS_STREAM_ERRORS).is_some();
    if has("not-authorized") {
        ConnectError::NotAuthorized
    } else if has("host-unknown") {
        ConnectError::HostUnknown
    } else if has("conflict") {
        ConnectError::Conflict
    } else {
        ConnectError::Stream(stream_error_text(element))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    #[test]
    fn the_handshake_is_the_sha1_of_stream_id_and_secret() {
        // Computed independently: hashlib.sha1(b"3BF96D32Calli0pe").hexdigest() in Python.
        assert_eq!(
            handshake_digest("3BF96D32", "Calli0pe"),
            "8b94cc5c235519be4871b3a17be65c5538d88f63"
        );
    }

    /// A one-shot server that answers the stream header with `reply`.
    async fn server(reply: &'static str) -> (u16, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 1024];
            sock.write_all(
                b"<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' \
                  xmlns:stream='http://etherx.jabber.org/streams' id='3BF96D32' from='sms.localhost'>",
            )
            .await
            .unwrap();
            while !String::from_utf8_lossy(&seen).contains("</handshake>") {
                let n = sock.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            sock.write_all(reply.as_bytes()).await.unwrap();
            String::from_utf8(seen).unwrap()
        });
        (port, task)
    }

    #[tokio::test]
    async fn an_accepted_handshake_gives_a_connection() {
        let (port, server) = server("<handshake/>").await;
        let connected = connect("127.0.0.1", port, "sms.localhost", "Calli0pe").await;
        assert!(connected.is_ok(), "{:?}", connected.err());
        let sent = server.await.unwrap();
        assert!(sent.contains("xmlns=\"jabber:component:accept\""), "{sent}");
        assert!(sent.contains("to=\"sms.localhost\""), "{sent}");
        assert!(
            sent.ends_with("<handshake>8b94cc5c235519be4871b3a17be65c5538d88f63</handshake>"),
            "{sent}"
        );
    }

    #[tokio::test]
    async fn stream_errors_are_told_apart() {
        type Expected = fn(&ConnectError) -> bool;
        let cases: [(&'static str, Expected); 3] = [
            (
                "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>",
                |e| matches!(e, ConnectError::NotAuthorized),
            ),
            (
                "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
                |e| matches!(e, ConnectError::Conflict),
            ),
            (
                "<stream:error><system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>\
                 <text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>bye</text></stream:error>",
                |e| matches!(e, ConnectError::Stream(t) if t == "system-shutdown (bye)"),
            ),
        ];
        for (reply, expected) in cases {
            let (port, _server) = server(reply).await;
            let error = connect("127.0.0.1", port, "sms.localhost", "wrong")
                .await
                .err()
                .unwrap();
            assert!(expected(&error), "{reply} gave {error:?}");
        }
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let error = connect("127.0.0.1", port, "sms.localhost", "s")
            .await
            .err()
            .unwrap();
        assert!(
            matches!(&error, ConnectError::Unreachable { addr, .. } if addr == &format!("127.0.0.1:{port}")),
            "{error:?}"
        );
    }
}
