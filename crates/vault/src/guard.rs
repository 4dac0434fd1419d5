//! The unlock policy: secret rules, exponential delay after a failure, lockout, optional
//! crypto-wipe. The failure counter lives beside the key file, authenticated with an HMAC so
//! that editing it is noticed, and it remembers the latest time it saw so that setting the clock
//! back does not shorten a delay or a lockout.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use ring::hmac;
use serde::{Deserialize, Serialize};

use crate::VaultError;

pub const GUARD_FILE: &str = "unlock-guard.json";

/// Agency rules for the officer's secret and for failed unlocks.
#[derive(Debug, Clone, PartialEq)]
pub struct UnlockPolicy {
    /// CJIS: a passphrase that unlocks at-rest encryption has at least 10 characters.
    pub min_length: usize,
    /// Failures before a lockout.
    pub max_failures: u32,
    pub lockout: Duration,
    /// First delay after a failure; it doubles with each further failure.
    pub base_delay: Duration,
    /// Destroy the data key after this many failures, if set.
    pub wipe_after: Option<u32>,
    /// Secrets that are refused whatever their length (compared case-insensitively).
    pub blocklist: Vec<String>,
}

/// Common secrets that pass a length rule; the agency policy can add its own.
const BLOCKLIST: &[&str] = &[
    "1234567890",
    "12345678910",
    "0123456789",
    "0987654321",
    "1111111111",
    "0000000000",
    "password123",
    "password1234",
    "password12",
    "passw0rd123",
    "qwertyuiop",
    "qwerty12345",
    "qwerty123456",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "iloveyou123",
    "abcdefghij",
    "abc1234567",
    "letmein123",
    "welcome123",
    "administrator",
    "changeme123",
    "trustno1234",
    "football123",
    "baseball123",
    "princess123",
    "sunshine123",
    "superman123",
    "monkey12345",
    "dragon12345",
    "michael123",
    "basketball",
    "starwars123",
    "whatever123",
    "police1234",
    "officer123",
    "fieldscreen",
    "fieldscreen1",
    "fieldscreen123",
];

impl Default for UnlockPolicy {
    fn default() -> Self {
        UnlockPolicy {
            min_length: 10,
            max_failures: 5,
            lockout: Duration::minutes(10),
            base_delay: Duration::seconds(1),
            wipe_after: None,
            blocklist: Vec::new(),
        }
    }
}

impl From<&screening::resources::UnlockRules> for UnlockPolicy {
    fn from(r: &screening::resources::UnlockRules) -> Self {
        UnlockPolicy {
            min_length: r.min_length as usize,
            max_failures: r.max_failures,
            lockout: Duration::minutes(r.lockout_minutes as i64),
            base_delay: Duration::seconds(r.base_delay_seconds as i64),
            wipe_after: r.wipe_after_failures,
            blocklist: r.blocklist.clone(),
        }
    }
}

impl UnlockPolicy {
    /// Checks a new secret against the policy; the error says which rule it breaks.
    pub fn check_secret(&self, secret: &str) -> Result<(), VaultError> {
        let n = secret.chars().count();
        if n < self.min_length {
            return Err(VaultError::Policy(format!(
                "the secret has {n} characters; the policy needs at least {}",
                self.min_length
            )));
        }
        let lower = secret.trim().to_lowercase();
        if BLOCKLIST
            .iter()
            .map(|s| s.to_string())
            .chain(self.blocklist.iter().map(|s| s.to_lowercase()))
            .any(|b| b == lower)
        {
            return Err(VaultError::Policy("the secret is on the list of common secrets; choose another".into()));
        }
        if secret.chars().all(|c| c == secret.chars().next().unwrap_or(' ')) {
            return Err(VaultError::Policy("the secret repeats one character".into()));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct GuardState {
    pub failures: u32,
    /// No attempt is taken before this time (delay or lockout).
    pub not_before: Option<DateTime<Utc>>,
    pub locked_out: bool,
    /// The latest time this state has seen; time never runs backwards for the guard.
    pub last_seen: Option<DateTime<Utc>>,
}

#[derive(Serialize, Deserialize)]
struct GuardFile {
    state: GuardState,
    mac: String,
}

/// The result of asking whether an attempt may be made now.
#[derive(Debug, Clone, PartialEq)]
pub enum Gate {
    Open,
    /// Wait this long; `locked_out` tells a lockout from a delay.
    Wait {
        remaining: Duration,
        locked_out: bool,
    },
}

fn encoding(e: serde_json::Error) -> VaultError {
    VaultError::Invalid(format!("encoding the unlock guard: {e}"))
}

fn mac_of(key: &[u8], state: &GuardState) -> Result<String, VaultError> {
    let k = hmac::Key::new(hmac::HMAC_SHA256, key);
    let body = serde_json::to_vec(state).map_err(encoding)?;
    Ok(hex::encode(hmac::sign(&k, &body).as_ref()))
}

pub struct Guard<'a> {
    dir: &'a Path,
    key: &'a [u8],
    policy: &'a UnlockPolicy,
}

impl<'a> Guard<'a> {
    pub fn new(dir: &'a Path, key: &'a [u8], policy: &'a UnlockPolicy) -> Self {
        Guard { dir, key, policy }
    }

    /// The stored state. A missing file is a fresh start; a file whose MAC does not check out
    /// counts as a lockout (editing the counter must never help).
    pub fn load(&self, now: DateTime<Utc>) -> Result<GuardState, VaultError> {
        let path = self.dir.join(GUARD_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(GuardState::default()),
            Err(e) => return Err(VaultError::io("cannot read", &path, e)),
        };
        let tampered = || GuardState {
            failures: self.policy.max_failures,
            not_before: Some(now + self.policy.lockout),
            locked_out: true,
            last_seen: Some(now),
        };
        let Ok(f) = serde_json::from_str::<GuardFile>(&text) else { return Ok(tampered()) };
        let body = serde_json::to_vec(&f.state).map_err(encoding)?;
        let tag = hex::decode(&f.mac).unwrap_or_default();
        if hmac::verify(&hmac::Key::new(hmac::HMAC_SHA256, self.key), &body, &tag).is_err() {
            return Ok(tampered());
        }
        Ok(f.state)
    }

    pub fn save(&self, state: &GuardState) -> Result<(), VaultError> {
        let f = GuardFile { state: state.clone(), mac: mac_of(self.key, state)? };
        let bytes = serde_json::to_vec_pretty(&f).map_err(encoding)?;
        Ok(durable::write_atomic(&self.dir.join(GUARD_FILE), &bytes)?)
    }

    /// The time the guard reckons with: never earlier than a time it has already seen.
    fn effective_now(state: &GuardState, now: DateTime<Utc>) -> DateTime<Utc> {
        state.last_seen.map_or(now, |seen| seen.max(now))
    }

    pub fn gate(&self, state: &GuardState, now: DateTime<Utc>) -> Gate {
        let now = Self::effective_now(state, now);
        match state.not_before {
            Some(t) if t > now => Gate::Wait { remaining: t - now, locked_out: state.locked_out },
            _ => Gate::Open,
        }
    }

    /// Records a failed attempt; returns the new state (already saved).
    pub fn fail(&self, mut state: GuardState, now: DateTime<Utc>) -> Result<GuardState, VaultError> {
        let now = Self::effective_now(&state, now);
        state.failures += 1;
        state.last_seen = Some(now);
        if state.failures >= self.policy.max_failures {
            state.locked_out = true;
            state.not_before = Some(now + self.policy.lockout);
        } else {
            let factor = 1i32 << (state.failures - 1).min(16);
            state.not_before = Some(now + self.policy.base_delay * factor);
        }
        self.save(&state)?;
        Ok(state)
    }

    /// Records a success: the counter starts again.
    pub fn succeed(&self, state: GuardState, now: DateTime<Utc>) -> Result<(), VaultError> {
        let now = Self::effective_now(&state, now);
        self.save(&GuardState { failures: 0, not_before: None, locked_out: false, last_seen: Some(now) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn secret_rules_name_the_rule() {
        let p = UnlockPolicy { blocklist: vec!["Precinct-Twelve".into()], ..Default::default() };
        assert!(p.check_secret("short").unwrap_err().to_string().contains("at least 10"));
        assert!(p.check_secret("Password123").unwrap_err().to_string().contains("common secrets"));
        assert!(p.check_secret("precinct-twelve").unwrap_err().to_string().contains("common secrets"));
        assert!(p.check_secret("aaaaaaaaaaaa").unwrap_err().to_string().contains("repeats"));
        p.check_secret("river lantern copper").unwrap();
    }

    #[test]
    fn delays_double_then_lock_out_and_survive_a_clock_set_back() {
        let dir = tempfile::tempdir().unwrap();
        let policy = UnlockPolicy::default();
        let g = Guard::new(dir.path(), b"k", &policy);
        let mut s = g.load(t(0)).unwrap();
        s = g.fail(s, t(0)).unwrap();
        assert_eq!(g.gate(&s, t(0)), Gate::Wait { remaining: Duration::seconds(1), locked_out: false });
        s = g.fail(s, t(1)).unwrap();
        assert_eq!(g.gate(&s, t(1)), Gate::Wait { remaining: Duration::seconds(2), locked_out: false });
        for i in 2..5 {
            s = g.fail(s, t(100 * i)).unwrap();
        }
        assert!(s.locked_out);
        // A restart reads the same state back.
        let s = g.load(t(400)).unwrap();
        assert_eq!(g.gate(&s, t(400)), Gate::Wait { remaining: Duration::minutes(10), locked_out: true });
        // Setting the clock back an hour does not shorten the lockout.
        assert_eq!(g.gate(&s, t(400 - 3600)), Gate::Wait { remaining: Duration::minutes(10), locked_out: true });
        assert_eq!(g.gate(&s, t(400 + 600)), Gate::Open);
    }

    #[test]
    fn an_edited_counter_counts_as_a_lockout() {
        let dir = tempfile::tempdir().unwrap();
        let policy = UnlockPolicy::default();
        let g = Guard::new(dir.path(), b"k", &policy);
        let s = g.fail(GuardState::default(), t(0)).unwrap();
        let path = dir.path().join(GUARD_FILE);
        let text = std::fs::read_to_string(&path).unwrap().replace("\"failures\": 1", "\"failures\": 0");
        std::fs::write(&path, text).unwrap();
        let back = g.load(t(10)).unwrap();
        assert!(back.locked_out && back.failures >= s.failures);
        std::fs::write(&path, "garbage").unwrap();
        assert!(g.load(t(10)).unwrap().locked_out);
    }
}
