//! A running vbx over HTTP, reached as the browser reaches it (a session's cookie, its CSRF
//! header) and as Twilio does (forms signed with the auth token for the public URL).

use std::net::SocketAddr;

use reqwest::Method;
use serde_json::Value;

/// Where a vbx listens, and what Twilio signs its requests for.
#[derive(Clone)]
pub struct Endpoint {
    pub addr: SocketAddr,
    pub public_url: String,
    pub http: reqwest::Client,
    auth_token: String,
}

/// A browser's session: its cookie (`vbx_session=…`) and CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

impl Endpoint {
    pub fn new(addr: SocketAddr, public_url: &str, auth_token: &str) -> Endpoint {
        Endpoint {
            addr,
            public_url: public_url.to_owned(),
            // vbx redirects a browser asking for a page; the tests look at that answer.
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            auth_token: auth_token.to_owned(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A request with `session`'s cookie, and its CSRF header on anything but GET.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        session: Option<&Session>,
    ) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method.clone(), self.url(path));
        if let Some(session) = session {
            req = req.header("cookie", &session.cookie);
            if method != Method::GET {
                req = req.header("x-csrf-token", &session.csrf);
            }
        }
        req
    }

    pub async fn get(&self, path: &str, session: &Session) -> Reply {
        Reply::send(self.request(Method::GET, path, Some(session))).await
    }

    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        session: &Session,
        body: Value,
    ) -> Reply {
        Reply::send(self.request(method, path, Some(session)).json(&body)).await
    }

    pub async fn post_empty(&self, path: &str, session: &Session) -> Reply {
        Reply::send(self.request(Method::POST, path, Some(session))).await
    }

    pub async fn delete(&self, path: &str, session: &Session) -> Reply {
        Reply::send(self.request(Method::DELETE, path, Some(session))).await
    }

    pub async fn try_login(&self, name: &str, password: &str) -> Reply {
        let req = self
            .http
            .post(self.url("/api/login"))
            .json(&serde_json::json!({"name": name, "password": password}));
        Reply::send(req).await
    }

    pub async fn login(&self, name: &str, password: &str) -> Session {
        let reply = self.try_login(name, password).await;
        assert_eq!(reply.status, 200, "login: {}", reply.body);
        reply.session()
    }

    /// POSTs a form to `path` signed for the public URL + `path`, as Twilio would.
    pub async fn post_signed(&self, path: &str, params: &[(&str, &str)]) -> Reply {
        let pairs: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let url = format!("{}{path}", self.public_url);
        let signature = twilio::signature::compute(&self.auth_token, &url, &pairs);
        self.post_form(path, params, Some(&signature)).await
    }

    /// POSTs a form to `path` with `signature` (or none) as its `X-Twilio-Signature`.
    pub async fn post_form(
        &self,
        path: &str,
        params: &[(&str, &str)],
        signature: Option<&str>,
    ) -> Reply {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let mut req = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(signature) = signature {
            req = req.header("x-twilio-signature", signature);
        }
        Reply::send(req).await
    }
}

/// An answer, read whole.
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub async fn from(resp: reqwest::Response) -> Reply {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.expect("body");
        Reply {
            status,
            headers,
            body,
        }
    }

    async fn send(req: reqwest::RequestBuilder) -> Reply {
        Reply::from(req.send().await.expect("the request reaches vbx")).await
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.body))
    }

    /// The `error.code` of an API error.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("not an API error: {}", self.body))
            .to_owned()
    }

    /// The TwiML of a 200 answer, with its content type and declaration checked, and the
    /// declaration stripped.
    pub fn twiml(&self) -> &str {
        assert_eq!(
            self.status, 200,
            "expected TwiML, got {}: {}",
            self.status, self.body
        );
        let content_type = self.header("content-type").unwrap_or("");
        assert!(
            content_type.starts_with("text/xml"),
            "content type {content_type}"
        );
        self.body
            .strip_prefix(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
            .unwrap_or_else(|| panic!("no XML declaration: {}", self.body))
            .trim()
    }

    /// The session a successful login answered with.
    pub fn session(&self) -> Session {
        let set_cookie = self.header("set-cookie").expect("a session cookie");
        let cookie = set_cookie
            .split(';')
            .next()
            .expect("cookie pair")
            .to_owned();
        let csrf = self.json()["csrf"].as_str().expect("csrf").to_owned();
        Session { cookie, csrf }
    }
}
