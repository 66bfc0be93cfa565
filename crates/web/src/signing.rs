//! HMAC-SHA256 signatures: the thank-you page's link that lets a person choose partners (it
//! names the person without a login), and webhook bodies.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

/// How long a partner-choice link works after the sign-up.
pub const CHOICE_LINK_MS: i64 = 14 * 24 * 3600 * 1000;

fn mac(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC takes any key length")
}

/// `hex(HMAC-SHA256(key, message))`.
pub fn sign_hex(key: &[u8], message: &[u8]) -> String {
    let mut m = mac(key);
    m.update(message);
    hex::encode(m.finalize().into_bytes())
}

/// A link token naming `person` until `expires` (ms): `<uuid hex>.<expires>.<mac>`.
pub fn choice_token(key: &[u8], person: Uuid, expires: i64) -> String {
    let body = format!("{}.{expires}", person.simple());
    let sig = sign_hex(key, body.as_bytes());
    format!("{body}.{}", &sig[..32])
}

/// The person a token names, if its signature holds and it has not expired.
pub fn verify_choice_token(key: &[u8], token: &str, now: i64) -> Option<Uuid> {
    let mut parts = token.trim().splitn(3, '.');
    let (id, expires, sig) = (parts.next()?, parts.next()?, parts.next()?);
    let expires: i64 = expires.parse().ok()?;
    // The MAC's own constant-time check of the leftmost 16 bytes.
    let mut m = mac(key);
    m.update(format!("{id}.{expires}").as_bytes());
    let given = hex::decode(sig).ok()?;
    if given.len() != 16 || m.verify_truncated_left(&given).is_err() {
        return None;
    }
    if expires < now {
        return None;
    }
    Uuid::parse_str(id).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_unchanged_and_in_time() {
        let key = [7u8; 32];
        let id = Uuid::now_v7();
        let t = choice_token(&key, id, 1_000);
        assert_eq!(verify_choice_token(&key, &t, 999), Some(id));
        assert_eq!(verify_choice_token(&key, &t, 1_001), None, "expired");
        assert_eq!(verify_choice_token(&[8u8; 32], &t, 0), None, "other key");
        let other = Uuid::now_v7();
        let forged = t.replacen(&id.simple().to_string(), &other.simple().to_string(), 1);
        assert_eq!(verify_choice_token(&key, &forged, 0), None, "other person");
        let later = t.replacen(".1000.", ".9999999.", 1);
        assert_eq!(verify_choice_token(&key, &later, 0), None, "extended");
        assert_eq!(verify_choice_token(&key, "garbage", 0), None);
    }

    #[test]
    fn signatures_are_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
