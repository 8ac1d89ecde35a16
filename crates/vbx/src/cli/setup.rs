//! `vbx setup`: points the number's webhooks and the TwiML App at `public_url`, creates an API
//! key when none is configured, and says what it changed. Running it again changes nothing.

use anyhow::Context as _;
use twilio::client::{
    ApplicationParams, ApplicationResource, Client, IncomingPhoneNumberResource,
    UpdateIncomingNumber,
};
use twilio::{ApiKeySid, ApplicationSid};

use crate::config::Config;

/// The TwiML App vbx creates, and looks for when `twilio.app_sid` is not set.
pub const APP_NAME: &str = "vbx";
/// The name of the API key vbx creates.
pub const KEY_NAME: &str = "vbx";
pub const VOICE_PATH: &str = "/flow/voice/default";
pub const SMS_PATH: &str = "/flow/msg/default";
pub const CALL_STATUS_PATH: &str = "/flow/status/call";
const POST: &str = "POST";
/// Enough for any account's applications.
const MAX_APPLICATIONS: usize = 1000;

#[derive(Debug)]
pub struct SetupReport {
    /// What was changed, one line each, "from → to".
    pub changes: Vec<String>,
    /// What the operator must do (put a SID or secret in the configuration).
    pub notes: Vec<String>,
    /// The TwiML App whose Voice URL is vbx's.
    pub app_sid: ApplicationSid,
    /// A key created because none was configured: its SID and secret (Twilio shows the secret
    /// only once).
    pub new_api_key: Option<(ApiKeySid, String)>,
}

/// Where Twilio must send what, for this configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets {
    pub voice_url: String,
    pub sms_url: String,
    pub status_callback: String,
}

impl Targets {
    pub fn of(config: &Config) -> Targets {
        Targets {
            voice_url: config.server.url_for(VOICE_PATH),
            sms_url: config.server.url_for(SMS_PATH),
            status_callback: config.server.url_for(CALL_STATUS_PATH),
        }
    }
}

pub async fn setup(config: &Config, client: &Client) -> anyhow::Result<SetupReport> {
    let targets = Targets::of(config);
    let mut changes = Vec::new();
    let mut notes = Vec::new();

    let number = find_number(config, client).await?;
    update_number(client, &number, &targets, &mut changes).await?;

    let app = ensure_app(config, client, &targets, &mut changes, &mut notes).await?;
    if config.twilio.app_sid.as_ref() != Some(&app.sid) {
        notes.push(format!(
            "set `twilio.app_sid = \"{}\"` in the configuration (the TwiML App the browser \
             phone calls through)",
            app.sid
        ));
    }

    let new_api_key = if config.twilio.api_key.is_none() {
        let key = client
            .create_key(KEY_NAME)
            .await
            .context("creating an API key for browser access tokens")?;
        let secret = key.secret.clone().ok_or_else(|| {
            anyhow::anyhow!(
                "Twilio created API key {} without returning its secret; delete it in the \
                 console and run `vbx setup` again",
                key.sid
            )
        })?;
        changes.push(format!(
            "API key: none → created `{KEY_NAME}` ({})",
            key.sid
        ));
        notes.push(format!(
            "put the new API key in the configuration — the secret is shown only now:\n    \
             api_key    = \"{}\"\n    api_secret = \"{secret}\"   # or VBX_TWILIO_API_SECRET",
            key.sid
        ));
        Some((key.sid, secret))
    } else {
        None
    };

    Ok(SetupReport {
        changes,
        notes,
        app_sid: app.sid,
        new_api_key,
    })
}

/// The configured number among the account's IncomingPhoneNumbers.
pub async fn find_number(
    config: &Config,
    client: &Client,
) -> anyhow::Result<IncomingPhoneNumberResource> {
    let wanted = config.twilio.number.as_str();
    let page = client
        .list_incoming_numbers(Some(wanted))
        .await
        .with_context(|| format!("looking up {wanted} in the account's phone numbers"))?;
    if let Some(number) = page
        .items
        .into_iter()
        .find(|n| n.phone_number.as_deref() == Some(wanted))
    {
        return Ok(number);
    }
    let owned = client
        .list_incoming_numbers(None)
        .await
        .map(|p| {
            p.items
                .iter()
                .filter_map(|n| n.phone_number.clone())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let owned = if owned.is_empty() {
        "none".to_owned()
    } else {
        owned.join(", ")
    };
    anyhow::bail!(
        "the account {} does not own {wanted}: set `twilio.number` to one of its numbers \
         ({owned}), or buy or port the number in the Twilio console",
        client.account_sid()
    )
}

async fn update_number(
    client: &Client,
    number: &IncomingPhoneNumberResource,
    targets: &Targets,
    changes: &mut Vec<String>,
) -> anyhow::Result<()> {
    let label = number
        .phone_number
        .clone()
        .unwrap_or_else(|| number.sid.to_string());
    let mut update = UpdateIncomingNumber::default();
    let mut lines = Vec::new();
    let mut want = |field: &str, current: Option<&str>, target: &str, slot: &mut Option<String>| {
        if current != Some(target) {
            lines.push(format!(
                "{label} {field}: {} → {target}",
                current.unwrap_or("(none)")
            ));
            *slot = Some(target.to_owned());
        }
    };
    want(
        "VoiceUrl",
        number.voice_url.as_deref(),
        &targets.voice_url,
        &mut update.voice_url,
    );
    want(
        "VoiceMethod",
        number.voice_method.as_deref(),
        POST,
        &mut update.voice_method,
    );
    want(
        "SmsUrl",
        number.sms_url.as_deref(),
        &targets.sms_url,
        &mut update.sms_url,
    );
    want(
        "SmsMethod",
        number.sms_method.as_deref(),
        POST,
        &mut update.sms_method,
    );
    want(
        "StatusCallback",
        number.status_callback.as_deref(),
        &targets.status_callback,
        &mut update.status_callback,
    );
    want(
        "StatusCallbackMethod",
        number.status_callback_method.as_deref(),
        POST,
        &mut update.status_callback_method,
    );
    // An application on the number takes precedence over its URLs; clearing it makes the
    // URLs above the ones Twilio uses.
    if let Some(app) = &number.voice_application_sid {
        lines.push(format!("{label} VoiceApplicationSid: {app} → (none)"));
        update.voice_application_sid = Some(String::new());
    }
    if let Some(app) = &number.sms_application_sid {
        lines.push(format!("{label} SmsApplicationSid: {app} → (none)"));
        update.sms_application_sid = Some(String::new());
    }
    if lines.is_empty() {
        return Ok(());
    }
    client
        .update_incoming_number(&number.sid, &update)
        .await
        .with_context(|| format!("updating the webhooks of {label}"))?;
    changes.extend(lines);
    Ok(())
}

/// Every TwiML App of the account.
pub async fn applications(
    client: &Client,
) -> Result<Vec<ApplicationResource>, twilio::client::Error> {
    let first = client.list_applications(None).await?;
    client.collect_pages(first, MAX_APPLICATIONS).await
}

/// vbx's TwiML App: the configured one, else the one named [`APP_NAME`].
pub fn vbx_app<'a>(
    config: &Config,
    apps: &'a [ApplicationResource],
) -> Option<&'a ApplicationResource> {
    match &config.twilio.app_sid {
        Some(sid) => apps.iter().find(|a| &a.sid == sid),
        None => None,
    }
    .or_else(|| {
        apps.iter()
            .find(|a| a.friendly_name.as_deref() == Some(APP_NAME))
    })
}

async fn ensure_app(
    config: &Config,
    client: &Client,
    targets: &Targets,
    changes: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> anyhow::Result<ApplicationResource> {
    let apps = applications(client)
        .await
        .context("listing the account's TwiML Apps")?;
    if let Some(configured) = &config.twilio.app_sid {
        if !apps.iter().any(|a| &a.sid == configured) {
            notes.push(format!(
                "`twilio.app_sid` {configured} is not an application of this account; vbx \
                 uses the one named `{APP_NAME}` instead"
            ));
        }
    }
    let Some(app) = vbx_app(config, &apps) else {
        let params = ApplicationParams {
            friendly_name: Some(APP_NAME.to_owned()),
            voice_url: Some(targets.voice_url.clone()),
            voice_method: Some(POST.to_owned()),
            status_callback: Some(targets.status_callback.clone()),
            status_callback_method: Some(POST.to_owned()),
            ..Default::default()
        };
        let app = client
            .create_application(&params)
            .await
            .context("creating the TwiML App")?;
        changes.push(format!(
            "TwiML App: none → created `{APP_NAME}` ({}) with VoiceUrl {}",
            app.sid, targets.voice_url
        ));
        return Ok(app);
    };
    let label = format!("TwiML App {}", app.sid);
    let mut params = ApplicationParams::default();
    let mut lines = Vec::new();
    let mut want = |field: &str, current: Option<&str>, target: &str, slot: &mut Option<String>| {
        if current != Some(target) {
            lines.push(format!(
                "{label} {field}: {} → {target}",
                current.unwrap_or("(none)")
            ));
            *slot = Some(target.to_owned());
        }
    };
    want(
        "VoiceUrl",
        app.voice_url.as_deref(),
        &targets.voice_url,
        &mut params.voice_url,
    );
    want(
        "VoiceMethod",
        app.voice_method.as_deref(),
        POST,
        &mut params.voice_method,
    );
    want(
        "StatusCallback",
        app.status_callback.as_deref(),
        &targets.status_callback,
        &mut params.status_callback,
    );
    want(
        "StatusCallbackMethod",
        app.status_callback_method.as_deref(),
        POST,
        &mut params.status_callback_method,
    );
    if lines.is_empty() {
        return Ok(app.clone());
    }
    let updated = client
        .update_application(&app.sid, &params)
        .await
        .with_context(|| format!("updating {label}"))?;
    changes.extend(lines);
    Ok(updated)
}

impl SetupReport {
    /// The report as `vbx setup` prints it.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if self.changes.is_empty() {
            text.push_str("No changes: Twilio already points at vbx.\n");
        } else {
            text.push_str("Changed:\n");
            for change in &self.changes {
                text.push_str(&format!("  {change}\n"));
            }
        }
        text.push_str(&format!("TwiML App: {}\n", self.app_sid));
        if !self.notes.is_empty() {
            text.push_str("\nTo do:\n");
            for note in &self.notes {
                text.push_str(&format!("  - {note}\n"));
            }
        }
        text
    }
}
