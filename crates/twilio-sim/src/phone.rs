//! Addresses Twilio accepts in `To`/`From` (E.164 numbers, `client:`, `sip:`, `whatsapp:`) and
//! the display form it puts in `to_formatted`/`friendly_name`.

use twilio::PhoneNumber;

pub fn is_e164(value: &str) -> bool {
    PhoneNumber::parse(value).is_ok()
}

/// A message can go to a phone number or a WhatsApp address.
pub fn is_message_address(value: &str) -> bool {
    is_e164(value) || value.strip_prefix("whatsapp:").is_some_and(is_e164)
}

/// A call can go to a phone number, a Voice SDK client or a SIP URI.
pub fn is_call_address(value: &str) -> bool {
    is_e164(value) || client_identity(value).is_some() || is_sip(value)
}

/// The identity in `client:alice`, if the value has that form.
pub fn client_identity(value: &str) -> Option<&str> {
    value.strip_prefix("client:").filter(|id| {
        !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.@+".contains(c))
    })
}

fn is_sip(value: &str) -> bool {
    value
        .strip_prefix("sip:")
        .is_some_and(|rest| rest.contains('@') && !rest.contains(char::is_whitespace))
}

/// North American numbers as `(415) 555-1212`, everything else unchanged.
pub fn formatted(value: &str) -> String {
    match value.strip_prefix("+1") {
        Some(d) if d.len() == 10 && d.bytes().all(|b| b.is_ascii_digit()) => {
            format!("({}) {}-{}", &d[..3], &d[3..6], &d[6..])
        }
        _ => value.to_owned(),
    }
}

/// `PhoneNumber` filter of IncomingPhoneNumbers: a (partial) number where `*` stands for any
/// digit; punctuation in the filter is ignored.
pub fn matches_number_pattern(number: &str, pattern: &str) -> bool {
    let pattern: Vec<char> = pattern
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '*')
        .collect();
    if pattern.is_empty() {
        return true;
    }
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    digits
        .windows(pattern.len())
        .any(|w| w.iter().zip(&pattern).all(|(d, p)| *p == '*' || d == p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_accept_numbers_clients_and_sip_but_messages_only_numbers() {
        assert!(is_call_address("+14155551212"));
        assert!(is_call_address("client:alice"));
        assert!(is_call_address("sip:alice@example.com"));
        assert!(!is_call_address("client:"));
        assert!(!is_call_address("4155551212"));
        assert!(is_message_address("whatsapp:+14155551212"));
        assert!(!is_message_address("client:alice"));
        assert!(!is_message_address("555-1212"));
    }

    #[test]
    fn north_american_numbers_are_formatted_with_area_code_in_parentheses() {
        assert_eq!(formatted("+13051416799"), "(305) 141-6799");
        assert_eq!(formatted("+442071838750"), "+442071838750");
        assert_eq!(formatted("client:alice"), "client:alice");
    }

    #[test]
    fn number_patterns_match_partial_numbers_and_wildcards() {
        assert!(matches_number_pattern("+18089255327", "+18089255327"));
        assert!(matches_number_pattern("+18089255327", "925"));
        assert!(matches_number_pattern("+18089255327", "808*255"));
        assert!(!matches_number_pattern("+18089255327", "+18089255328"));
    }
}
