//! `X-Twilio-Signature` checks on hostile URLs, parameters and signatures: `validate` and
//! `validate_json` never panic, and a signature made by `compute` for the same URL and
//! parameters (in any order) always validates, as does one made for the URL with its
//! default port written out.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use twilio::signature::{body_hash, compute, validate, validate_json, BODY_HASH_PARAM};

#[derive(Debug, Arbitrary)]
struct Input {
    token: String,
    url: String,
    params: Vec<(String, String)>,
    signature: String,
    body: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let Input {
        token,
        url,
        mut params,
        signature,
        body,
    } = input;

    let _ = validate(&token, &url, &params, &signature);
    let _ = validate_json(&token, &url, &body, &signature);

    let signed = compute(&token, &url, &params);
    assert!(validate(&token, &url, &params, &signed), "{signed}");
    params.reverse();
    assert!(validate(&token, &url, &params, &signed), "order mattered");

    // A proxy may hand vbx the URL without the port Twilio signed with.
    if let Some((without, with)) = with_default_port(&url) {
        let signed = compute(&token, &with, &params);
        assert!(
            validate(&token, &without, &params, &signed),
            "{with} signed, {without} refused"
        );
    }

    // JSON webhooks: the body hash goes in the URL, which is signed with no parameters.
    let separator = if url.contains('?') { '&' } else { '?' };
    let json_url = format!("{url}{separator}{BODY_HASH_PARAM}={}", body_hash(&body));
    if !url.contains('#') && !url.contains(&format!("{BODY_HASH_PARAM}=")) {
        let signed = compute(&token, &json_url, &[]);
        assert!(
            validate_json(&token, &json_url, &body, &signed),
            "{json_url}"
        );
    }
});

/// For a plain `https://host/path` URL (no user info, port or IPv6 literal), the same URL with
/// `:443` written out.
fn with_default_port(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("https://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = &rest[..end];
    if host.is_empty() || host.contains([':', '@', '[', ']']) {
        return None;
    }
    Some((
        url.to_owned(),
        format!("https://{host}:443{}", &rest[end..]),
    ))
}
