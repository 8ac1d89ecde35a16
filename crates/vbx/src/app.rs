//! Building and running vbx: `App::build` opens the store and binds the listener (so the
//! real port is known before anything runs); `run_until` serves and supervises the workers
//! until the shutdown future resolves.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::block_list::BlockList;
use crate::config::{AuthMode, Config};
use crate::contact_book::ContactBook;
use crate::device::LivePresence;
use crate::event::EventHub;
use crate::health::TwilioHealth;
use crate::http::auth::{self, AuthState};
use crate::http::{self, AppParts, AppState};
use crate::media_link::MediaLinks;
use crate::sender::SmsSender;
use crate::store::{contact, event, now_ms, session, Store};

/// Events older than this are not replayed; a tab away longer reloads.
const EVENT_RETENTION_MS: i64 = 30 * 24 * 60 * 60 * 1000;

pub struct App {
    listener: TcpListener,
    state: AppState,
    presence: LivePresence,
    limits: http::serve::Limits,
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
        let contacts = ContactBook::load(store.pool())
            .await
            .context("reading the contacts")?;
        let blocked = BlockList::load(store.pool())
            .await
            .context("reading the blocked numbers")?;
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
        });
        Ok(App {
            listener,
            state,
            presence,
            limits: http::serve::Limits::default(),
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

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn presence(&self) -> &LivePresence {
        &self.presence
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let addr = self.local_addr();
        tracing::info!(%addr, public_url = %self.state.config.server.public_url, "vbx listening");
        let (stop_workers, workers_stop) = watch::channel(false);
        let mut workers = JoinSet::new();
        crate::device::xmpp::spawn_all(
            &self.state.config,
            &self.state.contacts,
            &self.state.store,
            &self.presence,
            &self.state.events,
            &mut workers,
            &workers_stop,
        );
        // The sync is also what keeps the Twilio status current when nothing else calls Twilio:
        // an idle vbx makes no REST calls besides it.
        let mut syncer = crate::sync::Syncer::new(
            twilio_client(&self.state.config)?,
            self.state.store.clone(),
            self.state.events.clone(),
        );
        syncer.interval = self.state.config.twilio.sync_interval;
        syncer.health = self.state.health.clone();
        let stop = workers_stop.clone();
        workers.spawn(async move {
            syncer.run(stop).await;
            "Twilio sync"
        });
        let media = crate::inbound_media::MediaFetcher {
            client: twilio_client(&self.state.config)?,
            store: self.state.store.clone(),
            events: self.state.events.clone(),
            data_dir: self.state.config.server.data_dir.clone(),
        };
        let stop = workers_stop.clone();
        workers.spawn(async move {
            media.run(stop).await;
            "media download"
        });
        let email = crate::device::email::EmailSender::new(
            self.state.store.clone(),
            self.state.config.clone(),
            self.state.twilio.clone(),
            self.state.events.clone(),
        );
        let email_stop = workers_stop.clone();
        workers.spawn(async move {
            email.run(email_stop).await;
            "email sender"
        });
        let sender = SmsSender {
            client: self.state.twilio.clone(),
            store: self.state.store.clone(),
            events: self.state.events.clone(),
            status_callback: Some(self.state.config.server.url_for("/flow/status/message")),
            health: self.state.health.clone(),
        };
        workers.spawn(async move {
            sender.run(workers_stop).await;
            "SMS sender"
        });

        let router = http::router(self.state.clone());
        http::serve::serve(self.listener, router, self.limits, shutdown).await;
        let _ = stop_workers.send(true);
        while let Some(done) = workers.join_next().await {
            match done {
                Ok(name) => tracing::debug!(worker = name, "worker stopped"),
                Err(e) => tracing::error!(error = %e, "a worker panicked"),
            }
        }
        self.state.store.close().await;
        tracing::info!("vbx stopped");
        Ok(())
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
    contact::seed(store.pool(), &contacts, now)
        .await
        .context("seeding contacts from [contacts]")?;
    let users: Vec<(String, String)> = config
        .users
        .iter()
        .map(|u| (u.name.clone(), u.password_tag()))
        .collect();
    session::delete_expired(store.pool(), now).await?;
    if matches!(config.server.auth, AuthMode::Login) {
        session::keep_only(store.pool(), &users).await?;
    }
    event::prune(store.pool(), now.saturating_sub(EVENT_RETENTION_MS)).await?;
    Ok(Keys {
        csrf: session::app_secret(store.pool(), "proxy_csrf_key", &auth::new_token()).await?,
        media: session::app_secret(store.pool(), "media_link_key", &auth::new_token()).await?,
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
