//! `vbx doctor`: checks that Twilio and vbx agree — the credentials work, the number is the
//! account's and its webhooks point at `public_url`, the TwiML App and API key are usable —
//! and says how to fix each thing that does not.

use std::net::IpAddr;

use twilio::client::{Auth, Client, Error as ApiError, IncomingPhoneNumberResource};
use twilio::token::{AccessToken, VoiceGrant};

use crate::cli::setup::{self, Targets};
use crate::config::Config;

const RUN_SETUP: &str = "run `vbx setup` to point it at vbx";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub ok: bool,
    pub what: String,
    pub fix: Option<String>,
}

impl Finding {
    fn ok(what: impl Into<String>) -> Finding {
        Finding {
            ok: true,
            what: what.into(),
            fix: None,
        }
    }

    fn bad(what: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding {
            ok: false,
            what: what.into(),
            fix: Some(fix.into()),
        }
    }
}

pub async fn doctor(config: &Config, client: &Client) -> Vec<Finding> {
    let mut findings = vec![public_url_scheme(config)];
    let wanted = config.twilio.number.as_str();

    let page = match client.list_incoming_numbers(Some(wanted)).await {
        Ok(page) => {
            findings.push(Finding::ok(format!(
                "Twilio accepts the credentials of {}",
                config.twilio.account_sid
            )));
            page
        }
        Err(e) => {
            findings.push(credentials_finding(config, &e));
            return findings;
        }
    };

    match page
        .items
        .into_iter()
        .find(|n| n.phone_number.as_deref() == Some(wanted))
    {
        Some(number) => {
            findings.push(Finding::ok(format!("the account owns {wanted}")));
            findings.extend(number_findings(config, &number));
        }
        None => findings.push(Finding::bad(
            format!(
                "the account {} does not own {wanted}",
                config.twilio.account_sid
            ),
            "set `twilio.number` to one of the account's numbers (see Phone Numbers in the \
             Twilio console)",
        )),
    }

    findings.push(app_finding(config, client).await);
    findings.push(api_key_finding(config, client).await);
    findings
}

fn credentials_finding(config: &Config, e: &ApiError) -> Finding {
    match e.status() {
        Some(401) => Finding::bad(
            format!(
                "Twilio refuses the credentials of {} ({e})",
                config.twilio.account_sid
            ),
            "check `twilio.auth_token` (or VBX_TWILIO_AUTH_TOKEN) — the Auth Token on the \
             Twilio console's dashboard — and `twilio.account_sid`",
        ),
        Some(404) => Finding::bad(
            format!(
                "Twilio does not know the account {} ({e})",
                config.twilio.account_sid
            ),
            "check `twilio.account_sid` (AC…, on the Twilio console's dashboard)",
        ),
        _ => Finding::bad(
            format!("cannot talk to Twilio at {} ({e})", config.twilio.api_base),
            "check the network, and `twilio.api_base` if it is set (normally \
             https://api.twilio.com)",
        ),
    }
}

/// `public_url` must be https, except on loopback (local tests and the simulator).
fn public_url_scheme(config: &Config) -> Finding {
    let url = &config.server.public_url;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    if url.scheme() == "https" {
        Finding::ok(format!("server.public_url {url} is https"))
    } else if loopback {
        Finding::ok(format!(
            "server.public_url {url} is plain http on loopback: fine for local tests, but \
             Twilio cannot reach it"
        ))
    } else {
        Finding::bad(
            format!(
                "server.public_url {url} is not https: webhooks and their signatures travel \
                 in clear text"
            ),
            "serve vbx behind HTTPS (a reverse proxy with a certificate) and set \
             `server.public_url` to the https:// URL, then run `vbx setup`",
        )
    }
}

fn number_findings(config: &Config, number: &IncomingPhoneNumberResource) -> Vec<Finding> {
    let targets = Targets::of(config);
    let label = config.twilio.number.as_str();
    let mut findings = Vec::new();
    if let Some(app) = &number.voice_application_sid {
        findings.push(Finding::bad(
            format!("{label} sends calls to TwiML App {app}, not to its Voice URL"),
            RUN_SETUP,
        ));
    }
    if let Some(app) = &number.sms_application_sid {
        findings.push(Finding::bad(
            format!("{label} sends texts to TwiML App {app}, not to its SMS URL"),
            RUN_SETUP,
        ));
    }
    findings.push(url_finding(
        &format!("{label} Voice URL"),
        number.voice_url.as_deref(),
        number.voice_method.as_deref(),
        &targets.voice_url,
    ));
    findings.push(url_finding(
        &format!("{label} SMS URL"),
        number.sms_url.as_deref(),
        number.sms_method.as_deref(),
        &targets.sms_url,
    ));
    findings.push(url_finding(
        &format!("{label} status callback"),
        number.status_callback.as_deref(),
        number.status_callback_method.as_deref(),
        &targets.status_callback,
    ));
    findings.push(reachability(config, number.voice_url.as_deref()));
    findings
}

fn url_finding(what: &str, current: Option<&str>, method: Option<&str>, target: &str) -> Finding {
    match current {
        Some(url) if url == target && method.is_none_or(|m| m.eq_ignore_ascii_case("POST")) => {
            Finding::ok(format!("{what} is {target}"))
        }
        Some(url) if url == target => Finding::bad(
            format!(
                "{what} is {target} but requested with {}",
                method.unwrap_or("?")
            ),
            RUN_SETUP,
        ),
        Some(url) => Finding::bad(format!("{what} is {url}, not {target}"), RUN_SETUP),
        None => Finding::bad(
            format!("{what} is not set (vbx expects {target})"),
            RUN_SETUP,
        ),
    }
}

/// Twilio signs what it calls; vbx checks signatures against `public_url`. If the number's
/// Voice URL names another host, either vbx moved (setup fixes it) or `public_url` is not
/// what Twilio uses (and every signature check would fail).
fn reachability(config: &Config, voice_url: Option<&str>) -> Finding {
    let public = &config.server.public_url;
    let Some(voice) = voice_url.and_then(|u| url::Url::parse(u).ok()) else {
        return Finding::bad(
            format!("Twilio has no usable Voice URL for vbx, so it cannot call {public}"),
            RUN_SETUP,
        );
    };
    let same = voice.scheme() == public.scheme()
        && voice.host_str() == public.host_str()
        && voice.port_or_known_default() == public.port_or_known_default();
    if same {
        Finding::ok(format!(
            "Twilio calls vbx at {public}, as server.public_url says"
        ))
    } else {
        let origin = voice.origin().ascii_serialization();
        Finding::bad(
            format!("Twilio calls {origin}, but server.public_url is {public}"),
            format!(
                "if vbx now lives at {public}, run `vbx setup`; if Twilio reaches vbx at \
                 {origin}, set `server.public_url` to it (signatures are checked against it)"
            ),
        )
    }
}

async fn app_finding(config: &Config, client: &Client) -> Finding {
    let Some(sid) = &config.twilio.app_sid else {
        return Finding::bad(
            "`twilio.app_sid` is not set: the browser phone cannot place calls",
            "run `vbx setup`, then set `twilio.app_sid` to the TwiML App it prints",
        );
    };
    let apps = match setup::applications(client).await {
        Ok(apps) => apps,
        Err(e) => {
            return Finding::bad(
                format!("cannot list the account's TwiML Apps ({e})"),
                "try again; if it persists, check the account's permissions",
            )
        }
    };
    let Some(app) = apps.iter().find(|a| &a.sid == sid) else {
        return Finding::bad(
            format!("TwiML App {sid} (`twilio.app_sid`) does not exist in the account"),
            "run `vbx setup` (it creates one) and set `twilio.app_sid` to the SID it prints",
        );
    };
    let target = Targets::of(config).voice_url;
    url_finding(
        &format!("TwiML App {sid} Voice URL"),
        app.voice_url.as_deref(),
        app.voice_method.as_deref(),
        &target,
    )
}

/// The key must exist and its secret must be right: it signs the browser's access tokens,
/// and Twilio accepts it as a credential exactly when it would accept those signatures.
async fn api_key_finding(config: &Config, client: &Client) -> Finding {
    let (Some(key), Some(secret)) = (&config.twilio.api_key, &config.twilio.api_secret) else {
        return Finding::bad(
            "no API key is configured: the browser phone cannot get an access token",
            "run `vbx setup` (it creates a key and prints it), then set `twilio.api_key` and \
             `twilio.api_secret` (or VBX_TWILIO_API_SECRET)",
        );
    };
    let token = AccessToken {
        account_sid: config.twilio.account_sid.to_string(),
        api_key_sid: key.to_string(),
        api_secret: secret.expose().to_owned(),
        identity: "vbx-doctor".to_owned(),
        ttl: std::time::Duration::from_secs(60),
        region: None,
        voice: Some(VoiceGrant {
            incoming_allow: true,
            outgoing_application_sid: config.twilio.app_sid.as_ref().map(ToString::to_string),
            ..Default::default()
        }),
    };
    let now = chrono::Utc::now().timestamp();
    if twilio::token::verify(&token.to_jwt(now), secret.expose(), now).is_err() {
        return Finding::bad(
            format!("cannot mint an access token with API key {key}"),
            "check `twilio.api_secret` (or VBX_TWILIO_API_SECRET)",
        );
    }
    let auth = Auth::ApiKey {
        account_sid: config.twilio.account_sid.clone(),
        key_sid: key.clone(),
        secret: secret.expose().to_owned(),
    };
    let keyed = match Client::new(client.base_url().clone(), auth) {
        Ok(c) => c,
        Err(e) => {
            return Finding::bad(
                format!("cannot check API key {key}: {e}"),
                "check `twilio.api_base`",
            )
        }
    };
    match keyed
        .list_incoming_numbers(Some(config.twilio.number.as_str()))
        .await
    {
        Ok(_) => Finding::ok(format!(
            "API key {key} and its secret can sign access tokens"
        )),
        Err(e) if e.status() == Some(401) => Finding::bad(
            format!("Twilio refuses API key {key} with the configured secret ({e})"),
            "check `twilio.api_key` and `twilio.api_secret` (or VBX_TWILIO_API_SECRET); if the \
             secret is lost, delete the key in the console and run `vbx setup` for a new one",
        ),
        Err(e) => Finding::bad(
            format!("cannot check API key {key} ({e})"),
            "try again; check the network and `twilio.api_base`",
        ),
    }
}

/// The findings as `vbx doctor` prints them.
pub fn render(findings: &[Finding]) -> String {
    let mut text = String::new();
    for f in findings {
        let mark = if f.ok { "ok  " } else { "FAIL" };
        text.push_str(&format!("[{mark}] {}\n", f.what));
        if let Some(fix) = &f.fix {
            text.push_str(&format!("       fix: {fix}\n"));
        }
    }
    let failed = findings.iter().filter(|f| !f.ok).count();
    if failed == 0 {
        text.push_str("\nAll checks passed.\n");
    } else {
        text.push_str(&format!("\n{failed} check(s) failed.\n"));
    }
    text
}
