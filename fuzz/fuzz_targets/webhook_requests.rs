//! Twilio's webhooks end to end: signed form bodies with arbitrary parameters on every
//! `/flow/*` route, through the signature check, the typed views, the flow engine and the
//! store. vbx must never panic, answer 500 or log an error, and what it answers a call or a
//! text with must be TwiML that its own reader accepts.

#![no_main]

use arbitrary::Arbitrary;
use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::{Request, StatusCode};
use libfuzzer_sys::fuzz_target;
use twilio::signature::{compute, HEADER};
use twilio::twiml::{read_messaging, read_voice};
use vbx_fuzz::server::{assert_no_errors_logged_but, vbx, ALIASES, AUTH_TOKEN, PUBLIC_URL};
use vbx_fuzz::webhook::{NAMES, VALUES};

#[derive(Debug, Arbitrary)]
struct Hook {
    route: u8,
    alias: Word,
    step: Option<Word>,
    params: Vec<(Word, Word)>,
}

#[derive(Debug, Arbitrary)]
enum Word {
    Known(u8),
    Any(String),
}

/// Twilio's routes: every signed route vbx serves, from its own route lists.
fn signed_routes() -> Vec<&'static str> {
    vbx::http::routes()
        .iter()
        .filter(|route| route.access == vbx::http::Access::Signed)
        .map(|route| route.path)
        .collect()
}

impl Word {
    fn pick(&self, words: &[&str]) -> String {
        match self {
            Word::Known(i) => words[usize::from(*i) % words.len()].to_owned(),
            Word::Any(s) => s.clone(),
        }
    }
}

fuzz_target!(|hooks: Vec<Hook>| {
    let app = vbx(false);
    let routes = signed_routes();
    for hook in hooks.iter().take(8) {
        let alias: String =
            form_urlencoded::byte_serialize(hook.alias.pick(ALIASES).as_bytes()).collect();
        let mut path = routes[usize::from(hook.route) % routes.len()].replace("{alias}", &alias);
        if let Some(step) = &hook.step {
            let step: String =
                form_urlencoded::byte_serialize(step.pick(&["0", "1", "2", "3"]).as_bytes())
                    .collect();
            path.push_str(&format!("?step={step}"));
        }
        let pairs: Vec<(String, String)> = hook
            .params
            .iter()
            .map(|(name, value)| (name.pick(NAMES), value.pick(VALUES)))
            .collect();
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&pairs)
            .finish();
        let signature = compute(AUTH_TOKEN, &format!("{PUBLIC_URL}{path}"), &pairs);
        let Ok(request) = Request::post(&path)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(HEADER, signature)
            .body(Body::from(body))
        else {
            continue;
        };
        let answer = app.call(request);
        assert_ne!(
            answer.status,
            StatusCode::FORBIDDEN,
            "a correctly signed request was refused: {path}"
        );
        assert_ne!(answer.status, StatusCode::INTERNAL_SERVER_ERROR, "{hook:?}");
        if answer.status == StatusCode::OK {
            let xml = String::from_utf8(answer.body.to_vec()).expect("UTF-8 TwiML");
            if path.starts_with("/flow/voice/") {
                if let Err(e) = read_voice(&xml) {
                    panic!("{hook:?}: vbx answered TwiML its reader refuses: {e}\n{xml}");
                }
            } else if path.starts_with("/flow/msg/") {
                if let Err(e) = read_messaging(&xml) {
                    panic!("{hook:?}: vbx answered TwiML its reader refuses: {e}\n{xml}");
                }
            }
        }
        // A step the flow does not have (the configuration changed during a call) is answered
        // with an apology and logged; any other error would be vbx failing inside.
        assert_no_errors_logged_but(hook, &["has no step"]);
    }
});
