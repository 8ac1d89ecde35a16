//! Random identifiers in Twilio's shapes: a two-letter prefix and 32 lowercase hex digits.

use twilio::{
    AccountSid, ApiKeySid, ApplicationSid, CallSid, MediaSid, MessageSid, PhoneNumberSid,
    RecordingSid, TranscriptionSid,
};

fn hex32() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// A random 32-hex-digit secret, the shape of auth tokens and API key secrets.
pub fn secret() -> String {
    hex32()
}

// The generated strings always have a valid prefix and 32 hex digits, so parsing cannot fail;
// the fallback keeps that invariant out of panicking code paths.
macro_rules! generator {
    ($name:ident, $ty:ty, $prefix:literal) => {
        pub fn $name() -> $ty {
            loop {
                if let Ok(sid) = <$ty>::parse(&format!("{}{}", $prefix, hex32())) {
                    return sid;
                }
            }
        }
    };
}

generator!(account, AccountSid, "AC");
generator!(api_key, ApiKeySid, "SK");
generator!(application, ApplicationSid, "AP");
generator!(call, CallSid, "CA");
generator!(media, MediaSid, "ME");
generator!(sms, MessageSid, "SM");
generator!(mms, MessageSid, "MM");
generator!(phone_number, PhoneNumberSid, "PN");
generator!(recording, RecordingSid, "RE");
generator!(transcription, TranscriptionSid, "TR");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_sids_carry_their_prefix_and_differ() {
        let a = call();
        let b = call();
        assert!(a.as_str().starts_with("CA"));
        assert_eq!(a.as_str().len(), 34);
        assert_ne!(a, b);
        assert!(mms().as_str().starts_with("MM"));
        assert!(sms().as_str().starts_with("SM"));
    }
}
