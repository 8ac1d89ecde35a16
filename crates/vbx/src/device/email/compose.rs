//! Writing the email for a text: subject, plain-text body with a footer, media attached or
//! linked. Everything that reaches a header is reduced to one line first; lettre then
//! encodes it (RFC 2047), so a name cannot add headers.

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};

use super::EmailPayload;
use crate::config;

/// One downloaded media item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    /// As Twilio served it, when it is a valid MIME type; else `application/octet-stream`.
    pub content_type: String,
    pub url: String,
    pub bytes: Vec<u8>,
}

impl Attachment {
    /// The `index`-th media item (from 0), named after its content type: `mms-1.jpg`.
    pub fn new(index: usize, url: &str, content_type: Option<&str>, bytes: Vec<u8>) -> Self {
        let content_type = content_type
            .map(str::trim)
            .filter(|ct| ContentType::parse(ct).is_ok())
            .unwrap_or("application/octet-stream")
            .to_owned();
        let filename = format!("mms-{}.{}", index + 1, extension(&content_type));
        Self {
            filename,
            content_type,
            url: url.to_owned(),
            bytes,
        }
    }
}

/// What the email carries for one media URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaItem {
    Attached(Attachment),
    /// Over the size limits: linked instead.
    TooLarge {
        url: String,
    },
    /// The download failed for good: linked instead.
    Unavailable {
        url: String,
        error: String,
    },
}

impl MediaItem {
    pub fn too_large(url: &str) -> Self {
        MediaItem::TooLarge {
            url: url.to_owned(),
        }
    }

    pub fn is_attached(&self) -> bool {
        matches!(self, MediaItem::Attached(_))
    }

    /// The same item as a link (for a server that refuses the size).
    pub fn into_link(self) -> Self {
        match self {
            MediaItem::Attached(a) => MediaItem::TooLarge { url: a.url },
            other => other,
        }
    }
}

/// `SMS From <name or number>`, on one line.
pub fn subject(payload: &EmailPayload) -> String {
    if let Some(subject) = &payload.subject {
        return one_line(subject);
    }
    let name = payload
        .from_name
        .as_deref()
        .map(one_line)
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| one_line(&payload.from));
    format!("SMS From {name}")
}

/// The last lines of every email: replies by email go nowhere near the texter, so say so.
pub fn footer(payload: &EmailPayload) -> String {
    format!(
        "-- \nReply by texting {} from vbx; replies to this email are not sent as SMS.\n",
        one_line(&payload.from)
    )
}

/// The body: the text, links to media that is not attached, and the footer.
fn text(payload: &EmailPayload, media: &[MediaItem]) -> String {
    let mut text = payload.body.replace("\r\n", "\n");
    if text.is_empty() && media.is_empty() {
        text.push_str("(no text)");
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    let too_large: Vec<&str> = media
        .iter()
        .filter_map(|m| match m {
            MediaItem::TooLarge { url } => Some(url.as_str()),
            _ => None,
        })
        .collect();
    let unavailable: Vec<&str> = media
        .iter()
        .filter_map(|m| match m {
            MediaItem::Unavailable { url, .. } => Some(url.as_str()),
            _ => None,
        })
        .collect();
    for (title, urls) in [
        ("Media too large to attach:", too_large),
        ("Media that could not be downloaded:", unavailable),
    ] {
        if !urls.is_empty() {
            text.push('\n');
            text.push_str(title);
            text.push('\n');
            for url in urls {
                text.push_str(&one_line(url));
                text.push('\n');
            }
        }
    }
    text.push('\n');
    text.push_str(&footer(payload));
    text
}

/// The whole message. From and To are the device's; Reply-To is the owner (`to`), so a
/// reply comes back to them instead of vanishing at a sending-only address.
pub fn compose(
    device: &config::Email,
    payload: &EmailPayload,
    media: &[MediaItem],
) -> Result<Message, String> {
    let from = mailbox(&device.from, "from")?;
    let to = mailbox(&device.to, "to")?;
    let builder = Message::builder()
        .from(from)
        .reply_to(to.clone())
        .to(to)
        .subject(subject(payload))
        .user_agent(format!("vbx {}", env!("CARGO_PKG_VERSION")));
    let body = text(payload, media);
    let attachments: Vec<&Attachment> = media
        .iter()
        .filter_map(|m| match m {
            MediaItem::Attached(a) => Some(a),
            _ => None,
        })
        .collect();
    let built = if attachments.is_empty() {
        builder.singlepart(SinglePart::plain(body))
    } else {
        let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(body));
        for a in attachments {
            parts = parts.singlepart(
                lettre::message::Attachment::new(a.filename.clone())
                    .body(a.bytes.clone(), content_type(&a.content_type)),
            );
        }
        builder.multipart(parts)
    };
    built.map_err(|e| format!("cannot build the email: {e}"))
}

fn mailbox(address: &str, key: &str) -> Result<Mailbox, String> {
    address
        .parse::<Address>()
        .map(|a| Mailbox::new(None, a))
        .map_err(|e| format!("`{address}` (the device's `{key}`) is not an email address: {e}"))
}

/// `value` when it parses (as [`Attachment::new`] ensured), else `application/octet-stream`.
fn content_type(value: &str) -> ContentType {
    ContentType::parse(value)
        .or_else(|_| ContentType::parse("application/octet-stream"))
        .unwrap_or(ContentType::TEXT_PLAIN)
}

/// Each run of control characters (line breaks included) becomes one space.
fn one_line(value: &str) -> String {
    value
        .split(char::is_control)
        .filter(|piece| !piece.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_owned()
}

/// A file extension for the MIME types MMS carries.
fn extension(content_type: &str) -> &'static str {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "image/jpeg" | "image/jpg" | "image/pjpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/bmp" => "bmp",
        "image/webp" => "webp",
        "image/heic" => "heic",
        "image/heif" => "heif",
        "image/tiff" => "tiff",
        "video/mp4" => "mp4",
        "video/mpeg" => "mpeg",
        "video/quicktime" => "mov",
        "video/3gpp" => "3gp",
        "video/3gpp2" => "3g2",
        "video/webm" => "webm",
        "audio/mpeg" | "audio/mp3" => "mp3",
        "audio/mp4" | "audio/m4a" | "audio/x-m4a" => "m4a",
        "audio/amr" => "amr",
        "audio/ogg" => "ogg",
        "audio/wav" | "audio/x-wav" => "wav",
        "audio/3gpp" => "3gp",
        "text/vcard" | "text/x-vcard" => "vcf",
        "text/calendar" => "ics",
        "text/plain" => "txt",
        "text/csv" => "csv",
        "application/pdf" => "pdf",
        _ => "bin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SmtpSecurity;

    fn device() -> config::Email {
        config::Email {
            from: "vbx@example.com".into(),
            to: "me@example.com".into(),
            smtp_host: "127.0.0.1".into(),
            smtp_port: 25,
            security: SmtpSecurity::None,
            username: None,
            password: None,
        }
    }

    fn payload(name: Option<&str>, body: &str) -> EmailPayload {
        EmailPayload {
            device: "inbox".into(),
            from: "+14155550100".into(),
            from_name: name.map(str::to_owned),
            body: body.into(),
            media: vec![],
            media_sources: vec![],
            subject: None,
        }
    }

    fn headers(message: &Message) -> String {
        let raw = String::from_utf8(message.formatted()).unwrap();
        raw.split("\r\n\r\n").next().unwrap().to_owned()
    }

    #[test]
    fn a_voicemail_notice_has_its_own_subject_on_one_line() {
        let mut notice = payload(Some("Ann"), "");
        notice.subject = Some("Voicemail from Ann\r\nBcc: x@example.com (0:32)".into());
        assert_eq!(
            subject(&notice),
            "Voicemail from Ann Bcc: x@example.com (0:32)"
        );
    }

    #[test]
    fn the_subject_names_the_contact_or_else_the_number() {
        assert_eq!(subject(&payload(Some("Ann"), "")), "SMS From Ann");
        assert_eq!(subject(&payload(None, "")), "SMS From +14155550100");
        assert_eq!(subject(&payload(Some(" \n "), "")), "SMS From +14155550100");
    }

    #[test]
    fn line_breaks_in_a_name_cannot_add_headers() {
        let message = compose(
            &device(),
            &payload(Some("Ann\r\nBcc: evil@example.com\nX-Evil: 1"), "hi"),
            &[],
        )
        .unwrap();
        let headers = headers(&message);
        assert!(
            !headers
                .lines()
                .any(|l| l.starts_with("Bcc:") || l.starts_with("X-Evil:")),
            "{headers}"
        );
        assert_eq!(
            subject(&payload(Some("Ann\r\nBcc: evil@example.com"), "")),
            "SMS From Ann Bcc: evil@example.com"
        );
    }

    #[test]
    fn reply_to_is_the_owner_and_the_footer_says_how_to_reply() {
        let message = compose(&device(), &payload(None, "hello"), &[]).unwrap();
        let headers = headers(&message);
        assert!(headers.contains("Reply-To: me@example.com"), "{headers}");
        assert!(headers.contains("From: vbx@example.com"), "{headers}");
        assert!(headers.contains("To: me@example.com"), "{headers}");
        let body = text(&payload(None, "hello"), &[]);
        assert_eq!(
            body,
            "hello\n\n-- \nReply by texting +14155550100 from vbx; replies to this email are \
             not sent as SMS.\n"
        );
    }

    #[test]
    fn media_that_is_not_attached_is_linked() {
        let media = [
            MediaItem::too_large("https://api.twilio.com/big"),
            MediaItem::Unavailable {
                url: "https://api.twilio.com/gone".into(),
                error: "404".into(),
            },
        ];
        let body = text(&payload(None, ""), &media);
        assert!(
            body.starts_with(
                "\nMedia too large to attach:\nhttps://api.twilio.com/big\n\n\
                 Media that could not be downloaded:\nhttps://api.twilio.com/gone\n\n-- \n"
            ),
            "{body}"
        );
    }

    #[test]
    fn an_empty_text_without_media_says_so() {
        assert!(text(&payload(None, ""), &[]).starts_with("(no text)\n"));
    }

    #[test]
    fn attachments_are_named_after_their_content_type() {
        let a = Attachment::new(0, "u", Some("image/jpeg"), vec![1]);
        assert_eq!(
            (a.filename.as_str(), a.content_type.as_str()),
            ("mms-1.jpg", "image/jpeg")
        );
        let b = Attachment::new(2, "u", Some("text/vcard; charset=utf-8"), vec![]);
        assert_eq!(b.filename, "mms-3.vcf");
        let c = Attachment::new(1, "u", Some("not a type\r\nX: y"), vec![]);
        assert_eq!(
            (c.filename.as_str(), c.content_type.as_str()),
            ("mms-2.bin", "application/octet-stream")
        );
        let d = Attachment::new(3, "u", None, vec![]);
        assert_eq!(d.filename, "mms-4.bin");
    }
}
