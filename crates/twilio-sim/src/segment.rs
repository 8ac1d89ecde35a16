//! How many SMS segments a body takes: GSM-7 packs 160 septets in one segment or 153 per part,
//! anything outside GSM-7 is UCS-2 with 70 code units alone or 67 per part.

const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENSION: &str = "^{}\\[~]|€\u{000C}";

/// Septets a character takes in GSM-7, or `None` if it needs UCS-2.
fn gsm7_cost(c: char) -> Option<usize> {
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Number of segments Twilio reports in `num_segments`; an empty body (media only) is one.
pub fn count(body: &str) -> usize {
    let costs: Vec<usize> = match body.chars().map(gsm7_cost).collect::<Option<Vec<_>>>() {
        Some(septets) => return pack(&septets, 160, 153),
        None => body.chars().map(char::len_utf16).collect(),
    };
    pack(&costs, 70, 67)
}

/// Greedy packing that never splits one character (escape pair or surrogate pair) across parts.
fn pack(costs: &[usize], single: usize, part: usize) -> usize {
    let total: usize = costs.iter().sum();
    if total <= single {
        return 1;
    }
    let mut parts = 1;
    let mut used = 0;
    for &c in costs {
        if used + c > part {
            parts += 1;
            used = 0;
        }
        used += c;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm_bodies_fit_160_then_153_per_segment() {
        assert_eq!(count(""), 1);
        assert_eq!(count(&"a".repeat(160)), 1);
        assert_eq!(count(&"a".repeat(161)), 2);
        assert_eq!(count(&"a".repeat(306)), 2);
        assert_eq!(count(&"a".repeat(307)), 3);
    }

    #[test]
    fn extension_characters_count_twice() {
        assert_eq!(count(&"€".repeat(80)), 1);
        assert_eq!(count(&"€".repeat(81)), 2);
    }

    #[test]
    fn non_gsm_bodies_fit_70_then_67_per_segment() {
        assert_eq!(count(&"ж".repeat(70)), 1);
        assert_eq!(count(&"ж".repeat(71)), 2);
        assert_eq!(count(&"ж".repeat(134)), 2);
        assert_eq!(count(&"ж".repeat(135)), 3);
        // An emoji is a surrogate pair: two UCS-2 units.
        assert_eq!(count(&"😀".repeat(35)), 1);
        assert_eq!(count(&"😀".repeat(36)), 2);
    }
}
