//! Listening: TLS (rustls) for anything real, plain HTTP only on loopback for tests. Both go
//! through one accept loop with the same limits (`[limits]` in `hub.toml`): a cap on open
//! connections, a TLS handshake timeout, hyper's header-read timeout (on tokio's timer), a
//! whole-body deadline (in the router), an idle timeout, a pause after a failed `accept()` that
//! doubles up to a second (so running out of file descriptors does not spin), and a drain on
//! shutdown.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::api::{router, Hub};
use crate::config::{Config, Limits};
use crate::store::Store;

/// The first pause after a failed `accept()`; it doubles up to [`ACCEPT_PAUSE_MAX`].
const ACCEPT_PAUSE_MIN: Duration = Duration::from_millis(10);
const ACCEPT_PAUSE_MAX: Duration = Duration::from_secs(1);

/// A hub that is listening. Dropping it does not stop it; call [`Running::stop`].
pub struct Running {
    pub addr: SocketAddr,
    /// The separate metrics listener's address (`[metrics] listen`), if any.
    pub metrics_addr: Option<SocketAddr>,
    pub hub: Arc<Hub>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Running {
    pub fn url(&self, tls: bool) -> String {
        format!("{}://{}", if tls { "https" } else { "http" }, self.addr)
    }

    /// Stops accepting, lets each open connection finish the request in flight (idle ones
    /// close at once), and returns when all are closed or `drain_timeout_ms` has passed.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Opens the storage and starts listening on the configured address.
pub async fn start(cfg: &Config) -> anyhow::Result<Running> {
    cfg.check()?;
    let store = Store::open(&cfg.storage, &cfg.base, &cfg.postgres).await?;
    start_with(cfg, store).await
}

pub async fn start_with(cfg: &Config, store: Store) -> anyhow::Result<Running> {
    if !cfg.keep_officer_id {
        let n = store.forget_officer_ids().await?;
        if n > 0 {
            tracing::warn!(rows = n, "officer ids removed from the registry and the codes (keep_officer_id = false)");
        }
    }
    let hub = Arc::new(Hub {
        store,
        unit_key: cfg.unit_key.clone(),
        keep_officer_id: cfg.keep_officer_id,
        enroll_limits: cfg.enroll_limits.clone(),
        metrics: Default::default(),
        metrics_on_api: cfg.metrics_on_api(),
    });
    let app = router(hub.clone(), cfg.max_body, Duration::from_millis(cfg.limits.body_timeout_ms));
    let listener =
        TcpListener::bind(cfg.listen).await.map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", cfg.listen))?;
    let addr = listener.local_addr()?;
    let acceptor = match &cfg.tls {
        None => None,
        Some(t) => {
            Some(TlsAcceptor::from(crate::tls::server_config(&cfg.path(&t.cert), &cfg.path(&t.key), &cfg.path(&t.ca))?))
        }
    };
    let (stop, stopped) = watch::channel(false);
    let metrics_addr = match cfg.metrics_listen() {
        None => None,
        Some(at) => {
            let l = TcpListener::bind(at)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {at} (metrics.listen): {e}"))?;
            let a = l.local_addr()?;
            let mut stopped = stopped.clone();
            let ops = crate::api::ops_router(hub.clone());
            tokio::spawn(async move {
                let done = async move {
                    let _ = stopped.wait_for(|v| *v).await;
                };
                if let Err(e) = axum::serve(l, ops).with_graceful_shutdown(done).await {
                    tracing::warn!(error = %e, "the metrics listener stopped");
                }
            });
            tracing::info!(addr = %a, "metrics listening");
            Some(a)
        }
    };
    let task = tokio::spawn(accept_loop(listener, acceptor, app, cfg.limits.clone(), stopped));
    let pruner = hub.clone();
    let window = cfg.enroll_limits.window_secs;
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(600)).await;
            let now = chrono::Utc::now();
            let before = crate::stamp(now - chrono::Duration::seconds(2 * sync::wire::MAX_SKEW_SECS + 60));
            if let Err(e) = pruner.store.prune_nonces(&before).await {
                tracing::warn!(error = %e, "pruning nonces failed");
            }
            if let Err(e) =
                pruner.store.prune_enroll_attempts(&crate::stamp(now - chrono::Duration::seconds(window))).await
            {
                tracing::warn!(error = %e, "pruning enrollment attempts failed");
            }
        }
    });
    tracing::info!(%addr, storage = hub.store.kind(), tls = cfg.tls.is_some(), max_connections = cfg.limits.max_connections, "hub listening");
    Ok(Running { addr, metrics_addr, hub, stop, task })
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    app: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut conns = JoinSet::new();
    let mut pause = ACCEPT_PAUSE_MIN;
    let mut at_cap = false;
    loop {
        while conns.try_join_next().is_some() {}
        let permit = match permits.clone().try_acquire_owned() {
            Ok(p) => {
                at_cap = false;
                p
            }
            Err(_) => {
                if !at_cap {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "connection limit reached: {} connections open; new connections wait until one closes",
                        limits.max_connections
                    );
                    at_cap = true;
                }
                tokio::select! {
                    p = permits.clone().acquire_owned() => p.expect("the semaphore is never closed"),
                    _ = stop.wait_for(|v| *v) => break,
                }
            }
        };
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stop.wait_for(|v| *v) => break,
        };
        let (tcp, peer) = match accepted {
            Ok(c) => {
                pause = ACCEPT_PAUSE_MIN;
                c
            }
            Err(e) => {
                tracing::warn!(error = %e, pause_ms = pause.as_millis() as u64, "accept failed; pausing before the next one");
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = stop.wait_for(|v| *v) => break,
                }
                pause = (pause * 2).min(ACCEPT_PAUSE_MAX);
                continue;
            }
        };
        conns.spawn(connection(tcp, peer, acceptor.clone(), app.clone(), limits.clone(), stop.clone(), permit));
    }
    drop(listener);
    let open = conns.len();
    let drained = tokio::time::timeout(Duration::from_millis(limits.drain_timeout_ms), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(open = conns.len(), "connections still open after the drain timeout; closing them");
        conns.shutdown().await;
    }
    tracing::info!(drained = open, "hub stopped");
}

/// One connection: TLS handshake (if any) under its timeout, then HTTP/1.1 until the client
/// closes, a timeout fires, or the hub stops.
async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    acceptor: Option<TlsAcceptor>,
    app: Router,
    limits: Limits,
    stop: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let _ = tcp.set_nodelay(true);
    match acceptor {
        None => http(TokioIo::new(tcp), peer, app, &limits, stop).await,
        Some(a) => {
            match tokio::time::timeout(Duration::from_millis(limits.handshake_timeout_ms), a.accept(tcp)).await {
                Ok(Ok(tls)) => http(TokioIo::new(tls), peer, app, &limits, stop).await,
                Ok(Err(e)) => tracing::info!(error = %e, %peer, "TLS handshake refused"),
                Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
            }
        }
    }
}

/// When the connection last finished a request, and how many are in flight.
struct Activity {
    start: Instant,
    in_flight: AtomicUsize,
    last_ms: AtomicU64,
}

impl Activity {
    fn idle_for(&self) -> Option<Duration> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let last = Duration::from_millis(self.last_ms.load(Ordering::Acquire));
        Some(self.start.elapsed().saturating_sub(last))
    }
}

/// Counts a request in flight until dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(a: &Arc<Activity>) -> InFlight {
        a.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(a.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.last_ms.store(self.0.start.elapsed().as_millis() as u64, Ordering::Release);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

async fn http<I>(io: I, peer: SocketAddr, app: Router, limits: &Limits, mut stop: watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let activity =
        Arc::new(Activity { start: Instant::now(), in_flight: AtomicUsize::new(0), last_ms: AtomicU64::new(0) });
    let a = activity.clone();
    let svc = tower::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        let guard = InFlight::new(&a);
        let app = app.clone();
        async move {
            let res = app.oneshot(req.map(axum::body::Body::new)).await;
            drop(guard);
            res
        }
    });
    let header = Duration::from_millis(limits.header_timeout_ms);
    let idle = Duration::from_millis(limits.idle_timeout_ms);
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header)
        .serve_connection(io, TowerToHyperService::new(svc));
    tokio::pin!(conn);
    let check = (idle.min(header) / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
    let mut tick = tokio::time::interval(check);
    // Once the connection is asked to close: how long it still gets to finish its answer.
    let mut closing: Option<Instant> = None;
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(error = %e, %peer, "connection ended");
                }
                return;
            }
            _ = stop.wait_for(|v| *v), if closing.is_none() => {
                conn.as_mut().graceful_shutdown();
                closing = Some(Instant::now() + Duration::from_millis(limits.drain_timeout_ms));
            }
            _ = tick.tick() => match closing {
                Some(deadline) if Instant::now() >= deadline => {
                    tracing::debug!(%peer, "connection closed: it did not finish after being asked to");
                    return;
                }
                Some(_) => {}
                None => {
                    if activity.idle_for().is_some_and(|d| d >= idle) {
                        tracing::debug!(%peer, "connection idle; closing it");
                        conn.as_mut().graceful_shutdown();
                        closing = Some(Instant::now() + header);
                    }
                }
            },
        }
    }
}
