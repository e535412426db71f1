//! Connect-time and REST authentication: HS256 JWTs whose `sub` is the
//! user's auth key, signed with a per-server secret kept in a 0600 key file.

use std::{
    io::Write,
    path::{Path, PathBuf},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The claims the server reads: `sub` (auth key) and `exp`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: u64,
    pub iat: u64,
}

/// The server's signing secret.
#[derive(Clone)]
pub struct Secret {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self { bytes }
    }

    /// A fresh random secret of 32 bytes.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; 32];
        // The OS random source failing is a broken machine; fall back to
        // UUID randomness, which reads the same source through another path.
        if getrandom::fill(&mut bytes).is_err() {
            bytes = uuid::Uuid::new_v4().as_bytes().repeat(2);
        }
        Self { bytes }
    }

    /// Reads the hex key at `path`, or creates it with mode 0600.
    pub fn load_or_create(path: &Path) -> Result<Self> {
        let key_err = |source| Error::Key {
            path: path.to_owned(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = decode_hex(text.trim())
                    .filter(|b| b.len() >= 32)
                    .ok_or_else(|| Error::MalformedKey {
                        path: path.to_owned(),
                    })?;
                Ok(Self { bytes })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = Self::generate();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(path).map_err(key_err)?;
                file.write_all(encode_hex(&secret.bytes).as_bytes())
                    .map_err(key_err)?;
                file.sync_all().map_err(key_err)?;
                Ok(secret)
            }
            Err(e) => Err(key_err(e)),
        }
    }

    /// The default key path for a database: `<db>.key`.
    pub fn default_path(db: &Path) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push(".key");
        PathBuf::from(name)
    }

    /// Mints a token for `auth_key` valid for `ttl` (a zero or past ttl
    /// gives an already expired token, which tests use).
    pub fn mint(&self, auth_key: &str, ttl: Duration) -> String {
        self.mint_at(auth_key, unix_now() as i64 + ttl.as_secs() as i64)
    }

    /// Mints a token expiring at `exp` (Unix seconds).
    pub fn mint_at(&self, auth_key: &str, exp: i64) -> String {
        let claims = Claims {
            sub: auth_key.to_owned(),
            exp: exp.max(0) as u64,
            iat: unix_now(),
        };
        let key = EncodingKey::from_secret(&self.bytes);
        // HS256 signing of a serializable struct has no failure mode.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap_or_default()
    }

    /// Verifies signature and expiry; returns the auth key.
    pub fn verify(&self, token: &str) -> Result<String> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let key = DecodingKey::from_secret(&self.bytes);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation)?;
        Ok(data.claims.sub)
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_verify_and_expired_ones_do_not() {
        let secret = Secret::generate();
        let token = secret.mint("alice", Duration::from_secs(60));
        assert_eq!(secret.verify(&token).unwrap(), "alice");
        let expired = secret.mint_at("alice", unix_now() as i64 - 5);
        assert!(secret.verify(&expired).is_err());
        assert!(Secret::generate().verify(&token).is_err());
        assert!(secret.verify("not a jwt").is_err());
    }

    #[test]
    fn key_file_is_private_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let a = Secret::load_or_create(&path).unwrap();
        let b = Secret::load_or_create(&path).unwrap();
        assert_eq!(a.bytes, b.bytes);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "zz").unwrap();
        assert!(matches!(
            Secret::load_or_create(&path),
            Err(Error::MalformedKey { .. })
        ));
    }
}
