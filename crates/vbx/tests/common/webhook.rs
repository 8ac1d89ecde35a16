//! What Twilio sends vbx's webhooks: new SIDs and the form parameters of a call or a text.

use super::{ACCOUNT, NUMBER};

/// A new random SID with the given prefix.
pub fn sid(prefix: &str) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    let hex: String = (0..32)
        .map(|_| char::from_digit(rng.gen_range(0..16), 16).expect("hex digit"))
        .collect();
    format!("{prefix}{hex}")
}

/// The parameters of an incoming call from `from` to [`NUMBER`].
pub fn call_params(call_sid: &str, from: &str) -> Vec<(&'static str, String)> {
    vec![
        ("CallSid", call_sid.to_owned()),
        ("AccountSid", ACCOUNT.to_owned()),
        ("From", from.to_owned()),
        ("To", NUMBER.to_owned()),
        ("CallStatus", "ringing".to_owned()),
        ("ApiVersion", "2010-04-01".to_owned()),
        ("Direction", "inbound".to_owned()),
        ("Caller", from.to_owned()),
        ("FromCity", "SAN FRANCISCO".to_owned()),
    ]
}

/// The parameters of an incoming text from `from` to [`NUMBER`] with JPEGs at `media`.
pub fn text_params(
    message_sid: &str,
    from: &str,
    body: &str,
    media: &[&str],
) -> Vec<(String, String)> {
    let media: Vec<(&str, &str)> = media.iter().map(|url| (*url, "image/jpeg")).collect();
    mms_params(message_sid, from, body, &media)
}

/// [`text_params`] with `media` as (URL, content type).
pub fn mms_params(
    message_sid: &str,
    from: &str,
    body: &str,
    media: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut p = vec![
        ("MessageSid".to_owned(), message_sid.to_owned()),
        ("SmsSid".to_owned(), message_sid.to_owned()),
        ("AccountSid".to_owned(), ACCOUNT.to_owned()),
        ("From".to_owned(), from.to_owned()),
        ("To".to_owned(), NUMBER.to_owned()),
        ("Body".to_owned(), body.to_owned()),
        ("NumMedia".to_owned(), media.len().to_string()),
        ("NumSegments".to_owned(), "1".to_owned()),
        ("SmsStatus".to_owned(), "received".to_owned()),
        ("ApiVersion".to_owned(), "2010-04-01".to_owned()),
    ];
    for (i, (url, content_type)) in media.iter().enumerate() {
        p.push((format!("MediaUrl{i}"), (*url).to_owned()));
        p.push((format!("MediaContentType{i}"), (*content_type).to_owned()));
    }
    p
}

pub fn borrow(params: &[(impl AsRef<str>, impl AsRef<str>)]) -> Vec<(&str, &str)> {
    params
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .collect()
}
