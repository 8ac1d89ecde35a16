//! The app under test: answers each path with canned responses (in sequence, the last one
//! repeating), records every request, and answers 403 to a request whose `X-Twilio-Signature`
//! does not validate, as a real app must.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;
use twilio::webhook::Params;

/// One request the app received.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Path and query, e.g. `/voice?step=1`.
    pub path: String,
    pub method: String,
    pub params: Params,
    pub signed: bool,
    pub idempotency_token: Option<String>,
}

impl Hit {
    pub fn param(&self, name: &str) -> &str {
        self.params
            .get(name)
            .unwrap_or_else(|| panic!("{} has no {name}: {:?}", self.path, self.params))
    }
}

/// A canned answer.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    pub delay: Option<Duration>,
}

impl Canned {
    pub fn twiml(body: &str) -> Self {
        Self {
            status: 200,
            content_type: "text/xml",
            body: body.to_owned(),
            delay: None,
        }
    }
}

struct Inner {
    token: String,
    base: String,
    routes: Mutex<HashMap<String, Vec<Canned>>>,
    hits: Mutex<Vec<Hit>>,
    changed: watch::Sender<usize>,
}

#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

impl App {
    /// Serves on 127.0.0.1:0, checking signatures with `auth_token`.
    pub async fn start(auth_token: &str) -> Self {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = Self {
            inner: Arc::new(Inner {
                token: auth_token.to_owned(),
                base,
                routes: Mutex::new(HashMap::new()),
                hits: Mutex::new(Vec::new()),
                changed: watch::channel(0).0,
            }),
        };
        let router = axum::Router::new().fallback(handle).with_state(app.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        app
    }

    /// The absolute URL of `path` on this app.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.base)
    }

    /// Answers `path` (path and query, or just the path) with this TwiML from now on.
    pub fn answer(&self, path: &str, twiml: &str) {
        self.answer_with(path, vec![Canned::twiml(twiml)]);
    }

    /// Answers `path` with these answers in turn, the last one repeating.
    pub fn answer_with(&self, path: &str, answers: Vec<Canned>) {
        self.inner
            .routes
            .lock()
            .unwrap()
            .insert(path.to_owned(), answers);
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.inner.hits.lock().unwrap().clone()
    }

    /// The requests to `path` (compared without the query when `path` has none).
    pub fn hits_to(&self, path: &str) -> Vec<Hit> {
        self.hits()
            .into_iter()
            .filter(|h| {
                h.path == path || (!path.contains('?') && h.path.split('?').next() == Some(path))
            })
            .collect()
    }

    /// Waits until `path` got at least `n` requests and returns them.
    pub async fn wait_for(&self, path: &str, n: usize) -> Vec<Hit> {
        let mut changed = self.inner.changed.subscribe();
        let wait = async {
            loop {
                changed.borrow_and_update();
                let hits = self.hits_to(path);
                if hits.len() >= n {
                    return hits;
                }
                changed.changed().await.unwrap();
            }
        };
        tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{path} got fewer than {n} requests; all requests: {:#?}",
                    self.hits()
                )
            })
    }
}

async fn handle(
    State(app): State<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_default();
    let url = app.url(&path);
    let params = if method == Method::GET {
        Params::default()
    } else {
        Params::parse(&body).unwrap()
    };
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let signed = twilio::signature::validate(&app.inner.token, &url, params.pairs(), signature);
    // GET parameters travel in the query; keep them as the request's parameters too.
    let params = if method == Method::GET {
        Params::parse(uri.query().unwrap_or_default().as_bytes()).unwrap()
    } else {
        params
    };
    let canned = {
        let mut routes = app.inner.routes.lock().unwrap();
        let key = if routes.contains_key(&path) {
            Some(path.clone())
        } else {
            Some(uri.path().to_owned()).filter(|p| routes.contains_key(p))
        };
        key.and_then(|k| routes.get_mut(&k)).map(|answers| {
            if answers.len() > 1 {
                answers.remove(0)
            } else {
                answers[0].clone()
            }
        })
    };
    {
        let mut hits = app.inner.hits.lock().unwrap();
        hits.push(Hit {
            path,
            method: method.to_string(),
            params,
            signed,
            idempotency_token: headers
                .get("i-twilio-idempotency-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        });
        app.inner.changed.send_replace(hits.len());
    }
    if !signed {
        return StatusCode::FORBIDDEN.into_response();
    }
    match canned {
        None => StatusCode::NO_CONTENT.into_response(),
        Some(c) => {
            if let Some(delay) = c.delay {
                tokio::time::sleep(delay).await;
            }
            (
                StatusCode::from_u16(c.status).unwrap(),
                [("content-type", c.content_type)],
                c.body,
            )
                .into_response()
        }
    }
}
