//! Identifiers that can only be built by parsing: Twilio SIDs and E.164 phone numbers.

use std::fmt;
use std::str::FromStr;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("`{value}` is not a {kind}: expected {expected}")]
    Invalid {
        kind: &'static str,
        value: String,
        expected: &'static str,
    },
}

macro_rules! sid_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal, [$($prefix:literal),+], $expected:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// The prefixes a SID of this kind starts with.
            pub const PREFIXES: &'static [&'static str] = &[$($prefix),+];

            pub fn parse(value: &str) -> Result<Self, IdError> {
                if is_sid(value, Self::PREFIXES) {
                    Ok(Self(value.to_owned()))
                } else {
                    Err(IdError::Invalid { kind: $kind, value: value.to_owned(), expected: $expected })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A SID is a two-letter prefix followed by 32 hexadecimal digits.
fn is_sid(value: &str, prefixes: &[&str]) -> bool {
    value.len() == 34
        && prefixes.iter().any(|p| value.starts_with(p))
        && value[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

sid_type!(/// `AC…`: an account.
    AccountSid, "account SID", ["AC"], "AC followed by 32 hex digits");
sid_type!(/// `CA…`: a call.
    CallSid, "call SID", ["CA"], "CA followed by 32 hex digits");
sid_type!(/// `SM…` or `MM…`: a message.
    MessageSid, "message SID", ["SM", "MM"], "SM or MM followed by 32 hex digits");
sid_type!(/// `AP…`: a TwiML application.
    ApplicationSid, "application SID", ["AP"], "AP followed by 32 hex digits");
sid_type!(/// `SK…`: an API key.
    ApiKeySid, "API key SID", ["SK"], "SK followed by 32 hex digits");
sid_type!(/// `RE…`: a recording.
    RecordingSid, "recording SID", ["RE"], "RE followed by 32 hex digits");
sid_type!(/// `ME…`: a media item of a message.
    MediaSid, "media SID", ["ME"], "ME followed by 32 hex digits");
sid_type!(/// `PN…`: an incoming phone number.
    PhoneNumberSid, "phone number SID", ["PN"], "PN followed by 32 hex digits");
sid_type!(/// `TR…`: a transcription.
    TranscriptionSid, "transcription SID", ["TR"], "TR followed by 32 hex digits");

/// A phone number in E.164 form: `+`, a non-zero digit, then up to 14 more digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(value: &str) -> Result<Self, IdError> {
        let digits = value.strip_prefix('+').unwrap_or("");
        let ok = (2..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(IdError::Invalid {
                kind: "phone number",
                value: value.to_owned(),
                expected: "E.164 form such as +18005551212 (a +, the country code, no spaces)",
            })
        }
    }

    /// Reads the forms people type (`(800) 555-1212`, `1-800-555-1212`, `+44 20 …`).
    /// Ten digits without a country code are taken as North American (+1).
    pub fn parse_lenient(value: &str) -> Result<Self, IdError> {
        let trimmed = value.trim();
        let plus = trimmed.starts_with('+');
        let valid_chars = trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || " ()-.+".contains(c));
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        let candidate = match (plus, digits.len()) {
            _ if !valid_chars => String::new(),
            (true, _) => format!("+{digits}"),
            (false, 10) => format!("+1{digits}"),
            (false, 11) if digits.starts_with('1') => format!("+{digits}"),
            _ => String::new(),
        };
        Self::parse(&candidate).map_err(|_| IdError::Invalid {
            kind: "phone number",
            value: value.to_owned(),
            expected: "a phone number such as +18005551212",
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for PhoneNumber {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for PhoneNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for PhoneNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_need_their_prefix_and_32_hex_digits() {
        assert!(CallSid::parse("CA0123456789abcdef0123456789abcdef").is_ok());
        assert!(CallSid::parse("CA0123456789ABCDEF0123456789ABCDEF").is_ok());
        assert!(CallSid::parse("SM0123456789abcdef0123456789abcdef").is_err());
        assert!(CallSid::parse("CA0123456789abcdef0123456789abcde").is_err());
        assert!(CallSid::parse("CA0123456789abcdef0123456789abcdeg").is_err());
        assert!(MessageSid::parse("MM0123456789abcdef0123456789abcdef").is_ok());
        assert!(MessageSid::parse("SM0123456789abcdef0123456789abcdef").is_ok());
    }

    #[test]
    fn phone_numbers_are_e164() {
        assert!(PhoneNumber::parse("+18005551212").is_ok());
        assert!(PhoneNumber::parse("18005551212").is_err());
        assert!(PhoneNumber::parse("+0800").is_err());
        assert!(PhoneNumber::parse("+1800555121212345").is_err());
        assert!(PhoneNumber::parse("+1 800 555").is_err());
    }

    #[test]
    fn lenient_parsing_reads_what_people_type() {
        let n = |s| PhoneNumber::parse_lenient(s).map(|p| p.to_string());
        assert_eq!(n("(800) 555-1212").unwrap(), "+18005551212");
        assert_eq!(n("1-800-555-1212").unwrap(), "+18005551212");
        assert_eq!(n("+44 20 7946 0958").unwrap(), "+442079460958");
        assert!(n("alice").is_err());
        assert!(n("555-1212").is_err());
    }
}
