//! Validation of response bodies against Twilio's official OpenAPI 3.0 spec
//! (`shared/twilio/twilio_api_v2010.json`), translated into JSON Schema 2020-12.
//!
//! The translation: `nullable: true` adds `null` to `type` (and to `enum`); `format: uri`
//! becomes `uri-reference` because Twilio's URIs are relative to https://api.twilio.com (the
//! spec's own examples are). The spec marks no property `required` and allows extra ones, which
//! would let a missing or misspelt field through; since the simulator must produce Twilio's
//! exact shape, every declared property is made required and no other is allowed.
//! Twilio's custom formats are checked here: `date-time-rfc-2822`, `phone-number`,
//! `http-method`, `currency`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value};

/// The `shared/` directory: next to the first ancestor of this crate that has
/// `shared/DESIGN.md`. Fails the test if there is none.
pub fn shared_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|dir| dir.join("shared"))
        .find(|shared| shared.join("DESIGN.md").is_file())
        .unwrap_or_else(|| {
            panic!(
                "shared/ not found: expected a directory `shared` with DESIGN.md and \
                 twilio/twilio_api_v2010.json beside one of the ancestors of {} \
                 (for a clone, `<clone>/../shared`)",
                manifest.display()
            )
        })
}

struct Spec {
    paths: Map<String, Value>,
    components: Value,
}

fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let file = shared_dir().join("twilio/twilio_api_v2010.json");
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("cannot read the OpenAPI spec {}: {e}", file.display()));
        let mut doc: Value = serde_json::from_str(&text).expect("the OpenAPI spec is JSON");
        to_json_schema(&mut doc);
        Spec {
            paths: doc["paths"].as_object().expect("spec has paths").clone(),
            components: doc["components"].clone(),
        }
    })
}

/// Rewrites OpenAPI 3.0 schema keywords into JSON Schema, in place, everywhere in the document.
fn to_json_schema(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.remove("nullable") == Some(Value::Bool(true)) {
                if let Some(Value::String(t)) = map.get("type").cloned() {
                    map.insert("type".into(), Value::Array(vec![t.into(), "null".into()]));
                }
                if let Some(Value::Array(options)) = map.get_mut("enum") {
                    options.push(Value::Null);
                }
            }
            if map.get("format") == Some(&Value::String("uri".into())) {
                map.insert("format".into(), "uri-reference".into());
            }
            let is_object_schema = match map.get("type") {
                Some(Value::String(t)) => t == "object",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
                _ => false,
            };
            if is_object_schema {
                if let Some(Value::Object(props)) = map.get("properties") {
                    let names: Vec<Value> = props.keys().cloned().map(Value::String).collect();
                    map.insert("required".into(), Value::Array(names));
                    map.insert("additionalProperties".into(), Value::Bool(false));
                }
            }
            for child in map.values_mut() {
                to_json_schema(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(to_json_schema),
        _ => {}
    }
}

/// `Fri, 18 Oct 2019 17:00:00 +0000`, exactly as Twilio writes it (GMT, two-digit day).
pub fn is_rfc2822(s: &str) -> bool {
    chrono::DateTime::parse_from_str(s, "%a, %d %b %Y %H:%M:%S %z")
        .map(|t| {
            t.offset().local_minus_utc() == 0
                && t.format("%a, %d %b %Y %H:%M:%S +0000").to_string() == s
        })
        .unwrap_or(false)
}

/// E.164, or the client/SIP/WhatsApp addresses Twilio shows in the same fields.
pub fn is_phone_number(s: &str) -> bool {
    let e164 = |n: &str| {
        n.strip_prefix('+').is_some_and(|d| {
            (2..=15).contains(&d.len())
                && d.bytes().all(|b| b.is_ascii_digit())
                && !d.starts_with('0')
        })
    };
    e164(s)
        || s.strip_prefix("whatsapp:").is_some_and(e164)
        || s.strip_prefix("client:").is_some_and(|id| !id.is_empty())
        || s.strip_prefix("sip:").is_some_and(|u| u.contains('@'))
}

fn is_http_method(s: &str) -> bool {
    matches!(s, "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD")
}

fn is_currency(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic())
}

/// A validator for any schema of the spec, given as a JSON Schema value whose `$ref`s point
/// into `#/components`.
pub fn validator(schema: &Value) -> jsonschema::Validator {
    let mut root = schema.clone();
    root.as_object_mut()
        .expect("schemas are objects")
        .insert("components".into(), spec().components.clone());
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .with_format("date-time-rfc-2822", is_rfc2822)
        .with_format("phone-number", is_phone_number)
        .with_format("http-method", is_http_method)
        .with_format("currency", is_currency)
        .build(&root)
        .unwrap_or_else(|e| panic!("schema does not compile: {e}"))
}

/// Does `template` (`/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json`) match `path`?
fn template_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| match (t.find('{'), t.find('}')) {
                (Some(open), Some(close)) => {
                    let (prefix, suffix) = (&t[..open], &t[close + 1..]);
                    p.len() > prefix.len() + suffix.len()
                        && p.starts_with(prefix)
                        && p.ends_with(suffix)
                }
                _ => t == p,
            })
}

/// The spec path template a request path belongs to, preferring literal segments.
pub fn template_for(path: &str) -> String {
    spec()
        .paths
        .keys()
        .filter(|t| template_matches(t, path))
        .min_by_key(|t| t.matches('{').count())
        .unwrap_or_else(|| panic!("no path of the OpenAPI spec matches {path}"))
        .clone()
}

/// The response schema the spec gives for `method` on `template` answering `status`.
pub fn response_schema(method: &str, template: &str, status: u16) -> Value {
    let operation = &spec().paths[template][method.to_ascii_lowercase()];
    assert!(
        !operation.is_null(),
        "the spec has no {method} operation on {template}"
    );
    let schema =
        &operation["responses"][status.to_string()]["content"]["application/json"]["schema"];
    assert!(
        !schema.is_null(),
        "the spec has no JSON response {status} for {method} {template}; it has {:?}",
        operation["responses"]
            .as_object()
            .map(|r| r.keys().collect::<Vec<_>>())
    );
    schema.clone()
}

/// Validates `body`; the error lists every violation.
pub fn check(method: &str, path: &str, status: u16, body: &Value) -> Result<String, String> {
    type Cache = Mutex<HashMap<(String, String, u16), Arc<jsonschema::Validator>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let template = template_for(path);
    let key = (method.to_owned(), template.clone(), status);
    let cached = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap()
        .get(&key)
        .cloned();
    let validator = match cached {
        Some(v) => v,
        None => {
            let v = Arc::new(validator(&response_schema(method, &template, status)));
            CACHE
                .get_or_init(Default::default)
                .lock()
                .unwrap()
                .insert(key, v.clone());
            v
        }
    };
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(template)
    } else {
        Err(format!(
            "{method} {path} ({status}) does not conform to {template}:\n  {}\nbody: {body:#}",
            errors.join("\n  ")
        ))
    }
}
