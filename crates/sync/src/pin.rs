//! Enrolling from the unit CA's fingerprint, without a CA file (NW-01, NW-02): the officer
//! types the fingerprint the unit gave with the one-time code (`fieldscreen-hub enroll` prints
//! it). The device accepts the hub only when the chain it presents holds a certificate with
//! exactly that SHA-256 fingerprint, and the hub's own certificate is issued by that certificate
//! for the host in the URL and within its validity (the same webpki check as every later
//! connection). Only then is that certificate kept as the pin. No connection is accepted
//! unchecked: this verifier differs from the pinned one only in where its one trust anchor
//! comes from.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::client::SyncError;
use crate::wire;

/// Trusts only a presented certificate whose fingerprint is `want`, as the CA of the rest.
#[derive(Debug)]
struct FingerprintPin {
    want: [u8; 32],
    provider: Arc<rustls::crypto::CryptoProvider>,
    /// The certificate that matched, once a handshake passed.
    found: Mutex<Option<CertificateDer<'static>>>,
}

impl ServerCertVerifier for FingerprintPin {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let sha = |c: &CertificateDer<'_>| ring::digest::digest(&ring::digest::SHA256, c.as_ref());
        let ca = intermediates.iter().find(|c| sha(c).as_ref() == self.want).ok_or_else(|| {
            rustls::Error::General(
                "no certificate the hub presents has the CA fingerprint given: check it with the unit".into(),
            )
        })?;
        let mut roots = RootCertStore::empty();
        roots.add(ca.clone().into_owned())?;
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
            .build()
            .map_err(|e| rustls::Error::General(e.to_string()))?;
        let others: Vec<CertificateDer<'_>> = intermediates.iter().filter(|c| *c != ca).cloned().collect();
        let ok = webpki.verify_server_cert(end_entity, &others, name, ocsp, now)?;
        *self.found.lock().unwrap_or_else(|p| p.into_inner()) = Some(ca.clone().into_owned());
        Ok(ok)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// Connects to the hub at `url` (https) trusting only a CA with this fingerprint, and returns
/// that CA's certificate as PEM, for [`crate::device::enroll`] to pin.
pub fn ca_from_fingerprint(url: &str, fingerprint: &str) -> Result<String, SyncError> {
    let want = wire::parse_fingerprint(fingerprint).map_err(|e| SyncError::Invalid(e.to_string()))?;
    let base = url.trim().trim_end_matches('/');
    if !base.starts_with("https://") {
        return Err(SyncError::Invalid(format!(
            "`{url}` is not an https URL: enrolling from a CA fingerprint needs the hub's TLS address"
        )));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let pin = Arc::new(FingerprintPin { want, provider: provider.clone(), found: Mutex::new(None) });
    let cfg = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| SyncError::Invalid(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(pin.clone())
        .with_no_client_auth();
    let agent = ureq::builder()
        .timeout_connect(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .redirects(0)
        .tls_config(Arc::new(cfg))
        .build();
    match agent.get(&format!("{base}/health")).call() {
        Ok(_) | Err(ureq::Error::Status(..)) => {}
        Err(ureq::Error::Transport(t)) => {
            let m = t.to_string();
            return Err(if m.contains("fingerprint") || m.contains("certificate") || m.contains("Certificate") {
                SyncError::Untrusted(m)
            } else {
                SyncError::Unreachable(m)
            });
        }
    }
    let ca = pin.found.lock().unwrap_or_else(|p| p.into_inner()).take();
    let ca = ca.ok_or_else(|| SyncError::Untrusted("the hub's certificate was not checked".into()))?;
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(ca.as_ref());
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
    Ok(format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", lines.join("\n")))
}
