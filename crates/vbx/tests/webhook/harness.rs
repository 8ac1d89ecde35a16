//! The webhook tests' vbx: the shared [`TestApp`] at [`PUBLIC_URL`] with one flow per step,
//! and what its messaging answers link to.

use tempfile::TempDir;

pub use crate::common::*;

pub const CELL: &str = "+18005555555";
pub const CALLER: &str = "+14155550100";

/// The DESIGN §3 seed plus one flow per step, so every step can be exercised: what follows
/// the test account's `[server]` and `[twilio]` (`[contacts]` is its last table).
pub const CONFIG: &str = r#"
[devices]
browser = { type = "browser" }
cell    = { type = "sms", number = "+18005555555" }
inbox   = { type = "email", from = "vbx@example.com", to = "me@example.com", smtp_host = "127.0.0.1", smtp_port = 2525, security = "none" }
jabber  = { type = "xmpp", component = "sms.example.com", secret = "s3cret", server = "127.0.0.1", port = 5347, target = "me@example.com" }

[calls]
default  = [ { step = "device", devices = ["browser"], next = "phone" } ]
phone    = [ { step = "dial", number = "+18005555555" } ]
greet    = [ { step = "say", text = "Hi <&\"'> ünïcödé 📞", voice = "man", language = "en-GB", loop = 2 },
             { step = "pause", length = 2 },
             { step = "play", url = "https://example.com/hold.mp3", loop = 3 },
             { step = "play", digits = "w123#" } ]
voicemail = [ { step = "say", text = "Leave a message" },
              { step = "record", max_length = 60 },
              { step = "say", text = "Thanks, goodbye" } ]
bye      = [ { step = "hangup" }, { step = "say", text = "never heard" } ]
busy     = [ { step = "reject", reason = "busy" }, { step = "say", text = "never heard" } ]
away     = [ { step = "redirect", url = "phone" }, { step = "say", text = "never heard" } ]
elsewhere = [ { step = "redirect", url = "https://other.example.com/twiml?x=1&y=2" } ]
texter   = [ { step = "message", text = "Sorry we missed you & we'll call back" }, { step = "hangup" } ]
everyone = [ { step = "dial", number = ["+18005550001", "+18005550002"], client = "alice", timeout = 20 } ]
room     = [ { step = "dial", conference = "standup" } ]
line     = [ { step = "dial", queue = "support" } ]
desk     = [ { step = "dial", sip = "sip:desk@example.com" } ]
fallback = [ { step = "device", devices = ["browser"] }, { step = "say", text = "Nobody is here" } ]

[messages]
default  = [ { step = "device", devices = ["browser", "cell"] } ]
notify   = [ { step = "device", devices = ["jabber", "inbox"] } ]
auto     = [ { step = "device", devices = ["browser"], next = "reply" } ]
reply    = [ { step = "message", text = "Got it <3 — we'll reply soon" } ]
bounce   = [ { step = "redirect", url = "default" } ]

[contacts]
"+18005555555" = "BusinessName"
"+14155550199" = "Ann \"Boss\" <&> Ünï"
"#;

impl TestApp {
    pub async fn start() -> TestApp {
        Self::start_with(CONFIG).await
    }

    pub async fn start_with(flows: &str) -> TestApp {
        Self::builder(flows).start().await
    }

    /// Starts again on a data directory a stopped app left behind.
    pub async fn start_in(data: TempDir) -> TestApp {
        Self::builder(CONFIG).data(data).start().await
    }

    /// vbx at [`PUBLIC_URL`] with `flows` after the test account; its REST API is [`NOWHERE`]
    /// (a test never reaches Twilio itself).
    pub fn builder(flows: &str) -> Builder {
        Builder::new(flows).public_url(PUBLIC_URL)
    }
}

/// The `<Media>` URLs of a messaging answer, after checking that each is vbx's own link to
/// item `i` of message `message_sid` (Twilio's URLs need credentials nobody else has).
pub fn media_links(twiml: &str, message_sid: &str) -> Vec<String> {
    let links: Vec<String> = twiml
        .split("<Media>")
        .skip(1)
        .map(|rest| rest.split("</Media>").next().unwrap_or_default().to_owned())
        .collect();
    for (i, link) in links.iter().enumerate() {
        let prefix = format!("{PUBLIC_URL}/flow/media/in/{message_sid}/{i}/");
        let token = link
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("media {i} is not vbx's link {prefix}…: {link}"));
        assert!(
            token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()),
            "{link}"
        );
    }
    links
}
