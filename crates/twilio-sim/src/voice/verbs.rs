//! Carrying out a voice document verb by verb: Say/Play/Pause go to the transcript and take
//! simulated time, Gather collects scripted or live digits, Redirect/Hangup/Reject/Enqueue
//! steer the call; Record and Dial live in their own modules.

use twilio::twiml::VoiceResponse;
use twilio::twiml::{Gather, GatherChild, Method, Pause, Play, RejectReason, Say, Verb, Voice};

use super::run::{End, Flow, Interrupt, Run, Source};
use crate::resource::CallStatus;

/// Simulated seconds a `<Say>` takes: about 150 words a minute, at least one second.
fn say_seconds(text: &str) -> f64 {
    (text.split_whitespace().count() as f64 * 0.4)
        .ceil()
        .max(1.0)
}

fn voice_name(voice: Option<&Voice>) -> String {
    match voice {
        None | Some(Voice::Man) => "man".to_owned(),
        Some(Voice::Woman) => "woman".to_owned(),
        Some(Voice::Alice) => "alice".to_owned(),
        Some(Voice::Polly(name)) => format!("Polly.{name}"),
        Some(Voice::Google(name)) => format!("Google.{name}"),
    }
}

/// A prompt as the caller hears it: the transcript line, how long it takes, how many times.
fn say_line(say: &Say) -> (String, f64, u32) {
    let line = format!(
        "say[{},{}]: {}",
        voice_name(say.voice.as_ref()),
        say.language.as_deref().unwrap_or("en-US"),
        say.text
    );
    (line, say_seconds(&say.text), repeats(say.loop_count))
}

fn play_line(play: &Play) -> (String, f64, u32) {
    let line = if play.url.is_empty() {
        format!(
            "play-digits: {}",
            play.digits.as_deref().unwrap_or_default()
        )
    } else {
        format!("play: {}", play.url)
    };
    (line, 1.0, repeats(play.loop_count))
}

fn pause_line(pause: &Pause) -> (String, f64, u32) {
    let length = pause.length.unwrap_or(1);
    (format!("pause: {length}"), f64::from(length), 1)
}

/// `loop="0"` means "until hang-up" to Twilio; the simulator plays it once.
fn repeats(loop_count: Option<u32>) -> u32 {
    loop_count.unwrap_or(1).max(1)
}

/// Cuts what was entered at the finish key and to `numDigits`; the key, if it ended input.
fn cut(entered: &str, finish_key: &str, num_digits: Option<u32>) -> (String, Option<char>) {
    let mut digits = String::new();
    for c in entered.chars() {
        if finish_key.contains(c) {
            return (digits, Some(c));
        }
        digits.push(c);
        if num_digits.is_some_and(|n| digits.chars().count() >= n as usize) {
            break;
        }
    }
    (digits, None)
}

impl Run {
    pub(super) async fn execute(&mut self, doc: VoiceResponse) -> Flow {
        for verb in doc.verbs {
            let flow = match verb {
                Verb::Say(say) => self.prompt(say_line(&say), true).await,
                Verb::Play(play) => self.prompt(play_line(&play), true).await,
                // A Pause before anything else delays answering, as with Twilio.
                Verb::Pause(pause) => self.prompt(pause_line(&pause), self.answered).await,
                Verb::Gather(gather) => self.gather(&gather).await,
                Verb::Record(record) => self.record(&record).await,
                Verb::Dial(dial) => self.dial(&dial).await,
                Verb::Hangup => Flow::End(End::Status(CallStatus::Completed)),
                Verb::Reject(reject) => Flow::End(End::Status(if self.answered {
                    CallStatus::Completed
                } else if reject.reason == Some(RejectReason::Busy) {
                    CallStatus::Busy
                } else {
                    CallStatus::NoAnswer
                })),
                Verb::Redirect(redirect) => match self.action_url(Some(&redirect.url)) {
                    Ok(Some(url)) => Flow::Fetch(Source::Url {
                        url,
                        method: redirect.method.unwrap_or(Method::Post),
                        purpose: "redirect",
                        extra: Vec::new(),
                    }),
                    Ok(None) => Flow::Next,
                    Err(f) => Flow::End(self.app_error(None, f.code, &f.message).await),
                },
                Verb::Enqueue(enqueue) => self.enqueue(&enqueue).await,
                Verb::Leave => Flow::Next,
            };
            if !matches!(flow, Flow::Next) {
                return flow;
            }
        }
        // The end of the document: a call hangs up, a screened leg is bridged.
        Flow::Next
    }

    /// Plays a prompt (`answer` first unless it is a leading Pause) and waits its length.
    async fn prompt(&mut self, (line, seconds, times): (String, f64, u32), answer: bool) -> Flow {
        if answer && !self.answer().await {
            return Flow::End(End::Closed);
        }
        for _ in 0..times {
            self.hear(line.clone());
            if let Some(interrupt) = self.wait(seconds, false).await {
                return self.interrupted(interrupt);
            }
        }
        Flow::Next
    }

    async fn gather(&mut self, gather: &Gather) -> Flow {
        if !self.answer().await {
            return Flow::End(End::Closed);
        }
        let finish_key = gather
            .finish_on_key
            .clone()
            .unwrap_or_else(|| "#".to_owned());
        let timeout = f64::from(gather.timeout.unwrap_or(5));
        let mut entered = String::new();
        // Keys pressed during the prompts cut them short.
        'prompts: for child in &gather.children {
            let (line, seconds, times) = match child {
                GatherChild::Say(say) => say_line(say),
                GatherChild::Play(play) => play_line(play),
                GatherChild::Pause(pause) => pause_line(pause),
            };
            for _ in 0..times {
                self.hear(line.clone());
                match self.wait(seconds, true).await {
                    None => {}
                    Some(Interrupt::Digits(digits)) => {
                        entered.push_str(&digits);
                        break 'prompts;
                    }
                    Some(other) => return self.interrupted(other),
                }
            }
        }
        let scripted = if entered.is_empty() {
            self.script
                .digits
                .pop_front()
                .or_else(|| self.script.keys.clone())
        } else {
            None
        };
        if let Some(keys) = scripted {
            entered = keys;
            if entered.is_empty() {
                // The caller lets the Gather time out.
                if let Some(interrupt) = self.wait(timeout, false).await {
                    return self.interrupted(interrupt);
                }
            }
        } else {
            // Live digits arrive one press at a time: wait for more until the finish key,
            // numDigits or the timeout.
            loop {
                let (digits, key) = cut(&entered, &finish_key, gather.num_digits);
                let complete = key.is_some()
                    || gather
                        .num_digits
                        .is_some_and(|n| digits.chars().count() >= n as usize);
                if complete {
                    break;
                }
                match self.wait(timeout, true).await {
                    None => break,
                    Some(Interrupt::Digits(more)) => entered.push_str(&more),
                    Some(other) => return self.interrupted(other),
                }
            }
        }
        if !entered.is_empty() {
            self.hear(format!("digits: {entered}"));
        }
        let (digits, key) = cut(&entered, &finish_key, gather.num_digits);
        if digits.is_empty() && !gather.action_on_empty_result.unwrap_or(false) {
            return Flow::Next;
        }
        let url = match self.action_url(gather.action.as_deref()) {
            Ok(Some(url)) => url,
            Ok(None) => return Flow::Next,
            Err(f) => return Flow::End(self.app_error(None, f.code, &f.message).await),
        };
        let mut extra = vec![("Digits".to_owned(), digits)];
        if let Some(key) = key {
            extra.push(("FinishedOnKey".to_owned(), key.to_string()));
        }
        Flow::Fetch(Source::Url {
            url,
            method: gather.method.unwrap_or(Method::Post),
            purpose: "gather-action",
            extra,
        })
    }

    /// Queues are not simulated: the caller leaves the queue at once (`QueueResult=leave`).
    async fn enqueue(&mut self, enqueue: &twilio::twiml::Enqueue) -> Flow {
        if !self.answer().await {
            return Flow::End(End::Closed);
        }
        self.event(format!(
            "enqueue {}: queues are not simulated, the caller leaves",
            enqueue.name
        ));
        let Some(action) = enqueue.action.as_deref() else {
            return Flow::Next;
        };
        match self.action_url(Some(action)) {
            Ok(Some(url)) => Flow::Fetch(Source::Url {
                url,
                method: enqueue.method.unwrap_or(Method::Post),
                purpose: "enqueue-action",
                extra: vec![
                    ("QueueResult".to_owned(), "leave".to_owned()),
                    ("QueueTime".to_owned(), "0".to_owned()),
                ],
            }),
            Ok(None) => Flow::Next,
            Err(f) => Flow::End(self.app_error(None, f.code, &f.message).await),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_cut_at_the_finish_key_or_after_num_digits() {
        assert_eq!(cut("123#9", "#", None), ("123".to_owned(), Some('#')));
        assert_eq!(cut("12345", "#", Some(3)), ("123".to_owned(), None));
        assert_eq!(cut("#", "#", None), (String::new(), Some('#')));
        assert_eq!(cut("12", "", None), ("12".to_owned(), None));
    }

    #[test]
    fn prompts_name_their_voice_and_language_with_twilios_defaults() {
        let say = Say {
            text: "Hello there".into(),
            ..Say::default()
        };
        assert_eq!(say_line(&say).0, "say[man,en-US]: Hello there");
        let polly = Say {
            text: "Hi".into(),
            voice: Some(Voice::Polly("Joanna".into())),
            language: Some("en-GB".into()),
            loop_count: Some(2),
        };
        assert_eq!(
            say_line(&polly),
            ("say[Polly.Joanna,en-GB]: Hi".into(), 1.0, 2)
        );
        assert_eq!(pause_line(&Pause { length: None }).0, "pause: 1");
    }
}
