//! The key hierarchy. A random 256-bit data key (DEK) is the SQLCipher raw key; it is stored only
//! wrapped: AES-256-GCM under a key derived from the officer's secret (PBKDF2-HMAC-SHA256), and
//! optionally sealed to the unit custodian's age recipient for recovery. The key file says which
//! algorithms and parameters made each wrap, and is replaced crash-atomically.

use std::io::Write;
use std::num::NonZeroU32;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::VaultError;

pub const KEY_FILE: &str = "key.json";
pub const KEY_FILE_VERSION: u32 = 1;
/// OWASP's floor for PBKDF2-HMAC-SHA256 where FIPS algorithms are required.
pub const MIN_ITERATIONS: u32 = 600_000;
const KDF_ALG: &str = "pbkdf2-hmac-sha256";
const WRAP_ALG: &str = "aes-256-gcm";
const AAD: &[u8] = b"fieldscreen dek wrap v1";

/// The data key. Zeroed when dropped.
#[derive(Clone, Zeroize)]
#[zeroize(drop)]
pub struct Dek(pub(crate) [u8; 32]);

impl Dek {
    pub fn generate() -> Result<Dek, VaultError> {
        let mut k = [0u8; 32];
        SystemRandom::new().fill(&mut k).map_err(|_| VaultError::crypto("the system random source failed"))?;
        Ok(Dek(k))
    }

    /// The SQLCipher raw-key literal, `x'<64 hex>'`.
    pub(crate) fn sqlcipher_literal(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", hex::encode(self.0)))
    }

    pub fn hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KdfParams {
    pub alg: String,
    pub iterations: u32,
    /// Base64 of a per-device random salt (16 bytes).
    pub salt: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SecretWrap {
    pub alg: String,
    pub kdf: KdfParams,
    /// Base64 of the 12-byte nonce.
    pub nonce: String,
    /// Base64 of the wrapped DEK and its tag.
    pub ciphertext: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecoveryWrap {
    /// The custodian's age recipient (`age1...`).
    pub recipient: String,
    /// The DEK sealed to it, ASCII-armored age.
    pub age: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KeyFile {
    pub version: u32,
    pub device_id: String,
    pub officer_id: String,
    pub created: String,
    pub secret: SecretWrap,
    pub recovery: Option<RecoveryWrap>,
    /// Base64 of the key that authenticates the failed-unlock counter (see `guard`).
    pub guard_key: String,
}

fn random<const N: usize>() -> Result<[u8; N], VaultError> {
    let mut b = [0u8; N];
    SystemRandom::new().fill(&mut b).map_err(|_| VaultError::crypto("the system random source failed"))?;
    Ok(b)
}

fn derive(secret: &str, kdf: &KdfParams) -> Result<Zeroizing<[u8; 32]>, VaultError> {
    if kdf.alg != KDF_ALG {
        return Err(VaultError::KeyFile(format!("unknown key derivation `{}`", kdf.alg)));
    }
    let iterations = NonZeroU32::new(kdf.iterations).ok_or_else(|| VaultError::KeyFile("zero iterations".into()))?;
    let salt = B64.decode(&kdf.salt).map_err(|_| VaultError::KeyFile("salt is not base64".into()))?;
    let mut out = Zeroizing::new([0u8; 32]);
    ring::pbkdf2::derive(ring::pbkdf2::PBKDF2_HMAC_SHA256, iterations, &salt, secret.as_bytes(), out.as_mut());
    Ok(out)
}

fn gcm_key(kek: &[u8; 32]) -> Result<LessSafeKey, VaultError> {
    Ok(LessSafeKey::new(UnboundKey::new(&AES_256_GCM, kek).map_err(|_| VaultError::crypto("bad key length"))?))
}

impl SecretWrap {
    /// Wraps the DEK under a key derived from `secret`, with a fresh salt and nonce.
    pub fn new(dek: &Dek, secret: &str, iterations: u32) -> Result<SecretWrap, VaultError> {
        let kdf = KdfParams { alg: KDF_ALG.into(), iterations, salt: B64.encode(random::<16>()?) };
        let kek = derive(secret, &kdf)?;
        let nonce = random::<NONCE_LEN>()?;
        let mut buf = dek.0.to_vec();
        gcm_key(&kek)?
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(AAD), &mut buf)
            .map_err(|_| VaultError::crypto("wrapping the data key failed"))?;
        let wrap = SecretWrap { alg: WRAP_ALG.into(), kdf, nonce: B64.encode(nonce), ciphertext: B64.encode(&buf) };
        buf.zeroize();
        Ok(wrap)
    }

    /// Unwraps the DEK; `None` when the secret is wrong (or the wrap was altered).
    pub fn open(&self, secret: &str) -> Result<Option<Dek>, VaultError> {
        if self.alg != WRAP_ALG {
            return Err(VaultError::KeyFile(format!("unknown wrap algorithm `{}`", self.alg)));
        }
        let kek = derive(secret, &self.kdf)?;
        let nonce: [u8; NONCE_LEN] = B64
            .decode(&self.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or_else(|| VaultError::KeyFile("nonce is malformed".into()))?;
        let mut buf =
            Zeroizing::new(B64.decode(&self.ciphertext).map_err(|_| VaultError::KeyFile("wrap is not base64".into()))?);
        let key = gcm_key(&kek)?;
        match key.open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(AAD), &mut buf) {
            Ok(plain) if plain.len() == 32 => {
                let mut k = [0u8; 32];
                k.copy_from_slice(plain);
                Ok(Some(Dek(k)))
            }
            Ok(_) => Err(VaultError::KeyFile("wrapped key has the wrong length".into())),
            Err(_) => Ok(None),
        }
    }
}

impl RecoveryWrap {
    /// Seals the DEK to a custodian's age recipient.
    pub fn new(dek: &Dek, recipient: &str) -> Result<RecoveryWrap, VaultError> {
        let r: age::x25519::Recipient =
            recipient.parse().map_err(|e| VaultError::Policy(format!("`{recipient}` is not an age recipient: {e}")))?;
        let encryptor = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient))
            .map_err(|e| VaultError::crypto_from("age: ", e))?;
        let mut out = Vec::new();
        let armor = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
            .map_err(|e| VaultError::crypto_from("age: ", e))?;
        let mut w = encryptor.wrap_output(armor).map_err(|e| VaultError::crypto_from("age: ", e))?;
        w.write_all(&dek.0).map_err(|e| VaultError::crypto_from("age: ", e))?;
        w.finish().and_then(|a| a.finish()).map_err(|e| VaultError::crypto_from("age: ", e))?;
        Ok(RecoveryWrap { recipient: recipient.to_string(), age: String::from_utf8_lossy(&out).into_owned() })
    }
}

impl KeyFile {
    pub fn new(
        dek: &Dek,
        secret: &str,
        officer_id: &str,
        iterations: u32,
        recovery: Option<&str>,
        now: &str,
    ) -> Result<KeyFile, VaultError> {
        Ok(KeyFile {
            version: KEY_FILE_VERSION,
            device_id: crate::random_id()?,
            officer_id: officer_id.to_string(),
            created: now.to_string(),
            secret: SecretWrap::new(dek, secret, iterations)?,
            recovery: recovery.map(|r| RecoveryWrap::new(dek, r)).transpose()?,
            guard_key: B64.encode(random::<32>()?),
        })
    }

    pub fn read(dir: &Path) -> Result<KeyFile, VaultError> {
        let path = dir.join(KEY_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => VaultError::NotInitialized(dir.display().to_string()),
            _ => VaultError::io("cannot read", &path, e),
        })?;
        let kf: KeyFile =
            serde_json::from_str(&text).map_err(|e| VaultError::KeyFile(format!("{}: {e}", path.display())))?;
        if kf.version != KEY_FILE_VERSION {
            return Err(VaultError::KeyFile(format!("key file version {} is not supported", kf.version)));
        }
        Ok(kf)
    }

    pub fn guard_key(&self) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        Ok(Zeroizing::new(
            B64.decode(&self.guard_key).map_err(|_| VaultError::KeyFile("guard key is not base64".into()))?,
        ))
    }

    /// Replaces the key file crash-atomically.
    pub fn write(&self, dir: &Path) -> Result<(), VaultError> {
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| VaultError::KeyFile(e.to_string()))?;
        Ok(durable::write_atomic(&dir.join(KEY_FILE), &bytes)?)
    }
}

pub use durable::Step;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_round_trip_and_wrong_secret() {
        let dek = Dek::generate().unwrap();
        let w = SecretWrap::new(&dek, "correct horse battery", 1000).unwrap();
        assert_eq!(w.open("correct horse battery").unwrap().unwrap().0, dek.0);
        assert!(w.open("wrong horse battery").unwrap().is_none());
        let mut altered = w.clone();
        altered.kdf.iterations += 1;
        assert!(altered.open("correct horse battery").unwrap().is_none(), "parameters are bound to the wrap");
        let w2 = SecretWrap::new(&dek, "correct horse battery", 1000).unwrap();
        assert_ne!(w.kdf.salt, w2.kdf.salt);
        assert_ne!(w.ciphertext, w2.ciphertext);
    }

    #[test]
    fn recovery_wrap_opens_with_the_custodian_identity() {
        let id = age::x25519::Identity::generate();
        let dek = Dek::generate().unwrap();
        let r = RecoveryWrap::new(&dek, &id.to_public().to_string()).unwrap();
        assert!(r.age.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
        let dec = age::Decryptor::new(age::armor::ArmoredReader::new(r.age.as_bytes())).unwrap();
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut dec.decrypt(std::iter::once(&id as &dyn age::Identity)).unwrap(), &mut plain)
            .unwrap();
        assert_eq!(plain, dek.0);
        assert!(RecoveryWrap::new(&dek, "age1notarecipient").is_err());
    }
}
