//! Tunables of the simulation (how fast simulated time runs, webhook timeout and retries) and
//! the scenario for the people on the other end of calls (answer, busy, no answer, …).

use std::time::Duration;

use serde::Serialize;

/// How the simulator paces what it does on its own. [`Settings::realtime`] (the default, used by
/// the binary and the demo) lets a person answer a ringing browser; [`Settings::fast`] makes
/// tests quick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// Real time that one simulated second takes: ringing, talking, `<Pause>`, recording,
    /// `<Gather>` and `<Dial>` timeouts all count in simulated seconds.
    #[serde(rename = "time_scale_ms", serialize_with = "millis")]
    pub time_scale: Duration,
    /// Real time between two steps of an outbound message (`queued` → `sent` → `delivered`).
    #[serde(rename = "message_step_ms", serialize_with = "millis")]
    pub message_step: Duration,
    /// How long a webhook may take, connection included, before it fails with 11205
    /// (Twilio: 15 s).
    #[serde(rename = "webhook_timeout_ms", serialize_with = "millis")]
    pub webhook_timeout: Duration,
    /// Extra attempts after a webhook failed to connect, timed out or answered 5xx
    /// (Twilio's default is none).
    pub webhook_retries: u32,
    /// While set, outbound messages and REST-created calls stay `queued`; clearing it lets them
    /// go on. Tests of the REST API alone use it to see records as they were created.
    pub hold: bool,
    /// How long a PSTN party that answers talks before hanging up, when its scenario does not
    /// say; also how long a `<Conference>` or `<Queue>` lasts.
    pub talk_seconds: u32,
    /// How long a caller speaks into `<Record>` unless the call's script says otherwise.
    pub record_seconds: u32,
    /// Documents one call may fetch before the simulator ends it (stops `<Redirect>` loops).
    pub max_call_documents: u32,
    /// Documents one incoming message may fetch (Twilio: 50, warning 14106).
    pub max_message_documents: u32,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Settings {
    /// One simulated second is one real second; message steps take 300 ms so a person sees them.
    pub fn realtime() -> Self {
        Self {
            time_scale: Duration::from_secs(1),
            message_step: Duration::from_millis(300),
            webhook_timeout: Duration::from_secs(15),
            webhook_retries: 0,
            hold: false,
            talk_seconds: 5,
            record_seconds: 5,
            max_call_documents: 100,
            max_message_documents: 50,
        }
    }

    /// One simulated second is 10 ms and message steps take 20 ms: a 30-second `<Dial>` timeout
    /// passes in 0.3 s.
    pub fn fast() -> Self {
        Self {
            time_scale: Duration::from_millis(10),
            message_step: Duration::from_millis(20),
            ..Self::realtime()
        }
    }

    /// Real time for `seconds` simulated seconds.
    pub fn real(&self, seconds: f64) -> Duration {
        // Saturates instead of panicking on absurd values (the scale comes from outside).
        Duration::try_from_secs_f64(self.time_scale.as_secs_f64() * seconds.max(0.0))
            .unwrap_or(Duration::MAX)
    }

    /// Simulated seconds that `real` time stands for.
    pub fn simulated(&self, real: Duration) -> f64 {
        if self.time_scale.is_zero() {
            0.0
        } else {
            real.as_secs_f64() / self.time_scale.as_secs_f64()
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self::realtime()
    }
}

/// What the person at a PSTN number (or SIP URI) does when the simulator rings it.
///
/// Keys matter only when the call is screened (`<Number url>`): the screening document runs on
/// the party's leg and its `<Gather>`s collect what the party presses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Party {
    /// A person: answers after one simulated second, presses `keys` at every `<Gather>` of a
    /// screening document (an empty string presses nothing and lets each time out), and hangs
    /// up `talk_seconds` after being bridged.
    Answer { talk_seconds: u32, keys: String },
    /// A cell phone's voicemail: answers at once, before a person could, presses nothing and
    /// records whatever it hears (its leg's transcript); once bridged it hangs up after
    /// `talk_seconds`.
    Voicemail { talk_seconds: u32 },
    /// Answers busy after one simulated second.
    Busy,
    /// Lets it ring until the caller gives up.
    NoAnswer,
    /// The call cannot be placed (`failed`).
    Failed,
    /// Rings until told through [`crate::Sim::answer_call`] / [`crate::Sim::hangup_call`]
    /// (or the control API) to answer or hang up; its keys come from
    /// [`crate::Sim::send_digits`].
    Manual,
}

impl Party {
    /// The key a person presses to take a screened call ("press 1 to accept").
    pub const ACCEPT_KEY: &'static str = "1";

    /// A person who talks `talk_seconds` and accepts a screened call with
    /// [`Party::ACCEPT_KEY`]: what a number does without a scenario.
    pub fn person(talk_seconds: u32) -> Self {
        Self::Answer {
            talk_seconds,
            keys: Self::ACCEPT_KEY.to_owned(),
        }
    }

    /// Reads the control API's names: `answer` (a person who presses 1 at screening prompts),
    /// `answer-silent` (a person who presses nothing), `voicemail`, `busy`, `no-answer`,
    /// `failed`, `manual`.
    pub fn from_name(name: &str, talk_seconds: u32) -> Option<Self> {
        Some(match name {
            "answer" => Self::person(talk_seconds),
            "answer-silent" => Self::Answer {
                talk_seconds,
                keys: String::new(),
            },
            "voicemail" => Self::Voicemail { talk_seconds },
            "busy" => Self::Busy,
            "no-answer" => Self::NoAnswer,
            "failed" => Self::Failed,
            "manual" => Self::Manual,
            _ => return None,
        })
    }

    /// What the party presses at each screening `<Gather>`; `None` when its keys come live
    /// from the control API.
    pub(crate) fn keys(&self) -> Option<String> {
        match self {
            Self::Answer { keys, .. } => Some(keys.clone()),
            Self::Voicemail { .. } => Some(String::new()),
            Self::Busy | Self::NoAnswer | Self::Failed | Self::Manual => None,
        }
    }

    /// How long the party talks once bridged; `None` when it hangs up only when told.
    pub(crate) fn talk_seconds(&self) -> Option<u32> {
        match self {
            Self::Answer { talk_seconds, .. } | Self::Voicemail { talk_seconds } => {
                Some(*talk_seconds)
            }
            Self::Busy | Self::NoAnswer | Self::Failed | Self::Manual => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_and_real_time_convert_both_ways() {
        let fast = Settings::fast();
        assert_eq!(fast.real(30.0), Duration::from_millis(300));
        assert!((fast.simulated(Duration::from_millis(50)) - 5.0).abs() < 1e-9);
        assert_eq!(Settings::realtime().real(2.0), Duration::from_secs(2));
        let absurd = Settings {
            time_scale: Duration::from_millis(u64::MAX),
            ..Settings::fast()
        };
        assert_eq!(absurd.real(f64::from(u32::MAX)), Duration::MAX);
    }

    #[test]
    fn parties_are_named_like_call_statuses() {
        assert_eq!(
            Party::from_name("answer", 7),
            Some(Party::Answer {
                talk_seconds: 7,
                keys: "1".into()
            })
        );
        assert_eq!(
            Party::from_name("answer-silent", 7),
            Some(Party::Answer {
                talk_seconds: 7,
                keys: String::new()
            })
        );
        assert_eq!(
            Party::from_name("voicemail", 3),
            Some(Party::Voicemail { talk_seconds: 3 })
        );
        assert_eq!(Party::from_name("no-answer", 0), Some(Party::NoAnswer));
        assert_eq!(Party::from_name("hello", 0), None);
    }
}
