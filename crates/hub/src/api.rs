//! The HTTP API. Every route after enrollment checks a signed request (see `sync::wire`);
//! every refusal is a 4xx with `{kind, message}` and writes nothing.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::Deserialize;
use sync::wire::{
    self, DeviceStatus, EnrollRequest, EnrollResponse, ErrorBody, Incoming, ItemStatus, PushRequest, PushResponse,
    SignedUnit, WipeReport,
};

use crate::config::EnrollLimits;
use crate::metrics::Metrics;
use crate::store::{Attempt, Device, EnrollRefusal, NewDevice, Nonce, Push, Store, StoreError, StoredUnit};
use crate::{admin, stamp};

pub struct Hub {
    pub store: Store,
    pub unit_key: Option<String>,
    /// Whether the registry keeps the officer id the hub admin gave with the code.
    pub keep_officer_id: bool,
    pub enroll_limits: EnrollLimits,
    pub metrics: Metrics,
    /// Whether `/metrics` is served on this listener (`[metrics]` in `hub.toml`).
    pub metrics_on_api: bool,
}

type Shared = Arc<Hub>;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    /// Seconds for `Retry-After`.
    retry_after: Option<i64>,
}

impl ApiError {
    fn new(status: StatusCode, kind: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody { kind: kind.into(), message: message.into(), wipe: None },
            retry_after: None,
        }
    }
    fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid", message)
    }
    fn replay() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "replay",
            "this request was already received (same nonce); sign each request afresh",
        )
    }
    fn forbidden(message: &str) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        // The first line only: a database's DETAIL line can quote a row's values.
        let e = e.to_string();
        tracing::error!(error = e.lines().next().unwrap_or_default(), "storage failed");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "storage", "the hub's storage is not available; try again later")
    }
}

/// The `kind` of a refusal, for the metrics (a response extension; never sent).
#[derive(Clone)]
struct RefusalKind(String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let kind = RefusalKind(self.body.kind.clone());
        let mut r = (self.status, Json(self.body)).into_response();
        r.extensions_mut().insert(kind);
        if let Some(s) = self.retry_after {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s.max(1)));
        }
        if self.status == StatusCode::REQUEST_TIMEOUT {
            // The rest of the body is not read: the connection cannot carry another request.
            r.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        r
    }
}

type Result<T> = std::result::Result<T, ApiError>;

/// Who signed a request.
enum Caller {
    Device(Device),
    Unit,
}

struct Signed {
    caller: Caller,
    signer: String,
    nonce: String,
}

impl Signed {
    fn nonce(&self) -> Nonce<'_> {
        Nonce { signer: &self.signer, nonce: &self.nonce }
    }
    fn device(&self) -> Result<&Device> {
        match &self.caller {
            Caller::Device(d) => Ok(d),
            Caller::Unit => Err(ApiError::forbidden("this request is for an enrolled device, not the unit key")),
        }
    }
    fn unit(&self) -> Result<()> {
        match self.caller {
            Caller::Unit => Ok(()),
            Caller::Device(_) => {
                Err(ApiError::forbidden("only the unit custodian (signing with the unit key) may do this"))
            }
        }
    }
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Result<&'a str> {
    h.get(name)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unsigned",
                format!("the request is not signed: header {name} is missing"),
            )
        })?
        .to_str()
        .map_err(|_| ApiError::bad(format!("header {name} is not text")))
}

/// Checks a signed request: shape, time, signer, signature, then revocation (after the
/// signature, so that nobody learns a device's state without its key).
async fn authenticate(
    hub: &Hub,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    allow_revoked: bool,
) -> Result<Signed> {
    let signer = header(headers, wire::H_SIGNER)?.to_string();
    let time: i64 = header(headers, wire::H_TIME)?
        .parse()
        .map_err(|_| ApiError::bad(format!("header {} is not a number of seconds", wire::H_TIME)))?;
    let nonce = header(headers, wire::H_NONCE)?.to_string();
    let sig = header(headers, wire::H_SIGNATURE)?;
    wire::check_nonce(&nonce).map_err(|e| ApiError::bad(e.to_string()))?;
    let now = chrono::Utc::now().timestamp();
    if (now - time).abs() > wire::MAX_SKEW_SECS {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "stale",
            format!(
                "the request time is {} s from the hub's clock (at most {} s allowed); check the device clock",
                now - time,
                wire::MAX_SKEW_SECS
            ),
        ));
    }
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let msg = wire::signing_input(method.as_str(), path, &signer, time, &nonce, body);
    let bad_sig = || ApiError::new(StatusCode::UNAUTHORIZED, "bad-signature", "the request signature does not verify");
    let caller = if signer == wire::UNIT_SIGNER {
        let key = hub.unit_key.as_deref().ok_or_else(|| ApiError::forbidden("this hub has no unit key configured"))?;
        wire::verify(key, &msg, sig).map_err(|_| bad_sig())?;
        Caller::Unit
    } else {
        wire::check_id("device id", &signer).map_err(|e| ApiError::bad(e.to_string()))?;
        let device = hub.store.device(&signer).await?.ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unknown-device",
                format!("device `{signer}` is not enrolled with this hub"),
            )
        })?;
        wire::verify(&device.public_key, &msg, sig).map_err(|_| bad_sig())?;
        if device.revoked && !allow_revoked {
            let mut e = ApiError::new(
                StatusCode::FORBIDDEN,
                "revoked",
                format!("device `{signer}` has been revoked by the unit"),
            );
            e.body.wipe = Some(device.wipe);
            return Err(e);
        }
        Caller::Device(device)
    };
    Ok(Signed { caller, signer, nonce })
}

fn body(b: std::result::Result<Bytes, BytesRejection>) -> Result<Bytes> {
    b.map_err(|r| {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&r);
        while let Some(c) = cause {
            if let Some(t) = c.downcast_ref::<BodyTimedOut>() {
                return ApiError::new(StatusCode::REQUEST_TIMEOUT, "timeout", t.to_string());
            }
            cause = c.source();
        }
        let status = r.status();
        let kind = if status == StatusCode::PAYLOAD_TOO_LARGE { "too-large" } else { "invalid" };
        ApiError::new(status, kind, format!("the request body could not be read: {}", r.body_text()))
    })
}

fn now() -> String {
    stamp(chrono::Utc::now())
}

async fn health(State(hub): State<Shared>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "storage": hub.store.kind(), "protocol": wire::PROTOCOL }))
}

/// Liveness: the process answers. No storage call, nothing about the hub.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: the storage answers and its schema is current; otherwise 503 and which of the
/// two failed (details go to the log).
pub async fn readyz(State(hub): State<Shared>) -> Response {
    match hub.store.ready().await {
        Ok(()) => Json(serde_json::json!({ "status": "ready" })).into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "unavailable", "reason": e.to_string() })),
        )
            .into_response(),
    }
}

/// The Prometheus text exposition.
pub async fn metrics(State(hub): State<Shared>) -> Response {
    let counts = match hub.store.counts().await {
        Ok(c) => Some(c),
        Err(e) => {
            let e = e.to_string();
            tracing::warn!(error = e.lines().next().unwrap_or_default(), "metrics: the storage did not answer");
            None
        }
    };
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], hub.metrics.render(counts)).into_response()
}

async fn metrics_on_api(hub: State<Shared>) -> Response {
    if hub.metrics_on_api {
        metrics(hub).await
    } else {
        ApiError::new(StatusCode::NOT_FOUND, "not-found", "no route /metrics").into_response()
    }
}

/// The routes of a separate metrics listener (`[metrics] listen`).
pub fn ops_router(hub: Shared) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(fallback)
        .with_state(hub)
}

/// Counts one enrollment attempt against `scope`/`key`; over the limit, a 429 that says when to
/// try again. Logged without the key when it is a code.
async fn count_attempt(hub: &Hub, scope: &str, key: &str, limit: i64, peer: &SocketAddr) -> Result<()> {
    let w = hub.enroll_limits.window_secs;
    let now = chrono::Utc::now();
    let (attempts, since) = hub
        .store
        .enroll_attempt(&Attempt {
            scope,
            key,
            now: &stamp(now),
            window_floor: &stamp(now - chrono::Duration::seconds(w)),
        })
        .await?;
    if attempts <= limit {
        return Ok(());
    }
    let until = chrono::DateTime::parse_from_rfc3339(&since).map(|t| t.with_timezone(&chrono::Utc)).unwrap_or(now)
        + chrono::Duration::seconds(w);
    let retry = (until - now).num_seconds() + 1;
    tracing::warn!(scope, source = %peer.ip(), attempts, limit, retry_after_secs = retry, "enrollment refused: too many attempts");
    let what = if scope == "source" { "from this address" } else { "with this code" };
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        format!("too many enrollment attempts {what} ({attempts} in {w} s, at most {limit}); try again in {retry} s"),
    );
    e.retry_after = Some(retry);
    Err(e)
}

async fn enroll(
    State(hub): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    b: std::result::Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<EnrollResponse>)> {
    count_attempt(&hub, "source", &peer.ip().to_string(), hub.enroll_limits.per_source, &peer).await?;
    let b = body(b)?;
    let req: EnrollRequest =
        serde_json::from_slice(&b).map_err(|e| ApiError::bad(format!("the enrollment request is not valid: {e}")))?;
    let code_hash = admin::code_hash(&req.code);
    count_attempt(&hub, "code", &code_hash, hub.enroll_limits.per_code, &peer).await?;
    wire::check_id("device id", &req.device_id).map_err(|e| ApiError::bad(e.to_string()))?;
    wire::public_key(&req.public_key).map_err(|e| ApiError::bad(e.to_string()))?;
    wire::verify(&req.public_key, &wire::enroll_proof_input(&req.code, &req.device_id, &req.public_key), &req.proof)
        .map_err(|_| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "bad-signature",
                "the proof does not verify with the key being enrolled",
            )
        })?;
    let d = NewDevice {
        code_hash: &code_hash,
        device_id: &req.device_id,
        public_key: &req.public_key,
        keep_officer_id: hub.keep_officer_id,
    };
    match hub.store.enroll(&d, &now()).await? {
        Ok(()) => {
            hub.metrics.enrolled();
            tracing::info!("device enrolled");
            Ok((StatusCode::CREATED, Json(EnrollResponse { device_id: req.device_id, unit_key: hub.unit_key.clone() })))
        }
        Err(r) => Err(match r {
            EnrollRefusal::UnknownCode => {
                ApiError::new(StatusCode::FORBIDDEN, "bad-code", "the enrollment code is not known to this hub")
            }
            EnrollRefusal::UsedCode => ApiError::new(
                StatusCode::FORBIDDEN,
                "code-used",
                "the enrollment code was already used; ask the hub admin for a new one",
            ),
            EnrollRefusal::ExpiredCode => ApiError::new(
                StatusCode::FORBIDDEN,
                "code-expired",
                "the enrollment code has expired; ask the hub admin for a new one",
            ),
            EnrollRefusal::DeviceExists => ApiError::new(
                StatusCode::CONFLICT,
                "device-exists",
                format!("device `{}` is already enrolled", d.device_id),
            ),
        }),
    }
}

async fn push(
    State(hub): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    b: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<PushResponse>> {
    let b = body(b)?;
    let s = authenticate(&hub, &method, &uri, &headers, &b, false).await?;
    let device = s.device()?;
    let items = PushRequest::parse(&b).map_err(|e| ApiError::bad(e.to_string()))?;
    let n = items.len();
    let results = hub
        .store
        .put_records(Push { device: &device.device_id, nonce: s.nonce(), items, now: &now() })
        .await?
        .ok_or_else(ApiError::replay)?;
    let stored = results.iter().filter(|r| r.status == ItemStatus::Stored).count();
    let duplicate = results.iter().filter(|r| r.status == ItemStatus::Duplicate).count();
    hub.metrics.stored(stored, duplicate);
    tracing::info!(records = n, stored, duplicate, "push");
    Ok(Json(PushResponse { results }))
}

async fn put_record(
    State(hub): State<Shared>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    b: std::result::Result<Bytes, BytesRejection>,
) -> Result<Response> {
    let b = body(b)?;
    let s = authenticate(&hub, &method, &uri, &headers, &b, false).await?;
    let device = s.device()?;
    wire::check_id("record id", &id).map_err(|e| ApiError::bad(e.to_string()))?;
    Incoming::check_envelope(&id, &b).map_err(|e| ApiError::bad(e.to_string()))?;
    let item = Incoming { id: id.clone(), sha256: wire::sha256_hex(&b), envelope: b.to_vec() };
    let mut results = hub
        .store
        .put_records(Push { device: &device.device_id, nonce: s.nonce(), items: vec![item], now: &now() })
        .await?
        .ok_or_else(ApiError::replay)?;
    let r = results.remove(0);
    hub.metrics.stored(usize::from(r.status == ItemStatus::Stored), usize::from(r.status == ItemStatus::Duplicate));
    Ok(match r.status {
        ItemStatus::Stored => (StatusCode::CREATED, Json(r)).into_response(),
        ItemStatus::Duplicate => (StatusCode::OK, Json(r)).into_response(),
        ItemStatus::Conflict => {
            ApiError::new(StatusCode::CONFLICT, "conflict", r.error.unwrap_or_default()).into_response()
        }
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    after: i64,
    #[serde(default = "default_limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    500
}

async fn use_nonce(hub: &Hub, s: &Signed) -> Result<()> {
    if hub.store.use_nonce(&s.nonce(), &now()).await? {
        Ok(())
    } else {
        Err(ApiError::replay())
    }
}

async fn list_records(
    State(hub): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    q: std::result::Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<wire::RecordList>> {
    let s = authenticate(&hub, &method, &uri, &headers, b"", false).await?;
    s.unit()?;
    let Query(q) = q.map_err(|e| ApiError::bad(e.body_text()))?;
    if !(1..=1000).contains(&q.limit) || q.after < 0 {
        return Err(ApiError::bad("limit must be 1 to 1000 and after at least 0"));
    }
    use_nonce(&hub, &s).await?;
    Ok(Json(wire::RecordList { records: hub.store.list_records(q.after, q.limit).await? }))
}

async fn get_record(
    State(hub): State<Shared>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response> {
    let s = authenticate(&hub, &method, &uri, &headers, b"", false).await?;
    s.unit()?;
    wire::check_id("record id", &id).map_err(|e| ApiError::bad(e.to_string()))?;
    use_nonce(&hub, &s).await?;
    let (meta, envelope) = hub
        .store
        .envelope(&id)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not-found", format!("no record `{id}`")))?;
    let mut r = envelope.into_response();
    let h = r.headers_mut();
    h.insert(wire::H_DEVICE, HeaderValue::from_str(&meta.device_id).map_err(|_| ApiError::bad("device id"))?);
    h.insert(wire::H_SHA256, HeaderValue::from_str(&meta.sha256).map_err(|_| ApiError::bad("hash"))?);
    Ok(r)
}

async fn devices(
    State(hub): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Json<Vec<wire::DeviceInfo>>> {
    let s = authenticate(&hub, &method, &uri, &headers, b"", false).await?;
    s.unit()?;
    use_nonce(&hub, &s).await?;
    Ok(Json(hub.store.devices().await?))
}

async fn status(State(hub): State<Shared>, method: Method, uri: Uri, headers: HeaderMap) -> Result<Json<DeviceStatus>> {
    let s = authenticate(&hub, &method, &uri, &headers, b"", false).await?;
    let device = s.device()?;
    use_nonce(&hub, &s).await?;
    let records = hub
        .store
        .devices()
        .await?
        .into_iter()
        .find(|d| d.device_id == device.device_id)
        .map(|d| d.records)
        .unwrap_or(0);
    Ok(Json(DeviceStatus { device_id: device.device_id.clone(), records }))
}

async fn get_unit(State(hub): State<Shared>, method: Method, uri: Uri, headers: HeaderMap) -> Result<Json<SignedUnit>> {
    let s = authenticate(&hub, &method, &uri, &headers, b"", false).await?;
    use_nonce(&hub, &s).await?;
    let u = hub.store.unit().await?.ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "no-unit-config", "the unit has not published a configuration yet")
    })?;
    Ok(Json(SignedUnit { document: B64.encode(&u.document), signature: u.signature }))
}

async fn put_unit(
    State(hub): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    b: std::result::Result<Bytes, BytesRejection>,
) -> Result<StatusCode> {
    let b = body(b)?;
    let s = authenticate(&hub, &method, &uri, &headers, &b, false).await?;
    s.unit()?;
    let signed: SignedUnit =
        serde_json::from_slice(&b).map_err(|e| ApiError::bad(format!("the unit configuration is not valid: {e}")))?;
    let key = hub.unit_key.as_deref().ok_or_else(|| ApiError::forbidden("this hub has no unit key configured"))?;
    let (doc, bytes) = signed.open(key).map_err(|e| match e {
        wire::WireError::BadSignature => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad-signature",
            "the unit document is not signed by the unit key",
        ),
        other => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", other.to_string()),
    })?;
    let serial = i64::try_from(doc.serial).map_err(|_| ApiError::bad("the serial is too large"))?;
    let u = StoredUnit { serial, document: bytes, signature: signed.signature };
    match hub.store.publish_unit(&u, &s.nonce(), &now()).await? {
        None => Err(ApiError::replay()),
        Some(false) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "stale-serial",
            format!("serial {serial} is not above the published one"),
        )),
        Some(true) => {
            tracing::info!(serial, unit = %doc.unit, "unit configuration published");
            Ok(StatusCode::CREATED)
        }
    }
}

async fn wipe_report(
    State(hub): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    b: std::result::Result<Bytes, BytesRejection>,
) -> Result<StatusCode> {
    let b = body(b)?;
    let s = authenticate(&hub, &method, &uri, &headers, &b, true).await?;
    let device = s.device()?;
    let r: WipeReport =
        serde_json::from_slice(&b).map_err(|e| ApiError::bad(format!("the report is not valid: {e}")))?;
    if r.device_id != device.device_id {
        return Err(ApiError::bad("the report names another device"));
    }
    if !hub.store.report_wipe(&device.device_id, &s.nonce(), &now()).await? {
        return Err(ApiError::replay());
    }
    tracing::warn!(wiped = r.wiped, "a revoked device reported back");
    Ok(StatusCode::OK)
}

async fn fallback(uri: Uri) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not-found", format!("no route {}", uri.path()))
}

/// One structured log line per request, and its metrics. Both name the route template
/// (`/v1/records/{id}`), never the path, the signer or anything else the request carries.
async fn log(State(hub): State<Shared>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string());
    let route = route.as_deref().unwrap_or(crate::metrics::UNMATCHED).to_string();
    let t = Instant::now();
    let res = next.run(req).await;
    let (status, took) = (res.status().as_u16(), t.elapsed());
    hub.metrics.request(&route, method.as_str(), status);
    if matches!(status, 401 | 403 | 429) {
        if let Some(k) = res.extensions().get::<RefusalKind>() {
            hub.metrics.refused(&k.0);
        }
    }
    if (method == Method::POST && route == "/v1/records") || (method == Method::PUT && route == "/v1/records/{id}") {
        hub.metrics.push(took);
    }
    tracing::info!(%method, %route, status, ms = took.as_millis() as u64, "request");
    res
}

/// A request body that must arrive whole before its deadline.
struct Deadline {
    inner: axum::body::Body,
    sleep: Pin<Box<tokio::time::Sleep>>,
    limit: Duration,
}

/// The error a [`Deadline`] body ends with.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {} ms (body_timeout_ms)", .0.as_millis())]
struct BodyTimedOut(Duration);

impl http_body::Body for Deadline {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<http_body::Frame<Bytes>, axum::Error>>> {
        if self.sleep.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut(self.limit)))));
        }
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

async fn body_deadline(limit: Duration, req: Request, next: Next) -> Response {
    let req =
        req.map(|inner| axum::body::Body::new(Deadline { inner, sleep: Box::pin(tokio::time::sleep(limit)), limit }));
    next.run(req).await
}

pub fn router(hub: Shared, max_body: usize, body_timeout: Duration) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_on_api))
        .route("/v1/enroll", post(enroll))
        .route("/v1/records", post(push).get(list_records))
        .route("/v1/records/{id}", put(put_record).get(get_record))
        .route("/v1/devices", get(devices))
        .route("/v1/status", get(status))
        .route("/v1/unit", get(get_unit).put(put_unit))
        .route("/v1/wipe-report", post(wipe_report))
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn(move |req: Request, next: Next| body_deadline(body_timeout, req, next)))
        .layer(middleware::from_fn_with_state(hub.clone(), log))
        .with_state(hub)
}
