//! Building and running vbx: `App::build` opens the store and binds the listener (so the
//! real port is known before anything runs); `run_until` serves and supervises the workers
//! until the shutdown future resolves.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

use crate::block_list::BlockList;
use crate::config::{AuthMode, Config};
use crate::contact_book::ContactBook;
use crate::device::LivePresence;
use crate::event::EventHub;
use crate::http::auth::{self, AuthState};
use crate::http::{self, AppParts, AppState};
use crate::media_link::MediaLinks;
use crate::store::{now_ms, Store};
use crate::worker::health::TwilioHealth;
use crate::worker::sender::SmsSender;
use crate::worker::{Ended, Workers};

/// Events older than this are not replayed; a tab away longer reloads.
const EVENT_RETENTION_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// How long the workers have to finish once told to stop.
const WORKERS_STOP_PATIENCE: Duration = Duration::from_secs(10);

type Work = Pin<Box<dyn Future<Output = ()> + Send>>;

pub struct App {
    listener: TcpListener,
    state: AppState,
    presence: LivePresence,
    limits: http::serve::Limits,
    stopping: watch::Sender<bool>,
    extra_workers: Vec<(&'static str, Work)>,
}

impl App {
    pub async fn build(config: Config) -> anyhow::Result<App> {
        let listener = TcpListener::bind(config.server.listen)
            .await
            .with_context(|| {
                format!(
                    "listening on {} (server.listen or --listen)",
                    config.server.listen
                )
            })?;
        Self::build_on(config, listener).await
    }

    /// [`App::build`] on a listener the caller bound (tests that must know the port before
    /// the configuration is final, e.g. to make it the public URL).
    pub async fn build_on(config: Config, listener: TcpListener) -> anyhow::Result<App> {
        if config.server.insecure_skip_signature {
            tracing::warn!(
                "server.insecure_skip_signature is on: anyone who can reach /flow can drive \
                 your Twilio number. Turn it off outside of local experiments."
            );
        }
        match &config.server.auth {
            AuthMode::Login if config.users.is_empty() => tracing::warn!(
                "no [[users]] in the configuration: nobody can log in to the web app; \
                 add one with `vbx user add NAME --config FILE`"
            ),
            AuthMode::Login => {}
            AuthMode::Proxy { header } => tracing::warn!(
                header = %header,
                "server.auth = \"proxy\": vbx trusts this header to name the user; only the \
                 proxy may be able to reach vbx"
            ),
        }
        let store = Store::open(&config.server.data_dir)
            .await
            .with_context(|| {
                format!(
                    "opening the store in {} (server.data_dir)",
                    config.server.data_dir.display()
                )
            })?;
        for warning in crate::private_files::loose_permissions(
            &config.server.data_dir,
            &[crate::store::DB_FILE, "vbx.db-wal", "vbx.db-shm"],
        ) {
            tracing::warn!("{warning}");
        }
        let keys = prepare_store(&store, &config).await?;
        let presence = LivePresence::new();
        let media_links = MediaLinks::new(keys.media.as_bytes(), &config.server.public_url);
        let contacts = ContactBook::load(&store)
            .await
            .context("reading the contacts")?;
        let blocked = BlockList::load(&store)
            .await
            .context("reading the blocked numbers")?;
        let (stopping, stopping_rx) = watch::channel(false);
        let state = AppState::new(AppParts {
            twilio: twilio_client(&config)?,
            config: Arc::new(config),
            store,
            presence: Arc::new(presence.clone()),
            live: presence.clone(),
            events: EventHub::default(),
            health: TwilioHealth::new(),
            auth: Arc::new(AuthState::new(keys.csrf.into_bytes())),
            media_links,
            contacts,
            blocked,
            webhooks: http::api::metrics::WebhookCounts::default(),
            stopping: stopping_rx,
            clock: crate::clock::Clock::default(),
        });
        Ok(App {
            listener,
            state,
            presence,
            limits: http::serve::Limits::default(),
            stopping,
            extra_workers: Vec::new(),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| self.state.config.server.listen)
    }

    /// Replaces the header and request time limits (tests make them short).
    pub fn with_limits(mut self, limits: http::serve::Limits) -> App {
        self.limits = limits;
        self
    }

    /// Runs `work` among the app's workers, supervised like them (tests see through it what
    /// the app does when a worker stops).
    pub fn with_worker(
        mut self,
        name: &'static str,
        work: impl Future<Output = ()> + Send + 'static,
    ) -> App {
        self.extra_workers.push((name, Box::pin(work)));
        self
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn presence(&self) -> &LivePresence {
        &self.presence
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish and the workers
    /// stop. A worker that stops before (a panic, or a loop that ended) is logged at once by
    /// name and stops vbx too, which then returns an error naming it: vbx never runs on
    /// without, say, its SMS sender, and a supervisor (systemd, Docker) restarts it.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let addr = self.local_addr();
        tracing::info!(%addr, public_url = %self.state.config.server.public_url, "vbx listening");
        let (stop_workers, workers_stop) = watch::channel(false);
        let mut workers = self.spawn_workers(&workers_stop)?;
        for (name, work) in self.extra_workers {
            workers.spawn(name, work);
        }

        let router = http::router(self.state.clone());
        let (worker_failed, failure) = oneshot::channel::<()>();
        let stopping = self.stopping;
        let server = http::serve::serve(self.listener, router, self.limits, async move {
            tokio::select! {
                () = shutdown => {}
                _ = failure => {}
            }
            let _ = stopping.send(true);
        });
        let mut server = std::pin::pin!(server);
        let mut worker_failed = Some(worker_failed);
        let mut stopped: Option<(&'static str, Ended)> = None;
        loop {
            tokio::select! {
                () = &mut server => break,
                Some((name, ended)) = workers.next_ended(), if stopped.is_none() => {
                    match &ended {
                        Ended::Returned => tracing::error!(worker = name, "a worker stopped while vbx was running; stopping vbx"),
                        Ended::Panicked(panic) => tracing::error!(worker = name, %panic, "a worker panicked; stopping vbx"),
                    }
                    stopped = Some((name, ended));
                    if let Some(tx) = worker_failed.take() {
                        let _ = tx.send(());
                    }
                }
            }
        }
        let _ = stop_workers.send(true);
        workers.finish(WORKERS_STOP_PATIENCE).await;
        self.state.store.close().await;
        match stopped {
            None => {
                tracing::info!("vbx stopped");
                Ok(())
            }
            Some((name, Ended::Returned)) => {
                anyhow::bail!("vbx stopped because its {name} worker stopped")
            }
            Some((name, Ended::Panicked(panic))) => {
                anyhow::bail!("vbx stopped because its {name} worker panicked: {panic}")
            }
        }
    }

    /// Starts the devices' and the store's background work, each told to stop through
    /// `stop`.
    fn spawn_workers(&self, stop: &watch::Receiver<bool>) -> anyhow::Result<Workers> {
        let mut workers = Workers::default();
        crate::device::xmpp::spawn_all(
            &self.state.config,
            &self.state.contacts,
            &self.state.store,
            &self.presence,
            &self.state.events,
            &mut workers,
            stop,
        );
        // The sync is also what keeps the Twilio status current when nothing else calls Twilio:
        // an idle vbx makes no REST calls besides it.
        let mut syncer = crate::worker::sync::Syncer::new(
            twilio_client(&self.state.config)?,
            self.state.store.clone(),
            self.state.events.clone(),
        );
        syncer.interval = self.state.config.twilio.sync_interval;
        syncer.health = self.state.health.clone();
        workers.spawn("Twilio sync", syncer.run(stop.clone()));
        let media = crate::worker::inbound_media::MediaFetcher {
            client: twilio_client(&self.state.config)?,
            store: self.state.store.clone(),
            events: self.state.events.clone(),
            data_dir: self.state.config.server.data_dir.clone(),
        };
        let media_stop = stop.clone();
        workers.spawn("media download", async move { media.run(media_stop).await });
        let recordings = crate::worker::recordings::RecordingWorker {
            client: self.state.twilio.clone(),
            store: self.state.store.clone(),
            events: self.state.events.clone(),
            data_dir: self.state.config.server.data_dir.clone(),
            delete_after_download: self.state.config.twilio.delete_recordings_after_download,
        };
        let recordings_stop = stop.clone();
        workers.spawn("recordings", async move {
            recordings.run(recordings_stop).await
        });
        let notices = crate::worker::notices::Notices {
            store: self.state.store.clone(),
            config: self.state.config.clone(),
            events: self.state.events.clone(),
            links: self.state.media_links.clone(),
            contacts: self.state.contacts.clone(),
        };
        let notices_stop = stop.clone();
        workers.spawn("voicemail notices", async move {
            notices.run(notices_stop).await
        });
        let email = crate::device::email::EmailSender::new(
            self.state.store.clone(),
            self.state.config.clone(),
            self.state.twilio.clone(),
            self.state.events.clone(),
        );
        let email_stop = stop.clone();
        workers.spawn("email sender", async move { email.run(email_stop).await });
        let sender = SmsSender {
            client: self.state.twilio.clone(),
            store: self.state.store.clone(),
            events: self.state.events.clone(),
            status_callback: Some(self.state.config.server.url_for("/flow/status/message")),
            health: self.state.health.clone(),
        };
        let sms_stop = stop.clone();
        workers.spawn("SMS sender", async move { sender.run(sms_stop).await });
        Ok(workers)
    }
}

/// The keys vbx makes once and keeps in the store.
struct Keys {
    /// Signs the proxy mode's CSRF tokens.
    csrf: String,
    /// Signs the links to incoming media.
    media: String,
}

/// Brings the store in line with the configuration at start: contacts seeded, sessions of
/// removed users and expired sessions gone, old events pruned. Returns the keys.
async fn prepare_store(store: &Store, config: &Config) -> anyhow::Result<Keys> {
    let now = now_ms();
    let contacts: Vec<(String, String)> = config
        .contacts
        .iter()
        .map(|(number, name)| (number.to_string(), name.clone()))
        .collect();
    store
        .seed_contacts(&contacts, now)
        .await
        .context("seeding contacts from [contacts]")?;
    let users: Vec<(String, String)> = config
        .users
        .iter()
        .map(|u| (u.name.clone(), u.password_tag()))
        .collect();
    let login = matches!(config.server.auth, AuthMode::Login);
    store
        .end_stale_sessions(now, login.then_some(users.as_slice()))
        .await?;
    store
        .prune_events(now.saturating_sub(EVENT_RETENTION_MS))
        .await?;
    Ok(Keys {
        csrf: store
            .app_secret("proxy_csrf_key", &auth::new_token())
            .await?,
        media: store
            .app_secret("media_link_key", &auth::new_token())
            .await?,
    })
}

/// The REST client for the configured account (or the simulator, through `api_base`).
pub fn twilio_client(config: &Config) -> anyhow::Result<twilio::client::Client> {
    let auth = twilio::client::Auth::Token {
        account_sid: config.twilio.account_sid.clone(),
        auth_token: config.twilio.auth_token.expose().to_owned(),
    };
    twilio::client::Client::new(config.twilio.api_base.clone(), auth)
        .context("setting up the Twilio REST client (twilio.api_base)")
}
