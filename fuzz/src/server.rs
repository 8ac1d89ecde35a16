//! A real vbx for the HTTP and WebSocket targets: the app built from a configuration with a
//! temporary data directory, a logged-in session, and requests sent through its router (or,
//! for the WebSocket, over a socket). Anything it logs at ERROR level is kept so that a
//! target can fail on it: untrusted input must be refused, never break vbx inside.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use axum::body::{Body, Bytes};
use axum::http::header::{CONTENT_TYPE, COOKIE};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::serve::ListenerExt as _;
use axum::Router;
use tokio::runtime::Runtime;
use tower::ServiceExt as _;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{filter::LevelFilter, Layer};
use vbx::config::{load_str, Overrides};
use vbx::http::AppState;
use vbx::App;

pub const AUTH_TOKEN: &str = "0123456789abcdef0123456789abcdef";
pub const PUBLIC_URL: &str = "http://127.0.0.1:8000";
pub const USER: &str = "fuzz";
/// Numbers the configuration knows (the vbx number, the `sms` device, a contact).
pub const NUMBERS: &[&str] = &["+18001234567", "+18005555555", "+14155550199"];
/// Aliases with both a call and a message flow.
pub const ALIASES: &[&str] = &["default", "phone", "voicemail"];

/// `__DATA__` and `__HASH__` are filled in. Twilio's REST API is somewhere nothing listens,
/// so the routes that call it fail fast with a 502.
const CONFIG: &str = r#"
[server]
listen = "127.0.0.1:0"
public_url = "http://127.0.0.1:8000"
data_dir = "__DATA__"

[twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
auth_token  = "0123456789abcdef0123456789abcdef"
api_key     = "SK0123456789abcdef0123456789abcdef"
api_secret  = "api-secret-for-the-fuzzer-0123456"
app_sid     = "AP0123456789abcdef0123456789abcdef"
number      = "+18001234567"
api_base    = "http://127.0.0.1:9"

[devices]
browser = { type = "browser" }
cell    = { type = "sms", number = "+18005555555" }

[calls]
default   = [ { step = "device", devices = ["browser"], timeout = 5, next = "phone" } ]
phone     = [ { step = "dial", number = "+18005555555", next = "voicemail" } ]
voicemail = [
  { step = "say", text = "Leave a message", voice = "woman" },
  { step = "record", max_length = 60, transcribe = true },
  { step = "hangup" },
]

[messages]
default   = [ { step = "device", devices = ["browser", "cell"] } ]
phone     = [ { step = "message", text = "Thanks, we will call back" } ]
voicemail = [ { step = "redirect", url = "default" } ]

[contacts]
"+18005555555" = "BusinessName"
"+14155550199" = "Ann"

[[users]]
name = "fuzz"
password_hash = "__HASH__"
"#;

pub struct Vbx {
    runtime: Runtime,
    router: Router,
    pub state: AppState,
    /// `vbx_session=…` for the `Cookie` header.
    pub cookie: String,
    pub csrf: String,
    /// Where the app serves, when it was started with a listener.
    pub addr: Option<SocketAddr>,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// The app of this process, built on first use. With `serve`, it also listens on a port of
/// 127.0.0.1 (for the WebSocket); the targets call the same value either way.
pub fn vbx(serve: bool) -> &'static Vbx {
    static VBX: OnceLock<Vbx> = OnceLock::new();
    VBX.get_or_init(|| start(serve))
}

fn start(serve: bool) -> Vbx {
    tracing_subscriber::registry()
        .with(ErrorLog.with_filter(LevelFilter::ERROR))
        .init();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let data = data_dir();
    let config = CONFIG
        .replace("__DATA__", &data.display().to_string())
        .replace("__HASH__", &cheap_hash("fuzz-password"));
    let config = load_str(&config, &Overrides::default(), &|_| None)
        .unwrap_or_else(|e| panic!("the fuzz configuration does not load: {e}"));
    let (state, cookie, csrf, addr) = runtime.block_on(async {
        // The app's own listener is never served: the targets call the router directly, or
        // serve it below without the workers (which would only fail to reach Twilio).
        let unused = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let app = App::build_on(config, unused).await.expect("the app builds");
        let state = app.state().clone();
        let (user, cookie) = vbx::http::auth::start_session(&state, USER)
            .await
            .expect("a session");
        let cookie = cookie
            .to_str()
            .expect("an ASCII cookie")
            .split(';')
            .next()
            .unwrap_or_default()
            .to_owned();
        let addr = if serve {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("an address");
            let router = vbx::http::router(state.clone());
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            tokio::spawn(async move {
                axum::serve(
                    listener,
                    router.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .await
            });
            Some(addr)
        } else {
            None
        };
        (state, cookie, user.csrf, addr)
    });
    let router = vbx::http::router(state.clone());
    let vbx = Vbx {
        runtime,
        router,
        state,
        cookie,
        csrf,
        addr,
    };
    vbx.seed_events();
    vbx
}

impl Vbx {
    /// Sends a request through the whole router (auth gate included) and reads the answer.
    /// With `VBX_FUZZ_TRACE` set, each request and its status are printed.
    pub fn call(&self, request: Request<Body>) -> Answer {
        let line = format!("{} {}", request.method(), request.uri());
        let answer = self.block_on(async {
            let response = self
                .router
                .clone()
                .oneshot(request)
                .await
                .unwrap_or_else(|never| match never {});
            let (parts, body) = response.into_parts();
            let body = axum::body::to_bytes(body, 64 << 20)
                .await
                .expect("the answer's body");
            Answer {
                status: parts.status,
                headers: parts.headers,
                body,
            }
        });
        if std::env::var_os("VBX_FUZZ_TRACE").is_some() {
            eprintln!("{line} -> {}", answer.status);
        }
        answer
    }

    /// A few feed events, so that a WebSocket `resume` has something to replay.
    fn seed_events(&self) {
        let calls = [
            (
                "POST",
                "/api/contacts",
                r#"{"number":"+14155550111","name":"Fuzz One"}"#,
            ),
            (
                "PUT",
                "/api/contacts/+14155550111",
                r#"{"name":"Fuzz Two"}"#,
            ),
            (
                "POST",
                "/api/contacts",
                r#"{"number":"+14155550112","name":"Fuzz Three"}"#,
            ),
            ("DELETE", "/api/contacts/+14155550112", ""),
        ];
        for (method, path, body) in calls {
            let request = Request::builder()
                .method(method)
                .uri(path)
                .header(COOKIE, &self.cookie)
                .header(vbx::http::auth::CSRF_HEADER, &self.csrf)
                .header(CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .expect("a request");
            let answer = self.call(request);
            assert!(
                answer.status.is_success(),
                "{method} {path}: {}",
                answer.status
            );
        }
    }

    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

/// Panics with what vbx logged at ERROR level since the last call, if anything.
pub fn assert_no_errors_logged(input: &dyn std::fmt::Debug) {
    assert_no_errors_logged_but(input, &[]);
}

/// [`assert_no_errors_logged`], except for errors that contain one of `expected`.
pub fn assert_no_errors_logged_but(input: &dyn std::fmt::Debug, expected: &[&str]) {
    let mut errors = std::mem::take(&mut *ERRORS.lock().unwrap_or_else(PoisonError::into_inner));
    errors.retain(|error| !expected.iter().any(|e| error.contains(e)));
    assert!(
        errors.is_empty(),
        "vbx logged errors for {input:?}:\n{}",
        errors.join("\n")
    );
}

static ERRORS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Keeps every ERROR event's fields as text.
struct ErrorLog;

impl<S: tracing::Subscriber> Layer<S> for ErrorLog {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        struct Fields(String);
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push_str(&format!(" {}={value:?}", field.name()));
            }
        }
        let mut fields = Fields(event.metadata().target().to_owned());
        event.record(&mut fields);
        ERRORS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(fields.0);
    }
}

/// A fresh directory for this process's database; those of processes that are gone go.
fn data_dir() -> PathBuf {
    let tmp = std::env::temp_dir();
    if let Ok(entries) = std::fs::read_dir(&tmp) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let pid = name.to_str().and_then(|n| n.strip_prefix("vbx-fuzz-"));
            if pid.is_some_and(|pid| !Path::new("/proc").join(pid).exists()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = tmp.join(format!("vbx-fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a data directory");
    dir
}

/// An argon2id hash with tiny costs, so the logins the fuzzer gets right stay cheap.
fn cheap_hash(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let params = argon2::Params::new(8, 1, 1, None).expect("argon2 parameters");
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"fuzz-salt-bytes!").expect("a salt");
    argon
        .hash_password(password.as_bytes(), &salt)
        .expect("a hash")
        .to_string()
}
