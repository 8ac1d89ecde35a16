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

use crate::config::Config;
use crate::device::LivePresence;
use crate::event::EventHub;
use crate::http::{self, AppState};
use crate::sender::SmsSender;
use crate::store::Store;

pub struct App {
    listener: TcpListener,
    state: AppState,
    presence: LivePresence,
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

    /// Like [`App::build`] on a listener the caller bound (so it can know the port before
    /// writing `public_url` into the configuration); `server.listen` is not used.
    pub async fn build_on(config: Config, listener: TcpListener) -> anyhow::Result<App> {
        if config.server.insecure_skip_signature {
            tracing::warn!(
                "server.insecure_skip_signature is on: anyone who can reach /flow can drive \
                 your Twilio number. Turn it off outside of local experiments."
            );
        }
        let store = Store::open(&config.server.data_dir)
            .await
            .with_context(|| {
                format!(
                    "opening the store in {} (server.data_dir)",
                    config.server.data_dir.display()
                )
            })?;
        let presence = LivePresence::new();
        let state = AppState {
            config: Arc::new(config),
            store,
            presence: Arc::new(presence.clone()),
            events: EventHub::default(),
        };
        Ok(App {
            listener,
            state,
            presence,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| self.state.config.server.listen)
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
            &self.state.store,
            &self.presence,
            &self.state.events,
            &mut workers,
            &workers_stop,
        );
        let syncer = crate::sync::Syncer::new(
            twilio_client(&self.state.config)?,
            self.state.store.clone(),
            self.state.events.clone(),
        );
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
        let sender = SmsSender {
            client: twilio_client(&self.state.config)?,
            store: self.state.store.clone(),
            events: self.state.events.clone(),
            status_callback: Some(format!(
                "{}/flow/status/message",
                self.state
                    .config
                    .server
                    .public_url
                    .as_str()
                    .trim_end_matches('/')
            )),
        };
        workers.spawn(async move {
            sender.run(workers_stop).await;
            "SMS sender"
        });

        let router = http::router(self.state.clone());
        let served = axum::serve(self.listener, router)
            .with_graceful_shutdown(shutdown)
            .await
            .context("serving HTTP");
        let _ = stop_workers.send(true);
        while let Some(done) = workers.join_next().await {
            match done {
                Ok(name) => tracing::debug!(worker = name, "worker stopped"),
                Err(e) => tracing::error!(error = %e, "a worker panicked"),
            }
        }
        self.state.store.close().await;
        served?;
        tracing::info!("vbx stopped");
        Ok(())
    }
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
