//! What the hub admin does on the hub's own machine: one-time enrollment codes, revocation,
//! counts per device. These act on the storage directly, not over HTTP.

use ring::rand::{SecureRandom, SystemRandom};

use crate::store::{NewCode, Store, StoreError};

/// Crockford's base32: no I, L, O or U to misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// How a code is compared: upper case, without separators.
pub fn normalize_code(code: &str) -> String {
    code.chars().filter(|c| !matches!(c, '-' | ' ')).flat_map(char::to_uppercase).collect()
}

pub fn code_hash(code: &str) -> String {
    sync::wire::sha256_hex(normalize_code(code).as_bytes())
}

/// A fresh one-time code (100 random bits, as XXXXX-XXXXX-XXXXX-XXXXX), stored only hashed,
/// with the officer id it is for when one is given (a hub that keeps officer ids); `None` (or
/// a hub that keeps none) stores no officer id.
pub async fn new_code<'a>(
    store: &Store,
    officer: impl Into<Option<&'a str>>,
    ttl_hours: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, StoreError> {
    let officer = officer.into();
    if officer.is_some_and(|o| o.trim().is_empty() || o.len() > 64 || o.chars().any(char::is_control)) {
        return Err(StoreError::Refused("an officer id is 1 to 64 printable characters".into()));
    }
    let mut bytes = [0u8; 20];
    SystemRandom::new().fill(&mut bytes).map_err(|_| StoreError::Backend("the system random source failed".into()))?;
    let chars: Vec<char> = bytes.iter().map(|b| ALPHABET[(b & 31) as usize] as char).collect();
    let code = chars.chunks(5).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-");
    let expires = now + chrono::Duration::hours(ttl_hours);
    let (hash, now, expires) = (code_hash(&code), crate::stamp(now), crate::stamp(expires));
    store.add_code(&NewCode { code_hash: &hash, officer, now: &now, expires: &expires }).await?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_compare_without_case_or_separators() {
        assert_eq!(code_hash("abcde-12345"), code_hash("ABCDE12345"));
        assert_eq!(code_hash(" ab cd "), code_hash("ABCD"));
        assert_ne!(code_hash("ABCDE"), code_hash("ABCDF"));
    }
}
