//! Access tokens for the Voice JavaScript SDK 2.x (FACTS §3): minted by vbx for the browser
//! phone, and verified the way Twilio verifies them (used by the simulator).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;

/// Twilio's content type for access tokens.
pub const CONTENT_TYPE: &str = "twilio-fpa;v=1";

/// Twilio refuses tokens that live longer than this (error 20157).
pub const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// The lifetime the official libraries use when none is given.
pub const DEFAULT_TTL: Duration = Duration::from_secs(3600);

const MAX_TTL_SECS: i64 = 24 * 60 * 60;

/// What the holder of a token may do with Programmable Voice. Each member is emitted only when
/// set, as the official libraries do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VoiceGrant {
    /// Accept calls to `client:<identity>`.
    pub incoming_allow: bool,
    /// The TwiML application that outgoing calls (`Device.connect`) run.
    pub outgoing_application_sid: Option<String>,
    /// Extra parameters for the application; only sent with an application SID.
    pub outgoing_params: BTreeMap<String, String>,
    pub push_credential_sid: Option<String>,
    pub endpoint_id: Option<String>,
}

impl VoiceGrant {
    fn to_json(&self) -> Value {
        let mut grant = Map::new();
        if self.incoming_allow {
            grant.insert("incoming".into(), json!({ "allow": true }));
        }
        if let Some(sid) = &self.outgoing_application_sid {
            let mut outgoing = Map::new();
            outgoing.insert("application_sid".into(), json!(sid));
            if !self.outgoing_params.is_empty() {
                outgoing.insert("params".into(), json!(self.outgoing_params));
            }
            grant.insert("outgoing".into(), Value::Object(outgoing));
        }
        if let Some(sid) = &self.push_credential_sid {
            grant.insert("push_credential_sid".into(), json!(sid));
        }
        if let Some(id) = &self.endpoint_id {
            grant.insert("endpoint_id".into(), json!(id));
        }
        Value::Object(grant)
    }

    fn from_json(value: &Value) -> Result<Self, TokenError> {
        let grant = value
            .as_object()
            .ok_or_else(|| invalid("grants.voice is not an object"))?;
        let incoming_allow = match grant.get("incoming") {
            None => false,
            Some(incoming) => match incoming.get("allow") {
                None => false,
                Some(Value::Bool(allow)) => *allow,
                Some(_) => return Err(invalid("grants.voice.incoming.allow is not a boolean")),
            },
        };
        let (outgoing_application_sid, outgoing_params) = match grant.get("outgoing") {
            None => (None, BTreeMap::new()),
            Some(outgoing) => {
                let sid = optional_string(outgoing, "application_sid", "grants.voice.outgoing")?;
                let params = match outgoing.get("params") {
                    None => BTreeMap::new(),
                    Some(Value::Object(params)) => params
                        .iter()
                        .map(|(k, v)| Ok((k.clone(), param_text(v)?)))
                        .collect::<Result<_, TokenError>>()?,
                    Some(_) => {
                        return Err(invalid("grants.voice.outgoing.params is not an object"))
                    }
                };
                (sid, params)
            }
        };
        Ok(Self {
            incoming_allow,
            outgoing_application_sid,
            outgoing_params,
            push_credential_sid: optional_string(value, "push_credential_sid", "grants.voice")?,
            endpoint_id: optional_string(value, "endpoint_id", "grants.voice")?,
        })
    }
}

/// Node's library stringifies numbers in params, so a scalar is accepted as its JSON text.
fn param_text(value: &Value) -> Result<String, TokenError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(invalid(
            "grants.voice.outgoing.params has a non-scalar value",
        )),
    }
}

/// An access token to be minted. `ttl` is capped at [`MAX_TTL`].
#[derive(Clone)]
pub struct AccessToken {
    pub account_sid: String,
    pub api_key_sid: String,
    pub api_secret: String,
    pub identity: String,
    pub ttl: Duration,
    /// Home region (`twr` header), e.g. `us1`; omitted when `None`.
    pub region: Option<String>,
    pub voice: Option<VoiceGrant>,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("account_sid", &self.account_sid)
            .field("api_key_sid", &self.api_key_sid)
            .field("api_secret", &"***")
            .field("identity", &self.identity)
            .field("ttl", &self.ttl)
            .field("region", &self.region)
            .field("voice", &self.voice)
            .finish()
    }
}

impl AccessToken {
    /// The signed JWT, valid from `now_unix` for `ttl` (at most 24 h).
    pub fn to_jwt(&self, now_unix: i64) -> String {
        let ttl = i64::try_from(self.ttl.min(MAX_TTL).as_secs()).unwrap_or(MAX_TTL_SECS);
        let mut header = Map::new();
        header.insert("alg".into(), json!("HS256"));
        header.insert("cty".into(), json!(CONTENT_TYPE));
        if let Some(region) = &self.region {
            header.insert("twr".into(), json!(region));
        }
        header.insert("typ".into(), json!("JWT"));

        let mut grants = Map::new();
        grants.insert("identity".into(), json!(self.identity));
        if let Some(voice) = &self.voice {
            grants.insert("voice".into(), voice.to_json());
        }
        let payload = json!({
            "jti": format!("{}-{now_unix}", self.api_key_sid),
            "grants": grants,
            "iss": self.api_key_sid,
            "exp": now_unix.saturating_add(ttl),
            "nbf": now_unix,
            "sub": self.account_sid,
        });

        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(Value::Object(header).to_string()),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        );
        let signature = URL_SAFE_NO_PAD.encode(sign(&self.api_secret, &signing_input));
        format!("{signing_input}.{signature}")
    }
}

/// The claims of a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub jti: String,
    /// The API key SID that signed the token.
    pub iss: String,
    /// The account SID.
    pub sub: String,
    pub exp: i64,
    pub nbf: Option<i64>,
    pub identity: String,
    pub voice: Option<VoiceGrant>,
}

/// Why Twilio would refuse a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("access token is invalid: {0}")]
    Invalid(String),
    #[error("access token is not valid before {nbf} (now {now})")]
    NotYetValid { nbf: i64, now: i64 },
    #[error("access token expired at {exp} (now {now})")]
    Expired { exp: i64, now: i64 },
    #[error("access token lives longer than the 24 hours Twilio allows")]
    ExceedsMaxLifetime,
    #[error("access token signature does not match the API key secret")]
    Signature,
}

impl TokenError {
    /// The Twilio error code the Voice SDK reports for this problem.
    pub fn code(&self) -> u32 {
        match self {
            Self::Invalid(_) | Self::NotYetValid { .. } => 20101,
            Self::Expired { .. } => 20104,
            Self::ExceedsMaxLifetime => 20157,
            Self::Signature => 31202,
        }
    }
}

fn invalid(reason: &str) -> TokenError {
    TokenError::Invalid(reason.to_owned())
}

fn sign(secret: &str, signing_input: &str) -> Vec<u8> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(signing_input.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Checks a token as Twilio would at time `now_unix`: HS256 signature with the API key secret
/// (constant time), Twilio's content type, `nbf`, `exp`, and the 24-hour lifetime cap.
/// It does not check that `iss`/`sub` name a real key and account; that is the caller's job.
pub fn verify(token: &str, api_secret: &str, now_unix: i64) -> Result<Claims, TokenError> {
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid("not three dot-separated parts"));
    };

    let header = decode_json(header_b64, "header")?;
    if header.get("alg").and_then(Value::as_str) != Some("HS256") {
        return Err(invalid("alg is not HS256"));
    }
    if header.get("cty").and_then(Value::as_str) != Some(CONTENT_TYPE) {
        return Err(invalid("cty is not twilio-fpa;v=1"));
    }

    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| invalid("signature is not base64url"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(api_secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(header_b64.as_bytes());
    mac.update(b".");
    mac.update(payload_b64.as_bytes());
    // `verify_slice` compares in constant time.
    mac.verify_slice(&signature)
        .map_err(|_| TokenError::Signature)?;

    let payload = decode_json(payload_b64, "payload")?;
    let claims = Claims::from_payload(&payload)?;

    if now_unix >= claims.exp {
        return Err(TokenError::Expired {
            exp: claims.exp,
            now: now_unix,
        });
    }
    if let Some(nbf) = claims.nbf {
        if nbf > now_unix {
            return Err(TokenError::NotYetValid { nbf, now: now_unix });
        }
        if i128::from(claims.exp) - i128::from(nbf) > i128::from(MAX_TTL_SECS) {
            return Err(TokenError::ExceedsMaxLifetime);
        }
    }
    if i128::from(claims.exp) - i128::from(now_unix) > i128::from(MAX_TTL_SECS) {
        return Err(TokenError::ExceedsMaxLifetime);
    }
    Ok(claims)
}

impl Claims {
    fn from_payload(payload: &Value) -> Result<Self, TokenError> {
        let grants = payload
            .get("grants")
            .and_then(Value::as_object)
            .ok_or_else(|| invalid("grants is missing or not an object"))?;
        let identity = grants
            .get("identity")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("grants.identity is missing or not a string"))?
            .to_owned();
        let voice = grants.get("voice").map(VoiceGrant::from_json).transpose()?;
        Ok(Self {
            jti: required_string(payload, "jti")?,
            iss: required_string(payload, "iss")?,
            sub: required_string(payload, "sub")?,
            exp: payload
                .get("exp")
                .and_then(Value::as_i64)
                .ok_or_else(|| invalid("exp is missing or not an integer"))?,
            nbf: match payload.get("nbf") {
                None => None,
                Some(nbf) => Some(
                    nbf.as_i64()
                        .ok_or_else(|| invalid("nbf is not an integer"))?,
                ),
            },
            identity,
            voice,
        })
    }
}

fn decode_json(part: &str, what: &str) -> Result<Value, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Invalid(format!("{what} is not base64url")))?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|_| TokenError::Invalid(format!("{what} is not JSON")))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(TokenError::Invalid(format!("{what} is not a JSON object")))
    }
}

fn required_string(object: &Value, key: &str) -> Result<String, TokenError> {
    object
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| TokenError::Invalid(format!("{key} is missing or not a string")))
}

fn optional_string(object: &Value, key: &str, at: &str) -> Result<Option<String>, TokenError> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(TokenError::Invalid(format!("{at}.{key} is not a string"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FACTS_TOKEN: &str = "eyJhbGciOiJIUzI1NiIsImN0eSI6InR3aWxpby1mcGE7dj0xIiwidHlwIjoiSldUIn0.eyJqdGkiOiJTSzEyMy0xNzAwMDAwMDAwIiwiZ3JhbnRzIjp7InZvaWNlIjp7ImluY29taW5nIjp7ImFsbG93Ijp0cnVlfSwib3V0Z29pbmciOnsiYXBwbGljYXRpb25fc2lkIjoiQVAxMjMiLCJwYXJhbXMiOnsiZm9vIjoiYmFyIn19fSwiaWRlbnRpdHkiOiJhbGljZSJ9LCJpc3MiOiJTSzEyMyIsImV4cCI6MTcwMDAwMzYwMCwibmJmIjoxNzAwMDAwMDAwLCJzdWIiOiJBQzEyMyJ9.CUs6aQEaA-hSrSF0bB_bKi7WpQsU1o6RxbnuDHakQzg";
    const NOW: i64 = 1_700_000_000;

    fn facts_voice() -> VoiceGrant {
        VoiceGrant {
            incoming_allow: true,
            outgoing_application_sid: Some("AP123".into()),
            outgoing_params: BTreeMap::from([("foo".to_owned(), "bar".to_owned())]),
            push_credential_sid: None,
            endpoint_id: None,
        }
    }

    fn token(voice: Option<VoiceGrant>) -> AccessToken {
        AccessToken {
            account_sid: "AC123".into(),
            api_key_sid: "SK123".into(),
            api_secret: "secret".into(),
            identity: "alice".into(),
            ttl: DEFAULT_TTL,
            region: None,
            voice,
        }
    }

    fn parts(jwt: &str) -> (Value, Value) {
        let mut it = jwt.split('.');
        let mut next = || {
            let bytes = URL_SAFE_NO_PAD.decode(it.next().unwrap()).unwrap();
            serde_json::from_slice::<Value>(&bytes).unwrap()
        };
        (next(), next())
    }

    /// Re-signs a token with an edited payload, to reach the checks after the signature.
    fn resign(payload: &Value, secret: &str) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","cty":"twilio-fpa;v=1","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        );
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sign(secret, &input)))
    }

    #[test]
    fn the_facts_example_token_verifies_with_all_its_claims() {
        let claims = verify(FACTS_TOKEN, "secret", NOW).unwrap();
        assert_eq!(
            claims,
            Claims {
                jti: "SK123-1700000000".into(),
                iss: "SK123".into(),
                sub: "AC123".into(),
                exp: 1_700_003_600,
                nbf: Some(NOW),
                identity: "alice".into(),
                voice: Some(facts_voice()),
            }
        );
    }

    #[test]
    fn a_minted_token_has_exactly_the_shape_of_the_official_libraries() {
        let jwt = token(Some(facts_voice())).to_jwt(NOW);
        let (header, payload) = parts(&jwt);
        assert_eq!(
            header,
            json!({"alg": "HS256", "cty": "twilio-fpa;v=1", "typ": "JWT"})
        );
        assert_eq!(
            payload,
            json!({
                "jti": "SK123-1700000000",
                "grants": {
                    "voice": {
                        "incoming": {"allow": true},
                        "outgoing": {"application_sid": "AP123", "params": {"foo": "bar"}}
                    },
                    "identity": "alice"
                },
                "iss": "SK123",
                "exp": 1_700_003_600,
                "nbf": 1_700_000_000,
                "sub": "AC123"
            })
        );
        let (facts_header, facts_payload) = parts(FACTS_TOKEN);
        assert_eq!((header, payload), (facts_header, facts_payload));
        assert_eq!(
            verify(&jwt, "secret", NOW).unwrap(),
            verify(FACTS_TOKEN, "secret", NOW).unwrap()
        );
    }

    #[test]
    fn a_region_adds_the_twr_header() {
        let mut t = token(None);
        t.region = Some("ie1".into());
        let (header, _) = parts(&t.to_jwt(NOW));
        assert_eq!(header["twr"], json!("ie1"));
        assert!(verify(&t.to_jwt(NOW), "secret", NOW).is_ok());
    }

    #[test]
    fn an_identity_only_token_has_only_the_identity_grant() {
        let jwt = token(None).to_jwt(NOW);
        let (_, payload) = parts(&jwt);
        assert_eq!(payload["grants"], json!({"identity": "alice"}));
        let claims = verify(&jwt, "secret", NOW).unwrap();
        assert_eq!(claims.identity, "alice");
        assert_eq!(claims.voice, None);
    }

    #[test]
    fn voice_grant_members_appear_only_when_set() {
        let grant = VoiceGrant {
            incoming_allow: false,
            outgoing_application_sid: None,
            outgoing_params: BTreeMap::from([("ignored".to_owned(), "x".to_owned())]),
            push_credential_sid: Some("CR123".into()),
            endpoint_id: Some("alice-browser".into()),
        };
        let (_, payload) = parts(&token(Some(grant)).to_jwt(NOW));
        assert_eq!(
            payload["grants"]["voice"],
            json!({"push_credential_sid": "CR123", "endpoint_id": "alice-browser"})
        );
        let outgoing_only = VoiceGrant {
            outgoing_application_sid: Some("AP1".into()),
            ..VoiceGrant::default()
        };
        let jwt = token(Some(outgoing_only.clone())).to_jwt(NOW);
        let (_, payload) = parts(&jwt);
        assert_eq!(
            payload["grants"]["voice"],
            json!({"outgoing": {"application_sid": "AP1"}})
        );
        assert_eq!(
            verify(&jwt, "secret", NOW).unwrap().voice,
            Some(outgoing_only)
        );
    }

    #[test]
    fn a_wrong_secret_is_a_signature_error() {
        let err = verify(FACTS_TOKEN, "not-the-secret", NOW).unwrap_err();
        assert_eq!(err, TokenError::Signature);
        assert_eq!(err.code(), 31202);
    }

    #[test]
    fn a_tampered_payload_is_a_signature_error() {
        let (_, mut payload) = parts(FACTS_TOKEN);
        payload["grants"]["identity"] = json!("mallory");
        let mut pieces: Vec<&str> = FACTS_TOKEN.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(payload.to_string());
        pieces[1] = &forged;
        assert_eq!(
            verify(&pieces.join("."), "secret", NOW),
            Err(TokenError::Signature)
        );
    }

    #[test]
    fn an_expired_token_is_refused_with_20104() {
        let jwt = token(None).to_jwt(NOW);
        assert!(verify(&jwt, "secret", NOW + 3599).is_ok());
        let err = verify(&jwt, "secret", NOW + 3600).unwrap_err();
        assert_eq!(
            err,
            TokenError::Expired {
                exp: NOW + 3600,
                now: NOW + 3600
            }
        );
        assert_eq!(err.code(), 20104);
    }

    #[test]
    fn a_token_used_before_nbf_is_invalid() {
        let jwt = token(None).to_jwt(NOW);
        let err = verify(&jwt, "secret", NOW - 1).unwrap_err();
        assert_eq!(
            err,
            TokenError::NotYetValid {
                nbf: NOW,
                now: NOW - 1
            }
        );
        assert_eq!(err.code(), 20101);
    }

    #[test]
    fn a_ttl_beyond_24_hours_is_capped() {
        let mut t = token(None);
        t.ttl = Duration::from_secs(48 * 3600);
        let jwt = t.to_jwt(NOW);
        let (_, payload) = parts(&jwt);
        assert_eq!(payload["exp"], json!(NOW + 24 * 3600));
        assert_eq!(verify(&jwt, "secret", NOW).unwrap().exp, NOW + 24 * 3600);
    }

    #[test]
    fn a_signed_token_living_longer_than_24_hours_is_refused_with_20157() {
        let (_, mut payload) = parts(FACTS_TOKEN);
        payload["exp"] = json!(NOW + 24 * 3600 + 1);
        let err = verify(&resign(&payload, "secret"), "secret", NOW).unwrap_err();
        assert_eq!(err, TokenError::ExceedsMaxLifetime);
        assert_eq!(err.code(), 20157);

        // Without nbf the lifetime is measured from now.
        payload.as_object_mut().unwrap().remove("nbf");
        let jwt = resign(&payload, "secret");
        assert_eq!(
            verify(&jwt, "secret", NOW),
            Err(TokenError::ExceedsMaxLifetime)
        );
        assert!(verify(&jwt, "secret", NOW + 1).is_ok());
    }

    #[test]
    fn a_lifetime_of_exactly_24_hours_is_accepted() {
        let (_, mut payload) = parts(FACTS_TOKEN);
        payload["exp"] = json!(NOW + 24 * 3600);
        assert!(verify(&resign(&payload, "secret"), "secret", NOW).is_ok());
    }

    #[test]
    fn other_algorithms_and_content_types_are_invalid() {
        let payload = FACTS_TOKEN.split('.').nth(1).unwrap();
        for header in [
            r#"{"alg":"none","cty":"twilio-fpa;v=1","typ":"JWT"}"#,
            r#"{"alg":"HS512","cty":"twilio-fpa;v=1","typ":"JWT"}"#,
            r#"{"alg":"HS256","typ":"JWT"}"#,
        ] {
            let input = format!("{}.{payload}", URL_SAFE_NO_PAD.encode(header));
            let jwt = format!("{input}.{}", URL_SAFE_NO_PAD.encode(sign("secret", &input)));
            let err = verify(&jwt, "secret", NOW).unwrap_err();
            assert!(matches!(err, TokenError::Invalid(_)), "{header}: {err:?}");
            assert_eq!(err.code(), 20101);
        }
    }

    #[test]
    fn malformed_tokens_are_invalid_not_panics() {
        for jwt in [
            "",
            "abc",
            "a.b",
            "a.b.c.d",
            "!!!.???.***",
            &format!("{FACTS_TOKEN}="),
        ] {
            let err = verify(jwt, "secret", NOW).unwrap_err();
            assert!(matches!(err, TokenError::Invalid(_)), "{jwt}: {err:?}");
        }
    }

    #[test]
    fn a_correctly_signed_payload_without_identity_is_invalid() {
        let (_, mut payload) = parts(FACTS_TOKEN);
        payload["grants"]
            .as_object_mut()
            .unwrap()
            .remove("identity");
        let err = verify(&resign(&payload, "secret"), "secret", NOW).unwrap_err();
        assert!(matches!(err, TokenError::Invalid(_)), "{err:?}");
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let mut t = token(None);
        t.api_secret = "s3cr3t-value".into();
        let shown = format!("{t:?}");
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert!(shown.contains("***"));
    }
}
