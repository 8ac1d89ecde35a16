//! `/healthz` for anyone, and `/metrics` in Prometheus text format for a logged-in user or a
//! scraper with the configured token, read back by parsing it.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::json;

use crate::harness::*;

const TOKEN: &str = "metrics-token-0123456789abcdef";

/// One sample: its name and labels, and its value.
type Sample = (String, BTreeMap<String, String>, f64);

/// Parses the text exposition format; every line must be a comment or a sample.
fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("value in {line}"));
            let (name, labels) = match series.split_once('{') {
                None => (series.to_owned(), BTreeMap::new()),
                Some((name, rest)) => {
                    let rest = rest.strip_suffix('}').unwrap_or_else(|| panic!("{line}"));
                    let labels = rest
                        .split("\",")
                        .filter(|p| !p.is_empty())
                        .map(|pair| {
                            let (k, v) = pair.split_once("=\"").unwrap_or_else(|| panic!("{line}"));
                            (k.to_owned(), v.trim_end_matches('"').to_owned())
                        })
                        .collect();
                    (name.to_owned(), labels)
                }
            };
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{line}"
            );
            (name, labels, value)
        })
        .collect()
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|(n, l, _)| {
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|(_, _, v)| *v)
}

#[tokio::test]
async fn healthz_answers_anyone_and_says_only_ok() {
    let app = TestApp::start().await;
    let reply = Reply::from(app.http.get(app.url("/healthz")).send().await.unwrap()).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "ok\n"));
    app.stop().await;
}

#[tokio::test]
async fn metrics_count_webhooks_outbox_devices_and_twilio_for_a_user_or_the_token() {
    let app = TestApp::builder()
        .server(&format!("metrics_token = \"{TOKEN}\""))
        .start()
        .await;
    let anonymous = Reply::from(app.http.get(app.url("/metrics")).send().await.unwrap()).await;
    assert_eq!(anonymous.status, 401);
    let wrong = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth("metrics-token-wrong-000000000000")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    app.text_arrives(CALLER, "one").await;
    app.text_arrives(CALLER, "two").await;
    let forged = app
        .http
        .post(app.url("/flow/msg/default"))
        .header("x-twilio-signature", "bm90IGEgc2lnbmF0dXJl")
        .form(&[("From", CALLER)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let session = app.alice().await;
    // Twilio is unreachable here: the text waits in the outbox.
    let sent = app
        .send_json(
            Method::POST,
            "/api/messages",
            &session,
            json!({"to": ANN, "body": "hi"}),
        )
        .await;
    assert_eq!(sent.status, 202, "{}", sent.body);

    let scraped = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(scraped.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let samples = parse(&scraped.text().await.unwrap());
    let webhooks = |status| {
        value(
            &samples,
            "vbx_webhooks_total",
            &[("route", "/flow/msg/{alias}"), ("status", status)],
        )
    };
    assert_eq!(webhooks("200"), Some(2.0), "{samples:?}");
    assert_eq!(webhooks("403"), Some(1.0), "{samples:?}");
    let pending = value(
        &samples,
        "vbx_outbox_items",
        &[("kind", "sms"), ("state", "pending")],
    );
    let sending = value(
        &samples,
        "vbx_outbox_items",
        &[("kind", "sms"), ("state", "sending")],
    );
    assert_eq!(
        pending.unwrap_or(0.0) + sending.unwrap_or(0.0),
        1.0,
        "{samples:?}"
    );
    assert_eq!(
        value(&samples, "vbx_device_online", &[("device", "browser")]),
        Some(0.0)
    );
    assert_eq!(
        value(&samples, "vbx_device_error", &[("device", "cell")]),
        Some(0.0)
    );

    // A logged-in user reads them too, and sees the browser come online.
    app.presence.browser_registered("vbx");
    let mine = app.get("/metrics", &session).await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    let samples = parse(&mine.body);
    assert_eq!(
        value(&samples, "vbx_device_online", &[("device", "browser")]),
        Some(1.0)
    );
    app.stop().await;
}
