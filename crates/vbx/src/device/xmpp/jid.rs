//! Just enough of JIDs (RFC 7622) for the gateway: splitting, bare comparison, and the
//! XEP-0106 escaping that lets any sender (a short code, a name) be a JID's local part.

/// A JID split into its parts; the parts borrow from the string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Jid<'a> {
    pub local: Option<&'a str>,
    pub domain: &'a str,
    pub resource: Option<&'a str>,
}

impl<'a> Jid<'a> {
    pub fn parse(jid: &'a str) -> Jid<'a> {
        // The resource may itself contain `@` and `/`, so it is cut off first.
        let (bare, resource) = match jid.split_once('/') {
            Some((bare, resource)) => (bare, Some(resource)),
            None => (jid, None),
        };
        let (local, domain) = match bare.split_once('@') {
            Some((local, domain)) => (Some(local), domain),
            None => (None, bare),
        };
        Jid {
            local,
            domain,
            resource,
        }
    }

    /// `local@domain`, case-folded for comparison (local parts and domains are
    /// case-insensitive; resources are not part of it).
    pub fn bare(&self) -> String {
        let domain = self.domain.trim_end_matches('.').to_lowercase();
        match self.local {
            Some(local) => format!("{}@{domain}", local.to_lowercase()),
            None => domain,
        }
    }

    /// Whether this JID's domain is `domain` (compared case-insensitively).
    pub fn on_domain(&self, domain: &str) -> bool {
        self.domain
            .trim_end_matches('.')
            .eq_ignore_ascii_case(domain)
    }
}

/// The case-folded bare form of any JID string.
pub fn bare(jid: &str) -> String {
    Jid::parse(jid).bare()
}

/// XEP-0106: the characters a local part cannot hold, as `\hh`.
const ESCAPES: &[(char, &str)] = &[
    (' ', "\\20"),
    ('"', "\\22"),
    ('&', "\\26"),
    ('\'', "\\27"),
    ('/', "\\2f"),
    (':', "\\3a"),
    ('<', "\\3c"),
    ('>', "\\3e"),
    ('@', "\\40"),
    ('\\', "\\5c"),
];

pub fn escape_local(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match ESCAPES.iter().find(|(from, _)| *from == c) {
            Some((_, to)) => out.push_str(to),
            None => out.push(c),
        }
    }
    out
}

pub fn unescape_local(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('\\') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        match ESCAPES
            .iter()
            .find(|(_, code)| tail.get(..3).is_some_and(|t| t.eq_ignore_ascii_case(code)))
        {
            Some((c, _)) => {
                out.push(*c);
                rest = &tail[3..];
            }
            None => {
                out.push('\\');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn jids_split_into_local_domain_and_resource() {
        assert_eq!(
            Jid::parse("Me@Example.COM/phone/with@signs"),
            Jid {
                local: Some("Me"),
                domain: "Example.COM",
                resource: Some("phone/with@signs")
            }
        );
        assert_eq!(bare("Me@Example.COM/phone"), "me@example.com");
        assert_eq!(bare("sms.localhost"), "sms.localhost");
        assert!(Jid::parse("+1@SMS.localhost").on_domain("sms.localhost"));
        assert!(!Jid::parse("+1@sms.localhost.evil").on_domain("sms.localhost"));
    }

    #[test]
    fn a_sender_that_is_not_a_number_is_escaped_for_the_local_part() {
        assert_eq!(escape_local("+14155550100"), "+14155550100");
        assert_eq!(
            escape_local("My Bank <alerts>"),
            "My\\20Bank\\20\\3calerts\\3e"
        );
        assert_eq!(
            unescape_local("My\\20Bank\\20\\3Calerts\\3e"),
            "My Bank <alerts>"
        );
        assert_eq!(unescape_local("a\\b\\"), "a\\b\\");
    }

    proptest! {
        #[test]
        fn escaping_round_trips_and_leaves_no_forbidden_character(text in "\\PC*") {
            let escaped = escape_local(&text);
            prop_assert!(!escaped.contains(['@', '/', ' ', '"', '&', '\'', ':', '<', '>']));
            prop_assert_eq!(unescape_local(&escaped), text);
        }
    }
}
