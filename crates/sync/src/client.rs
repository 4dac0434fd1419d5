//! The HTTP client for the hub: TLS pinned to the unit's CA (no system roots), plain HTTP only
//! to a loopback address, every request after enrollment signed.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::rand::SecureRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::wire::{
    self, DeviceInfo, EnrollRequest, EnrollResponse, ErrorBody, ItemResult, PushItem, PushRequest, PushResponse,
    RecordList, SignedUnit,
};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// No answer from the hub (no route, refused, timed out, cut): records stay queued.
    #[error("the hub is not reachable: {0}")]
    Unreachable(String),
    /// The connection was closed while a request body was being sent. A hub does that to a
    /// request over its body limit, often before its 413 can be read, so the device probes the
    /// hub and, when it answers, takes the push as too large.
    #[error("the hub is not reachable: the connection closed while the request was sent: {0}")]
    Cut(String),
    /// The hub's certificate does not chain to the pinned CA, or its name does not match.
    #[error("the hub's identity could not be verified: {0}")]
    Untrusted(String),
    /// The hub answered with an error (`limit`: its size limit in bytes, on a 413 that says).
    #[error("the hub refused ({status} {kind}): {message}")]
    Hub { status: u16, kind: String, message: String, limit: Option<u64> },
    /// The unit revoked this device.
    #[error("this device was revoked by the unit")]
    Revoked { wipe: bool },
    #[error("this device is not enrolled with a hub; run `fieldscreen device enroll`")]
    NotEnrolled,
    #[error("{0}")]
    Vault(#[from] vault::VaultError),
    #[error("{0}")]
    Invalid(String),
    /// The pass was called off before it finished (the app locked, or Ctrl-C): what the hub
    /// confirmed so far is kept, the rest stays queued.
    #[error("the sync pass was cancelled; the records not confirmed stay queued")]
    Cancelled,
}

impl SyncError {
    /// Worth trying again later: the network, or the hub's own trouble (5xx, 429).
    pub fn is_retryable(&self) -> bool {
        match self {
            SyncError::Unreachable(_) | SyncError::Cut(_) => true,
            SyncError::Hub { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }

    pub fn kind(&self) -> &str {
        match self {
            SyncError::Unreachable(_) | SyncError::Cut(_) => "unreachable",
            SyncError::Untrusted(_) => "untrusted",
            SyncError::Hub { kind, .. } => kind,
            SyncError::Revoked { .. } => "revoked",
            SyncError::NotEnrolled => "not-enrolled",
            SyncError::Vault(e) => e.kind(),
            SyncError::Invalid(_) => "invalid",
            SyncError::Cancelled => "cancelled",
        }
    }
}

/// Signs requests: the device key (through the vault) or the unit key.
pub trait RequestSigner {
    /// The `x-fs-signer` name: a device id, or `unit`.
    fn signer_id(&self) -> String;
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, SyncError>;
}

impl RequestSigner for vault::Vault {
    fn signer_id(&self) -> String {
        self.device_id().to_string()
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, SyncError> {
        Ok(vault::Vault::sign(self, msg)?)
    }
}

/// An Ed25519 key held in memory: the unit key (custodian), or a simulated device.
pub struct KeySigner {
    pub id: String,
    pub pair: Ed25519KeyPair,
}

impl KeySigner {
    /// Reads a key as `fieldscreen keys new` writes it: PKCS#8, base64, one line.
    pub fn from_pkcs8_base64(id: &str, text: &str) -> Result<KeySigner, SyncError> {
        let der =
            B64.decode(text.trim()).map_err(|_| SyncError::Invalid("the signing key is not base64 PKCS#8".into()))?;
        let pair = Ed25519KeyPair::from_pkcs8(&der)
            .map_err(|_| SyncError::Invalid("the signing key is not an Ed25519 PKCS#8 key".into()))?;
        Ok(KeySigner { id: id.into(), pair })
    }

    pub fn public_key(&self) -> String {
        B64.encode(self.pair.public_key().as_ref())
    }
}

impl RequestSigner for KeySigner {
    fn signer_id(&self) -> String {
        self.id.clone()
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, SyncError> {
        Ok(self.pair.sign(msg).as_ref().to_vec())
    }
}

/// A signed request ready to send (it can be signed, then sent after the key is gone).
#[derive(Clone)]
pub struct Prepared {
    method: String,
    path: String,
    body: Vec<u8>,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
}

/// Answers are small JSON or one envelope: read at most this much.
const MAX_ANSWER: u64 = 8 << 20;

/// A 2xx answer: its status, body, and the record headers of a downloaded envelope.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    pub device: Option<String>,
    pub sha256: Option<String>,
}

/// How often a cancellable request looks at its cancel flag while it waits for the hub.
pub const CANCEL_POLL: Duration = Duration::from_millis(20);

#[derive(Clone)]
pub struct HubClient {
    base: String,
    agent: ureq::Agent,
    cancel: Option<Arc<AtomicBool>>,
}

impl Prepared {
    /// A request signed earlier (`signature` in base64 over [`wire::signing_input`] with these
    /// `time` and `nonce`): a wipe report kept across the wipe.
    pub fn presigned(
        method: &str,
        path: &str,
        body: Vec<u8>,
        signer: &str,
        time: i64,
        nonce: &str,
        signature: &str,
    ) -> Prepared {
        Prepared {
            method: method.into(),
            path: path.into(),
            body,
            content_type: "application/json",
            headers: vec![
                (wire::H_SIGNER, signer.into()),
                (wire::H_TIME, time.to_string()),
                (wire::H_NONCE, nonce.into()),
                (wire::H_SIGNATURE, signature.into()),
            ],
        }
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The rustls client side: only the pinned CAs are trusted; TLS 1.3 or 1.2.
pub fn tls_config(ca_pems: &[String]) -> Result<Arc<ClientConfig>, SyncError> {
    let mut roots = RootCertStore::empty();
    for pem in ca_pems {
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| SyncError::Invalid(format!("the CA certificate is not PEM: {e}")))?;
            roots.add(cert).map_err(|e| SyncError::Invalid(format!("the CA certificate is not usable: {e}")))?;
        }
    }
    if roots.is_empty() {
        return Err(SyncError::Invalid("no CA certificate to pin; give the hub's ca.pem".into()));
    }
    let cfg = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| SyncError::Invalid(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

/// A fresh request nonce (128 random bits, hex).
pub fn nonce() -> String {
    let mut b = [0u8; 16];
    let _ = ring::rand::SystemRandom::new().fill(&mut b);
    hex::encode(b)
}

impl HubClient {
    /// A client for `url`: `https://` with at least one pinned CA, or `http://` to loopback.
    pub fn new(url: &str, ca_pems: &[String]) -> Result<HubClient, SyncError> {
        let base = url.trim_end_matches('/').to_string();
        let (scheme, rest) =
            base.split_once("://").ok_or_else(|| SyncError::Invalid(format!("`{url}` is not an http(s) URL")))?;
        let host = rest.split('/').next().unwrap_or("");
        let host = if host.starts_with('[') {
            host.split(']').next().map(|h| format!("{h}]")).unwrap_or_default()
        } else {
            host.split(':').next().unwrap_or("").to_string()
        };
        let builder =
            ureq::builder().timeout_connect(Duration::from_secs(5)).timeout(Duration::from_secs(30)).redirects(0);
        let agent = match scheme {
            "https" => builder.tls_config(tls_config(ca_pems)?).build(),
            "http" if is_loopback(&host) => builder.build(),
            "http" => {
                return Err(SyncError::Invalid(format!(
                    "plain HTTP is only allowed to a loopback address, not `{host}`; use https"
                )))
            }
            other => return Err(SyncError::Invalid(format!("unknown scheme `{other}`"))),
        };
        Ok(HubClient { base, agent, cancel: None })
    }

    /// The same client, whose every request gives up as soon as `flag` is set: the caller gets
    /// [`SyncError::Cancelled`] within [`CANCEL_POLL`] even while the hub hangs. The request is
    /// left to end by its own timeouts on a thread of its own, which holds nothing.
    pub fn cancellable(mut self, flag: Arc<AtomicBool>) -> HubClient {
        self.cancel = Some(flag);
        self
    }

    /// Runs `f` on a copy of this client, waiting for it while the cancel flag stays clear.
    fn interruptible<T: Send + 'static>(
        &self,
        f: impl FnOnce(&HubClient) -> Result<T, SyncError> + Send + 'static,
    ) -> Result<T, SyncError> {
        let Some(flag) = self.cancel.clone() else {
            return f(self);
        };
        if flag.load(Ordering::SeqCst) {
            return Err(SyncError::Cancelled);
        }
        let copy = HubClient { cancel: None, ..self.clone() };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f(&copy));
        });
        loop {
            match rx.recv_timeout(CANCEL_POLL) {
                Ok(r) => return r,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) if flag.load(Ordering::SeqCst) => {
                    return Err(SyncError::Cancelled)
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(SyncError::Unreachable("the request ended without an answer".into()))
                }
            }
        }
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    /// Signs a request now; [`HubClient::execute`] sends it.
    pub fn prepare(
        &self,
        method: &str,
        path: &str,
        body: Vec<u8>,
        signer: &dyn RequestSigner,
    ) -> Result<Prepared, SyncError> {
        let id = signer.signer_id();
        let time = chrono::Utc::now().timestamp();
        let n = nonce();
        let sig = signer.sign(&wire::signing_input(method, path, &id, time, &n, &body))?;
        Ok(Prepared {
            method: method.into(),
            path: path.into(),
            body,
            content_type: "application/json",
            headers: vec![
                (wire::H_SIGNER, id),
                (wire::H_TIME, time.to_string()),
                (wire::H_NONCE, n),
                (wire::H_SIGNATURE, B64.encode(sig)),
            ],
        })
    }

    /// Sends a request; a 2xx answer gives its body and headers we care about. A cancellable
    /// client gives up on its cancel flag.
    pub fn execute(&self, p: &Prepared) -> Result<Answer, SyncError> {
        if self.cancel.is_none() {
            return self.execute_now(p);
        }
        let p = p.clone();
        self.interruptible(move |c| c.execute_now(&p))
    }

    fn execute_now(&self, p: &Prepared) -> Result<Answer, SyncError> {
        let mut req = self.agent.request(&p.method, &format!("{}{}", self.base, p.path));
        for (k, v) in &p.headers {
            req = req.set(k, v);
        }
        let res = if p.body.is_empty() && p.method == "GET" {
            req.call()
        } else {
            req.set("content-type", p.content_type).send_bytes(&p.body)
        };
        match res {
            Ok(r) => {
                let status = r.status();
                let device = r.header(wire::H_DEVICE).map(str::to_string);
                let sha256 = r.header(wire::H_SHA256).map(str::to_string);
                let mut body = Vec::new();
                std::io::Read::read_to_end(&mut std::io::Read::take(r.into_reader(), MAX_ANSWER), &mut body)
                    .map_err(|e| SyncError::Unreachable(format!("reading the answer: {e}")))?;
                Ok(Answer { status, body, device, sha256 })
            }
            Err(ureq::Error::Status(status, r)) => {
                let text = r.into_string().unwrap_or_default();
                let e: ErrorBody = serde_json::from_str(&text).unwrap_or(ErrorBody {
                    kind: "http".into(),
                    message: text.chars().take(200).collect(),
                    wipe: None,
                });
                // A hub that states its size limit on a 413 (`limit`, bytes) is taken at its word.
                let limit = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v.get("limit").and_then(|l| l.as_u64()));
                if status == 403 && e.kind == "revoked" {
                    return Err(SyncError::Revoked { wipe: e.wipe.unwrap_or(true) });
                }
                Err(SyncError::Hub { status, kind: e.kind, message: e.message, limit })
            }
            Err(ureq::Error::Transport(t)) => {
                let msg = t.to_string();
                let io =
                    std::error::Error::source(&t).and_then(|s| s.downcast_ref::<std::io::Error>()).map(|e| e.kind());
                if msg.contains("certificate")
                    || msg.contains("CertificateUnknown")
                    || msg.contains("NotValidForName")
                    || msg.contains("UnknownIssuer")
                {
                    Err(SyncError::Untrusted(msg))
                } else if !p.body.is_empty()
                    && matches!(
                        io,
                        Some(
                            std::io::ErrorKind::BrokenPipe
                                | std::io::ErrorKind::ConnectionReset
                                | std::io::ErrorKind::ConnectionAborted
                        )
                    )
                {
                    Err(SyncError::Cut(msg))
                } else {
                    Err(SyncError::Unreachable(msg))
                }
            }
        }
    }

    fn call(&self, method: &str, path: &str, body: Vec<u8>, signer: &dyn RequestSigner) -> Result<Vec<u8>, SyncError> {
        let p = self.prepare(method, path, body, signer)?;
        Ok(self.execute(&p)?.body)
    }

    fn json<T: for<'de> serde::Deserialize<'de>>(bytes: &[u8]) -> Result<T, SyncError> {
        serde_json::from_slice(bytes).map_err(|e| SyncError::Invalid(format!("the hub's answer is not valid: {e}")))
    }

    /// Reachability: the hub answers `/health` over the pinned TLS within a few seconds.
    pub fn probe(&self) -> Result<(), SyncError> {
        if self.cancel.is_some() {
            return self.interruptible(|c| c.probe());
        }
        match self.agent.get(&format!("{}/health", self.base)).timeout(Duration::from_secs(3)).call() {
            Ok(_) => Ok(()),
            Err(ureq::Error::Status(s, _)) => Err(SyncError::Hub {
                status: s,
                kind: "http".into(),
                message: "the health check failed".into(),
                limit: None,
            }),
            Err(ureq::Error::Transport(t)) => {
                let msg = t.to_string();
                Err(if msg.contains("certificate") { SyncError::Untrusted(msg) } else { SyncError::Unreachable(msg) })
            }
        }
    }

    pub fn enroll(&self, req: &EnrollRequest) -> Result<EnrollResponse, SyncError> {
        let body = serde_json::to_vec(req).map_err(|e| SyncError::Invalid(e.to_string()))?;
        let p = Prepared {
            method: "POST".into(),
            path: "/v1/enroll".into(),
            body,
            content_type: "application/json",
            headers: vec![],
        };
        Self::json(&self.execute(&p)?.body)
    }

    pub fn push(&self, signer: &dyn RequestSigner, records: Vec<PushItem>) -> Result<PushResponse, SyncError> {
        let body = serde_json::to_vec(&PushRequest { records }).map_err(|e| SyncError::Invalid(e.to_string()))?;
        Self::json(&self.call("POST", "/v1/records", body, signer)?)
    }

    /// One record as its raw envelope (`PUT /v1/records/{id}`): a third smaller than in a push,
    /// which carries it in base64. A conflict is `Hub { status: 409, .. }`.
    pub fn put_record(&self, signer: &dyn RequestSigner, id: &str, envelope: Vec<u8>) -> Result<ItemResult, SyncError> {
        wire::check_id("record id", id).map_err(|e| SyncError::Invalid(e.to_string()))?;
        let mut p = self.prepare("PUT", &format!("/v1/records/{id}"), envelope, signer)?;
        p.content_type = "application/octet-stream";
        Self::json(&self.execute(&p)?.body)
    }

    /// The unit configuration the hub holds; `None` before the first publication.
    pub fn unit(&self, signer: &dyn RequestSigner) -> Result<Option<SignedUnit>, SyncError> {
        match self.call("GET", "/v1/unit", Vec::new(), signer) {
            Ok(b) => Self::json(&b).map(Some),
            Err(SyncError::Hub { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn publish_unit(&self, signer: &dyn RequestSigner, u: &SignedUnit) -> Result<(), SyncError> {
        let body = serde_json::to_vec(u).map_err(|e| SyncError::Invalid(e.to_string()))?;
        self.call("PUT", "/v1/unit", body, signer).map(|_| ())
    }

    pub fn list(&self, signer: &dyn RequestSigner, after: i64, limit: i64) -> Result<RecordList, SyncError> {
        Self::json(&self.call("GET", &format!("/v1/records?after={after}&limit={limit}"), Vec::new(), signer)?)
    }

    /// A stored envelope with the device id and hash the hub recorded for it.
    pub fn envelope(&self, signer: &dyn RequestSigner, id: &str) -> Result<(Vec<u8>, String, String), SyncError> {
        wire::check_id("record id", id).map_err(|e| SyncError::Invalid(e.to_string()))?;
        let p = self.prepare("GET", &format!("/v1/records/{id}"), Vec::new(), signer)?;
        let a = self.execute(&p)?;
        Ok((a.body, a.device.unwrap_or_default(), a.sha256.unwrap_or_default()))
    }

    /// The device's own standing with the hub (a revoked device gets `Revoked`).
    pub fn status(&self, signer: &dyn RequestSigner) -> Result<wire::DeviceStatus, SyncError> {
        Self::json(&self.call("GET", "/v1/status", Vec::new(), signer)?)
    }

    pub fn devices(&self, signer: &dyn RequestSigner) -> Result<Vec<DeviceInfo>, SyncError> {
        Self::json(&self.call("GET", "/v1/devices", Vec::new(), signer)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nw_01_plain_http_only_to_loopback() {
        for ok in ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9"] {
            HubClient::new(ok, &[]).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in ["http://10.0.0.1:80", "http://hub.example.org", "ftp://127.0.0.1"] {
            assert!(HubClient::new(bad, &[]).is_err(), "{bad}");
        }
        let e = HubClient::new("https://hub.example.org", &[]).err().unwrap().to_string();
        assert!(e.contains("CA"), "{e}");
    }
}
