//! The REST client against a mock Twilio: methods, paths, auth, form bodies, decoding of the
//! spec's own example responses, paging, errors and timeouts.

mod account;
mod call;
mod media;
mod message;
mod transport;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use chrono::NaiveDate;
use serde_json::{json, Value};
use twilio::client::{
    parse_rfc2822, ApplicationParams, Auth, CallFilter, Client, CreateCall, CreateMessage, Error,
    MessageFilter, UpdateIncomingNumber,
};
use twilio::{AccountSid, ApiKeySid, ApplicationSid, CallSid, MediaSid, MessageSid};
use twilio::{PhoneNumberSid, RecordingSid};
use url::Url;
use wiremock::matchers::{
    basic_auth, body_string, header, header_regex, method, path, query_param,
    query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

const AC: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const TOKEN: &str = "test-auth-token";
const API: &str = "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn shared_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .find(|dir| dir.join("shared/DESIGN.md").is_file())
        .map(|dir| dir.join("shared"))
        .unwrap_or_else(|| {
            panic!(
                "shared/ not found: expected a `shared/DESIGN.md` in an ancestor of {} \
                 (here /work/shared, in CI <clone>/../shared)",
                manifest.display()
            )
        })
}

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let file = shared_dir().join("twilio/twilio_api_v2010.json");
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        serde_json::from_str(&text).unwrap()
    })
}

/// The named response example of an operation, e.g. `example("Calls.json", "get", "200",
/// "readFullPage1")`.
fn example(resource: &str, verb: &str, status: &str, name: &str) -> Value {
    let path = format!("/2010-04-01/Accounts/{{AccountSid}}/{resource}");
    let value = &spec()["paths"][&path][verb]["responses"][status]["content"]["application/json"]
        ["examples"][name]["value"];
    assert!(
        value.is_object(),
        "no example {name} for {verb} {path} {status}"
    );
    value.clone()
}

fn token_auth() -> Auth {
    Auth::Token {
        account_sid: AccountSid::parse(AC).unwrap(),
        auth_token: TOKEN.into(),
    }
}

fn client_for(server: &MockServer) -> Client {
    Client::new(Url::parse(&server.uri()).unwrap(), token_auth()).unwrap()
}

fn json_response(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// A POST as Twilio's libraries send it: our credentials, form-encoded, asking for JSON.
fn api_post(p: String) -> wiremock::MockBuilder {
    Mock::given(method("POST"))
        .and(path(p))
        .and(basic_auth(AC, TOKEN))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(header("accept", "application/json"))
}

fn api_get(p: String) -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path(p))
        .and(basic_auth(AC, TOKEN))
        .and(header("accept", "application/json"))
}
