//! TLS for the hub: rustls with the `ring` provider, TLS 1.3 and 1.2 with AEAD suites only
//! (rustls offers nothing older or weaker). `init` makes a unit CA and a server certificate it
//! signs; devices pin the CA, so the system's roots never count.

use std::path::Path;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A CA that issues the hub's server certificates.
pub struct Authority {
    pub cert: rcgen::Certificate,
    pub key: KeyPair,
}

/// A certificate and its private key, PEM.
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
}

fn err(e: rcgen::Error) -> anyhow::Error {
    anyhow::anyhow!("certificate: {e}")
}

/// The name of the CA `fieldscreen-hub init` makes.
pub const UNIT_CA: &str = "Fieldscreen unit hub CA";

impl Authority {
    pub fn new(name: &str) -> anyhow::Result<Authority> {
        Authority::with_key(name, KeyPair::generate().map_err(err)?)
    }

    /// The CA named `name` whose key is `key_pem` (`tls/ca.key`): the same subject and key as the
    /// certificate made with it, so what it issues chains to the `tls/ca.pem` devices pin.
    pub fn from_key(name: &str, key_pem: &str) -> anyhow::Result<Authority> {
        Authority::with_key(name, KeyPair::from_pem(key_pem).map_err(err)?)
    }

    fn with_key(name: &str, key: KeyPair) -> anyhow::Result<Authority> {
        let mut p = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        p.distinguished_name.push(DnType::CommonName, name);
        p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        p.not_before = rcgen::date_time_ymd(2024, 1, 1);
        p.not_after = rcgen::date_time_ymd(2044, 1, 1);
        let cert = p.self_signed(&key).map_err(err)?;
        Ok(Authority { cert, key })
    }

    pub fn cert_pem(&self) -> String {
        self.cert.pem()
    }

    /// A server certificate for these names (DNS names or IP addresses), valid between the two
    /// dates given as (year, month, day).
    pub fn issue(&self, names: &[String], from: (i32, u8, u8), until: (i32, u8, u8)) -> anyhow::Result<Issued> {
        let mut p = CertificateParams::new(names.to_vec()).map_err(err)?;
        p.distinguished_name.push(DnType::CommonName, names.first().map(String::as_str).unwrap_or("fieldscreen-hub"));
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        p.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
        p.not_after = rcgen::date_time_ymd(until.0, until.1, until.2);
        let key = KeyPair::generate().map_err(err)?;
        let cert = p.signed_by(&key, &self.cert, &self.key).map_err(err)?;
        Ok(Issued { cert_pem: cert.pem(), key_pem: key.serialize_pem() })
    }
}

/// The SHA-256 fingerprint of the first certificate in the PEM file `ca`, as
/// [`sync::wire::fingerprint`] writes it.
pub fn ca_fingerprint(ca: &Path) -> anyhow::Result<String> {
    let first = CertificateDer::pem_file_iter(ca)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", ca.display()))?
        .next()
        .ok_or_else(|| anyhow::anyhow!("{} holds no certificate", ca.display()))?
        .map_err(|e| anyhow::anyhow!("{}: {e}", ca.display()))?;
    Ok(sync::wire::fingerprint(first.as_ref()))
}

/// The server side: certificate chain and key from PEM files.
///
/// The unit CA's certificate (`ca`) is sent after the server's own unless the chain already has
/// it: a device enrolling from the CA's fingerprint finds it there, checks the fingerprint and
/// that the server's certificate is issued by it, and only then pins it.
pub fn server_config(cert: &Path, key: &Path, ca: &Path) -> anyhow::Result<Arc<ServerConfig>> {
    let read = |p: &Path| -> anyhow::Result<Vec<CertificateDer<'static>>> {
        CertificateDer::pem_file_iter(p)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", p.display()))?
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
    };
    let mut chain = read(cert)?;
    if chain.is_empty() {
        anyhow::bail!("{} holds no certificate", cert.display());
    }
    for c in read(ca)? {
        if !chain.contains(&c) {
            chain.push(c);
        }
    }
    let key =
        PrivateKeyDer::from_pem_file(key).map_err(|e| anyhow::anyhow!("reading the key {}: {e}", key.display()))?;
    let mut cfg = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}
