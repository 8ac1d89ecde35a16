//! Reconciliation with Twilio: at start and every few minutes, page through the Calls and
//! Messages since the last sync and upsert them, so what happened elsewhere (the console,
//! another app, a webhook vbx missed) shows up. The only periodic Twilio polling in vbx; its
//! outcomes also tell [`TwilioHealth`] whether Twilio is reachable.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use tokio::sync::watch;
use twilio::client::{
    parse_rfc2822, CallFilter, CallResource, Client, MessageFilter, MessageResource,
};

use crate::config::DEFAULT_SYNC_INTERVAL;
use crate::event::{Event, EventHub};
use crate::store::{self, call, message, now_ms, sync_state, Store};
use crate::worker::health::TwilioHealth;

/// `sync_state` resources.
pub const CALLS: &str = "calls";
pub const MESSAGES: &str = "messages";

/// After a failed pass, the next one comes sooner than the interval (but never more often).
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(60);
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// The first pass reaches this far back.
const FIRST_SYNC_DAYS: i64 = 30;
/// Twilio's date filters take whole days; each pass starts a day before the last one began.
const OVERLAP_MS: i64 = DAY_MS;
const PAGE_SIZE: u32 = 1000;
/// A pass stops after this many items of one resource; the next pass covers the rest.
const MAX_ITEMS: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("syncing {resource} from Twilio: {source}")]
    Twilio {
        resource: &'static str,
        source: twilio::client::Error,
    },
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub calls_seen: usize,
    pub calls_new: usize,
    pub calls_changed: usize,
    pub messages_seen: usize,
    pub messages_new: usize,
    pub messages_changed: usize,
}

impl SyncReport {
    /// Whether the pass found nothing vbx did not already know.
    pub fn is_quiet(&self) -> bool {
        self.calls_new + self.calls_changed + self.messages_new + self.messages_changed == 0
    }
}

pub struct Syncer {
    pub client: Client,
    pub store: Store,
    pub events: EventHub,
    /// Time between passes (default [`DEFAULT_SYNC_INTERVAL`]).
    pub interval: Duration,
    /// Where each REST call's outcome goes (the app passes the one its status endpoint reads).
    pub health: TwilioHealth,
}

impl Syncer {
    pub fn new(client: Client, store: Store, events: EventHub) -> Syncer {
        Syncer {
            client,
            store,
            events,
            interval: DEFAULT_SYNC_INTERVAL,
            health: TwilioHealth::new(),
        }
    }

    /// One pass over calls, then messages. A resource's progress is saved only when its pass
    /// completes, so a failure means the next pass covers the same time again.
    pub async fn step(&self) -> Result<SyncReport, SyncError> {
        let mut report = SyncReport::default();
        self.sync_resource(CALLS, &mut report).await?;
        self.sync_resource(MESSAGES, &mut report).await?;
        Ok(report)
    }

    async fn sync_resource(
        &self,
        resource: &'static str,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let started = now_ms();
        let since = match self.store.sync_state(resource).await? {
            Some(sync_state::SyncState {
                synced_at: Some(at),
                ..
            }) => at.saturating_sub(OVERLAP_MS),
            _ => started.saturating_sub(FIRST_SYNC_DAYS * DAY_MS),
        };
        let day = utc_day(since);
        let result = match resource {
            CALLS => self.sync_calls(day, report).await,
            _ => self.sync_messages(day, report).await,
        };
        match result {
            Ok(()) => {
                self.store.sync_succeeded(resource, started).await?;
                Ok(())
            }
            Err(SyncError::Twilio { resource, source }) => {
                let text = source.to_string();
                self.store.sync_failed(resource, started, &text).await?;
                Err(SyncError::Twilio { resource, source })
            }
            Err(other) => Err(other),
        }
    }

    async fn sync_calls(&self, since: NaiveDate, report: &mut SyncReport) -> Result<(), SyncError> {
        let filter = CallFilter {
            start_time_after: Some(since),
            page_size: Some(PAGE_SIZE),
            ..Default::default()
        };
        let listed = self.client.list_all_calls(&filter, MAX_ITEMS).await;
        self.health.record(&listed);
        let calls = listed.map_err(|source| SyncError::Twilio {
            resource: CALLS,
            source,
        })?;
        for resource in &calls {
            report.calls_seen += 1;
            match self.upsert_call(resource).await? {
                Upsert::New => report.calls_new += 1,
                Upsert::Changed => report.calls_changed += 1,
                Upsert::Same => continue,
            }
            self.events.publish(Event::Call {
                sid: resource.sid.to_string(),
            });
        }
        Ok(())
    }

    async fn upsert_call(&self, c: &CallResource) -> Result<Upsert, SyncError> {
        let sid = c.sid.to_string();
        let status = c.status.clone().unwrap_or_else(|| "queued".to_owned());
        let duration = c.duration.as_deref().and_then(|d| d.parse::<i64>().ok());
        let ended = date_ms(c.end_time.as_deref());
        let update = call::CallStatusUpdate {
            sid: sid.clone(),
            account_sid: self.account_of(c.account_sid.as_ref()),
            status: status.clone(),
            sequence: None,
            duration_s: duration,
            timestamp_ms: ended.unwrap_or_else(now_ms),
            from: c.from.clone().unwrap_or_default(),
            to: c.to.clone().unwrap_or_default(),
            direction: c.direction.clone().unwrap_or_default(),
            parent_sid: c.parent_call_sid.as_ref().map(ToString::to_string),
        };
        match self.store.call(&sid).await? {
            None => {
                let started = date_ms(c.start_time.as_deref())
                    .or_else(|| date_ms(c.date_created.as_deref()))
                    .unwrap_or_else(now_ms);
                let new = call::NewCall {
                    sid: sid.clone(),
                    account_sid: update.account_sid.clone(),
                    from: update.from.clone(),
                    to: update.to.clone(),
                    direction: update.direction.clone(),
                    status: status.clone(),
                    alias: None,
                    parent_sid: update.parent_sid.clone(),
                    started_at_ms: started,
                };
                // The end time and duration come in through the status update.
                let ended = call::is_final(&status) || duration.is_some();
                let (inserted, out) = self
                    .store
                    .record_synced_call(&new, ended.then_some(&update), now_ms())
                    .await?;
                self.events.publish_changes(out);
                Ok(if inserted { Upsert::New } else { Upsert::Same })
            }
            Some(row) => {
                let further = call_rank(&status) > call_rank(&row.status);
                let fills_duration =
                    row.status == status && duration.is_some() && row.duration_s != duration;
                if !(further || fills_duration) {
                    return Ok(Upsert::Same);
                }
                let (applied, out) = self.store.apply_call_status(&update).await?;
                self.events.publish_changes(out);
                Ok(if applied {
                    Upsert::Changed
                } else {
                    Upsert::Same
                })
            }
        }
    }

    async fn sync_messages(
        &self,
        since: NaiveDate,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let filter = MessageFilter {
            date_sent_after: Some(since),
            page_size: Some(PAGE_SIZE),
            ..Default::default()
        };
        let listed = self.client.list_all_messages(&filter, MAX_ITEMS).await;
        self.health.record(&listed);
        let messages = listed.map_err(|source| SyncError::Twilio {
            resource: MESSAGES,
            source,
        })?;
        for resource in &messages {
            report.messages_seen += 1;
            match self.upsert_message(resource).await? {
                Upsert::New => report.messages_new += 1,
                Upsert::Changed => report.messages_changed += 1,
                Upsert::Same => continue,
            }
            let has_media = resource
                .num_media
                .as_deref()
                .is_some_and(|n| n.parse::<usize>().is_ok_and(|n| n > 0));
            if has_media {
                self.events.publish(Event::MediaArrived {
                    sid: resource.sid.to_string(),
                });
            }
            self.events.publish(Event::Message {
                sid: resource.sid.to_string(),
            });
        }
        Ok(())
    }

    async fn upsert_message(&self, m: &MessageResource) -> Result<Upsert, SyncError> {
        let sid = m.sid.to_string();
        let status = m.status.clone().unwrap_or_else(|| "queued".to_owned());
        let error_code = m.error_code.map(i64::from);
        let known = self.store.message(&sid).await?;
        if known.as_ref().is_some_and(|row| !row.stub) {
            let (moved, out) = self
                .store
                .apply_message_status(
                    &sid,
                    &status,
                    error_code,
                    m.error_message.as_deref(),
                    now_ms(),
                )
                .await?;
            self.events.publish_changes(out);
            return Ok(if moved { Upsert::Changed } else { Upsert::Same });
        }
        let media = self.media_of(m).await?;
        let new = message::NewMessage {
            sid: sid.clone(),
            account_sid: self.account_of(m.account_sid.as_ref()),
            from: m.from.clone().unwrap_or_default(),
            to: m.to.clone().unwrap_or_default(),
            body: m.body.clone().unwrap_or_default(),
            direction: m.direction.clone().unwrap_or_default(),
            status: status.clone(),
            created_at_ms: date_ms(m.date_created.as_deref())
                .or_else(|| date_ms(m.date_sent.as_deref()))
                .unwrap_or_else(now_ms),
            media,
        };
        let (recorded, out) = self
            .store
            .record_synced_message(&new, error_code, m.error_message.as_deref(), now_ms())
            .await?;
        self.events.publish_changes(out);
        Ok(if recorded { Upsert::New } else { Upsert::Same })
    }

    /// The media metadata of a message (content stays at Twilio until the media worker
    /// fetches incoming items). A refused listing (the media was deleted) records the message
    /// without media; a transient failure aborts the pass.
    async fn media_of(&self, m: &MessageResource) -> Result<Vec<message::NewMedia>, SyncError> {
        let count = m
            .num_media
            .as_deref()
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
        if count == 0 {
            return Ok(Vec::new());
        }
        let listed = match self.client.list_media(&m.sid).await {
            Ok(first) => self.client.collect_pages(first, count.max(10)).await,
            Err(e) => Err(e),
        };
        self.health.record(&listed);
        match listed {
            Ok(items) => Ok(items
                .iter()
                .map(|item| message::NewMedia {
                    url: self.client.media_content_url(&m.sid, &item.sid).to_string(),
                    content_type: item.content_type.clone().unwrap_or_default(),
                })
                .collect()),
            Err(e) if e.is_retryable() => Err(SyncError::Twilio {
                resource: MESSAGES,
                source: e,
            }),
            Err(e) => {
                tracing::warn!(sid = %m.sid, error = %e, "cannot list a message's media; recording it without");
                Ok(Vec::new())
            }
        }
    }

    fn account_of(&self, sid: Option<&twilio::AccountSid>) -> String {
        sid.unwrap_or(self.client.account_sid()).to_string()
    }

    /// Syncs now, then every `interval` (sooner after a failure), until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let result = tokio::select! {
                changed = shutdown.changed() => {
                    if changed.is_err() { return; }
                    continue;
                }
                result = self.step() => result,
            };
            let wait = match result {
                Ok(report) => {
                    if report.is_quiet() {
                        tracing::debug!(?report, "synced with Twilio");
                    } else {
                        tracing::info!(?report, "synced with Twilio");
                    }
                    self.interval
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sync with Twilio failed; will retry");
                    self.interval.min(RETRY_AFTER_FAILURE)
                }
            };
            tokio::select! {
                changed = shutdown.changed() => {
                    if changed.is_err() { return; }
                }
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

enum Upsert {
    New,
    Changed,
    Same,
}

fn date_ms(value: Option<&str>) -> Option<i64> {
    value.and_then(parse_rfc2822).map(|d| d.timestamp_millis())
}

/// The UTC calendar day of a unix-milliseconds time (Twilio's date filters are GMT days).
fn utc_day(ms: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .date_naive()
}

/// Call statuses in the order a call moves through them; a sync never moves a call back.
fn call_rank(status: &str) -> u8 {
    match status {
        "queued" | "initiated" => 0,
        "ringing" => 1,
        "in-progress" | "answered" => 2,
        s if call::is_final(s) => 3,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_calendar_days() {
        // 2024-03-01T23:30:00Z and 00:30 the next day.
        assert_eq!(utc_day(1_709_335_800_000).to_string(), "2024-03-01");
        assert_eq!(utc_day(1_709_339_400_000).to_string(), "2024-03-02");
    }

    #[test]
    fn call_statuses_only_move_forward() {
        assert!(call_rank("ringing") > call_rank("queued"));
        assert!(call_rank("in-progress") > call_rank("ringing"));
        assert!(call_rank("completed") > call_rank("in-progress"));
        assert_eq!(call_rank("busy"), call_rank("completed"));
        assert_eq!(call_rank("something-new"), 0);
    }
}
