//! Serving a [`Sim`] over HTTP: bind first (so the real port is known), then run until a
//! shutdown future resolves. [`SimServer::start`] does both for tests on 127.0.0.1:0.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::{Sim, SimConfig};

/// A simulator bound to a listening socket, not yet serving.
pub struct SimServer {
    listener: TcpListener,
    sim: Sim,
}

impl SimServer {
    /// Binds `addr` (port 0 picks a free port) and records the base URL in `sim`.
    pub async fn bind(addr: SocketAddr, sim: Sim) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        sim.set_base_url(format!("http://{}", listener.local_addr()?));
        Ok(Self { listener, sim })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish (requests held
    /// by a delay fault are released at once).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        let sim = self.sim.clone();
        let app = self
            .sim
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, app)
            .with_graceful_shutdown(async move {
                shutdown.await;
                sim.close();
            })
            .await
    }

    /// A simulator for `config` serving on 127.0.0.1 at a free port, in a background task.
    pub async fn start(config: SimConfig) -> io::Result<(SocketAddr, SimHandle)> {
        let server = Self::bind(SocketAddr::from(([127, 0, 0, 1], 0)), Sim::new(config)).await?;
        let addr = server.local_addr()?;
        let sim = server.sim.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run_until(async move {
            // A dropped handle stops the server too.
            let _ = stopped.await;
        }));
        Ok((
            addr,
            SimHandle {
                sim,
                addr,
                stop: Some(stop),
                task,
            },
        ))
    }
}

/// A running simulator started by [`SimServer::start`]; dropping it stops the server.
pub struct SimHandle {
    sim: Sim,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<io::Result<()>>,
}

impl SimHandle {
    /// The simulator's state, for library calls (faults, inspection, …).
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// `http://127.0.0.1:port`, the base URL to give a Twilio client instead of
    /// `https://api.twilio.com`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving and waits for the server task to end.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(join) => Err(io::Error::other(join)),
        }
    }
}
