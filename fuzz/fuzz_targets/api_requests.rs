//! The JSON API as a logged-in browser (or anyone) can call it: arbitrary JSON, multipart and
//! raw bodies, query strings and path segments, sent through the real router to the real
//! handlers and store. vbx must never panic, never answer 500 or log an error, and every
//! refusal must be the documented `{"error":{"code","message"}}` (docs/api.md).

#![no_main]

use arbitrary::Arbitrary;
use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, COOKIE};
use axum::http::{Method, Request, StatusCode};
use libfuzzer_sys::fuzz_target;
use vbx_fuzz::server::{assert_no_errors_logged, vbx, Answer, NUMBERS};

#[derive(Debug, Arbitrary)]
struct Input {
    calls: Vec<(Call, bool)>,
}

#[derive(Debug, Arbitrary)]
enum Call {
    Login(Json),
    Session,
    Conversations(Vec<(Key, Text)>),
    Thread(Segment, Vec<(Key, Text)>),
    MarkRead(Segment),
    Calls(Vec<(Key, Text)>),
    Hangup(Segment),
    SendJson(Json),
    SendMultipart(Vec<Part>),
    DeleteMessage(Segment),
    Media(Segment, Segment),
    Recording(Segment),
    Contacts,
    CreateContact(Json),
    RenameContact(Segment, Json),
    DeleteContact(Segment),
    Token,
    Status,
    /// Any method and path, through the auth gate.
    Other {
        method: u8,
        path: String,
        content_type: Option<String>,
        body: Vec<u8>,
    },
}

/// Text that is often something vbx knows.
#[derive(Debug, Arbitrary)]
enum Text {
    Number(u8),
    Sid(u8),
    Cursor(i64, String),
    Any(String),
}

/// Keys of the bodies and query strings the API reads.
const KEYS: &[&str] = &[
    "to",
    "body",
    "number",
    "name",
    "password",
    "limit",
    "before",
    "q",
    "direction",
    "status",
];

#[derive(Debug, Arbitrary)]
enum Key {
    Known(u8),
    Any(String),
}

#[derive(Debug, Arbitrary)]
enum Segment {
    Text(Text),
    Index(u8),
}

#[derive(Debug, Arbitrary)]
enum Json {
    Object(Vec<(Key, Value)>),
    Raw(Vec<u8>),
}

#[derive(Debug, Arbitrary)]
enum Value {
    Text(Text),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    List(Vec<Text>),
}

#[derive(Debug, Arbitrary)]
struct Part {
    name: Key,
    filename: Option<String>,
    content_type: Option<String>,
    data: PartData,
}

#[derive(Debug, Arbitrary)]
enum PartData {
    Text(Text),
    Image(u8, Vec<u8>),
    Bytes(Vec<u8>),
}

const SIDS: &[&str] = &[
    "SM0123456789abcdef0123456789abcdef",
    "MM0123456789abcdef0123456789abcdef",
    "CA0123456789abcdef0123456789abcdef",
    "RE0123456789abcdef0123456789abcdef",
];

/// The first bytes of each image type vbx takes.
const MAGIC: &[&[u8]] = &[
    b"\xFF\xD8\xFF",
    b"\x89PNG\r\n\x1A\n",
    b"GIF89a",
    b"RIFF\0\0\0\0WEBPVP8 ",
];

const BOUNDARY: &str = "fuzz-boundary-7MA4YWxkTrZu0gW";

impl Text {
    fn render(&self) -> String {
        match self {
            Text::Number(i) => NUMBERS[usize::from(*i) % NUMBERS.len()].to_owned(),
            Text::Sid(i) => SIDS[usize::from(*i) % SIDS.len()].to_owned(),
            Text::Cursor(at, key) => vbx::http::api::encode_cursor(&(*at, key.clone())),
            Text::Any(s) => s.clone(),
        }
    }
}

impl Key {
    fn render(&self) -> String {
        match self {
            Key::Known(i) => KEYS[usize::from(*i) % KEYS.len()].to_owned(),
            Key::Any(s) => s.clone(),
        }
    }
}

impl Segment {
    fn render(&self) -> String {
        let text = match self {
            Segment::Text(t) => t.render(),
            Segment::Index(i) => i.to_string(),
        };
        form_urlencoded::byte_serialize(text.as_bytes()).collect()
    }
}

impl Value {
    fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Text(t) => t.render().into(),
            Value::Int(n) => (*n).into(),
            Value::Float(x) => {
                serde_json::Number::from_f64(*x).map_or(serde_json::Value::Null, Into::into)
            }
            Value::Bool(b) => (*b).into(),
            Value::Null => serde_json::Value::Null,
            Value::List(items) => items
                .iter()
                .map(|t| serde_json::Value::from(t.render()))
                .collect(),
        }
    }
}

impl Json {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Json::Object(fields) => {
                let object: serde_json::Map<String, serde_json::Value> = fields
                    .iter()
                    .map(|(k, v)| (k.render(), v.to_json()))
                    .collect();
                serde_json::to_vec(&object).expect("JSON")
            }
            Json::Raw(bytes) => bytes.clone(),
        }
    }
}

fn query(pairs: &[(Key, Text)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().map(|(k, v)| (k.render(), v.render())))
        .finish();
    if query.is_empty() {
        query
    } else {
        format!("?{query}")
    }
}

fn multipart(parts: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!(
            "Content-Disposition: form-data; name=\"{}\"",
            part.name.render()
        );
        if let Some(filename) = &part.filename {
            disposition.push_str(&format!("; filename=\"{filename}\""));
        }
        out.extend_from_slice(disposition.as_bytes());
        out.extend_from_slice(b"\r\n");
        if let Some(content_type) = &part.content_type {
            out.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        match &part.data {
            PartData::Text(t) => out.extend_from_slice(t.render().as_bytes()),
            PartData::Image(kind, rest) => {
                out.extend_from_slice(MAGIC[usize::from(*kind) % MAGIC.len()]);
                out.extend_from_slice(rest);
            }
            PartData::Bytes(bytes) => out.extend_from_slice(bytes),
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

const JSON: &str = "application/json";

/// Method, path and query, content type and body of a call.
fn request(call: &Call) -> (Method, String, Option<String>, Vec<u8>) {
    let json = |body: &Json| (Some(JSON.to_owned()), body.bytes());
    let none = (None, Vec::new());
    let (method, path, (content_type, body)) = match call {
        Call::Login(body) => (Method::POST, "/api/login".to_owned(), json(body)),
        Call::Session => (Method::GET, "/api/session".to_owned(), none),
        Call::Conversations(q) => (Method::GET, format!("/api/conversations{}", query(q)), none),
        Call::Thread(n, q) => (
            Method::GET,
            format!("/api/threads/{}{}", n.render(), query(q)),
            none,
        ),
        Call::MarkRead(n) => (
            Method::POST,
            format!("/api/threads/{}/read", n.render()),
            none,
        ),
        Call::Calls(q) => (Method::GET, format!("/api/calls{}", query(q)), none),
        Call::Hangup(sid) => (
            Method::POST,
            format!("/api/calls/{}/hangup", sid.render()),
            none,
        ),
        Call::SendJson(body) => (Method::POST, "/api/messages".to_owned(), json(body)),
        Call::SendMultipart(parts) => (
            Method::POST,
            "/api/messages".to_owned(),
            (
                Some(format!("multipart/form-data; boundary={BOUNDARY}")),
                multipart(parts),
            ),
        ),
        Call::DeleteMessage(sid) => (
            Method::DELETE,
            format!("/api/messages/{}", sid.render()),
            none,
        ),
        Call::Media(sid, idx) => (
            Method::GET,
            format!("/api/media/{}/{}", sid.render(), idx.render()),
            none,
        ),
        Call::Recording(sid) => (
            Method::GET,
            format!("/api/recordings/{}", sid.render()),
            none,
        ),
        Call::Contacts => (Method::GET, "/api/contacts".to_owned(), none),
        Call::CreateContact(body) => (Method::POST, "/api/contacts".to_owned(), json(body)),
        Call::RenameContact(n, body) => (
            Method::PUT,
            format!("/api/contacts/{}", n.render()),
            json(body),
        ),
        Call::DeleteContact(n) => (
            Method::DELETE,
            format!("/api/contacts/{}", n.render()),
            none,
        ),
        Call::Token => (Method::GET, "/api/token".to_owned(), none),
        Call::Status => (Method::GET, "/api/status".to_owned(), none),
        Call::Other {
            method,
            path,
            content_type,
            body,
        } => {
            let methods = [
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::DELETE,
                Method::HEAD,
            ];
            let method = methods[usize::from(*method) % methods.len()].clone();
            (method, path.clone(), (content_type.clone(), body.clone()))
        }
    };
    (method, path, content_type, body)
}

fuzz_target!(|input: Input| {
    let app = vbx(false);
    for (call, with_csrf) in input.calls.iter().take(8) {
        let (method, path, content_type, body) = request(call);
        let Ok(uri) = path.parse::<axum::http::Uri>() else {
            continue;
        };
        // Logging out would leave the rest of the run without a session.
        if uri.path() == "/api/logout" {
            continue;
        }
        let mut builder = Request::builder()
            .method(method)
            .uri(uri.clone())
            .header(COOKIE, &app.cookie);
        if *with_csrf {
            builder = builder.header(vbx::http::auth::CSRF_HEADER, &app.csrf);
        }
        if let Some(content_type) = content_type {
            builder = builder.header(CONTENT_TYPE, content_type);
        }
        let Ok(request) = builder.body(Body::from(body)) else {
            continue;
        };
        let head = request.method() == Method::HEAD;
        let answer = app.call(request);
        check(call, uri.path(), head, &answer);
        assert_no_errors_logged(call);
    }
});

fn check(call: &Call, path: &str, head: bool, answer: &Answer) {
    assert_ne!(
        answer.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{call:?}: {}",
        String::from_utf8_lossy(&answer.body)
    );
    let is_json = answer
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(JSON));
    // HEAD answers have the headers of GET and no body.
    if !path.starts_with("/api/") || head {
        return;
    }
    if answer.status.is_client_error() || answer.status.is_server_error() {
        assert!(
            is_json,
            "{call:?}: a refusal that is not JSON ({})",
            answer.status
        );
        let error: serde_json::Value = serde_json::from_slice(&answer.body)
            .unwrap_or_else(|e| panic!("{call:?}: the refusal is not JSON: {e}"));
        let code = error["error"]["code"].as_str();
        let message = error["error"]["message"].as_str();
        assert!(
            code.is_some() && message.is_some(),
            "{call:?}: the refusal is not {{\"error\":{{\"code\",\"message\"}}}}: {error}"
        );
    } else if is_json {
        let parsed = serde_json::from_slice::<serde_json::Value>(&answer.body);
        assert!(parsed.is_ok(), "{call:?}: the answer is not JSON");
    }
}
