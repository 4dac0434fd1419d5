//! Listening: TLS (rustls) for anything real, plain HTTP only on loopback for tests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::api::{router, Hub};
use crate::config::Config;
use crate::store::Store;

/// A hub that is listening. Dropping it does not stop it; call [`Running::stop`].
pub struct Running {
    pub addr: SocketAddr,
    pub hub: Arc<Hub>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Running {
    pub fn url(&self, tls: bool) -> String {
        format!("{}://{}", if tls { "https" } else { "http" }, self.addr)
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Opens the storage and starts listening on the configured address.
pub async fn start(cfg: &Config) -> anyhow::Result<Running> {
    cfg.check()?;
    let store = Store::open(&cfg.storage, &cfg.base).await?;
    start_with(cfg, store).await
}

pub async fn start_with(cfg: &Config, store: Store) -> anyhow::Result<Running> {
    let hub = Arc::new(Hub { store, unit_key: cfg.unit_key.clone() });
    let app = router(hub.clone(), cfg.max_body);
    let listener = TcpListener::bind(cfg.listen).await.map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", cfg.listen))?;
    let addr = listener.local_addr()?;
    let (stop, mut stopped) = watch::channel(false);
    let task = match &cfg.tls {
        None => {
            let mut s = stopped.clone();
            tokio::spawn(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = s.wait_for(|v| *v).await;
                    })
                    .await;
            })
        }
        Some(t) => {
            let acceptor = TlsAcceptor::from(crate::tls::server_config(&cfg.path(&t.cert), &cfg.path(&t.key))?);
            tokio::spawn(async move {
                loop {
                    let (tcp, _) = tokio::select! {
                        r = listener.accept() => match r {
                            Ok(c) => c,
                            Err(e) => { tracing::warn!(error = %e, "accept failed"); continue; }
                        },
                        _ = stopped.wait_for(|v| *v) => break,
                    };
                    let (acceptor, app) = (acceptor.clone(), app.clone());
                    tokio::spawn(async move {
                        let tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                            Ok(Ok(s)) => s,
                            Ok(Err(e)) => {
                                tracing::info!(error = %e, "TLS handshake refused");
                                return;
                            }
                            Err(_) => return,
                        };
                        let svc = TowerToHyperService::new(app);
                        if let Err(e) = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), svc).await {
                            tracing::debug!(error = %e, "connection ended");
                        }
                    });
                }
            })
        }
    };
    let pruner = hub.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(600)).await;
            let before = crate::stamp(chrono::Utc::now() - chrono::Duration::seconds(2 * sync::wire::MAX_SKEW_SECS + 60));
            if let Err(e) = pruner.store.prune_nonces(&before).await {
                tracing::warn!(error = %e, "pruning nonces failed");
            }
        }
    });
    tracing::info!(%addr, storage = hub.store.kind(), tls = cfg.tls.is_some(), "hub listening");
    Ok(Running { addr, hub, stop, task })
}
