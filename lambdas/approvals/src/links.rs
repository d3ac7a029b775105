//! Approval links: the signed, single-use tokens behind the approve and
//! reject links in notifications.
//!
//! A token names one request, one action, the request's deadline and the
//! approver it was sent to (its addressee: an email address of the
//! request's approver policy; none when the policy is open and the links go
//! to every subscriber), carries 128 random bits shared by that approver's
//! two links, and is signed with HMAC-SHA256 under a key generated at
//! deploy time. The approvals table keeps only each link's SHA-256 hash,
//! and a decision through a link adds that hash to the used ones in the
//! same conditional write that claims the request, so a link decides at
//! most once.
//!
//! ```text
//! v2.<approval id>.<a|r>.<expires, epoch seconds>.<addressee, may be empty>.<nonce>.<HMAC>
//! ```
//!
//! (each of id, addressee, nonce and HMAC in base64url). Nobody without the
//! key can mint a link, nor turn one approver's link into another's.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use hitl_contract::record::Outcome;
use hitl_contract::timestamp::Timestamp;

const VERSION: &str = "v2";
/// Random bits in a token, as bytes.
const NONCE_LEN: usize = 16;
/// The shortest signing key accepted, in bytes.
pub const MIN_KEY_LEN: usize = 32;
/// Longer tokens are refused before any parsing (an approval id is at most
/// 128 characters and an email address 254, so real tokens stay below this).
pub const MAX_TOKEN_LEN: usize = 1024;

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is incomplete or damaged: {0}")]
    Malformed(&'static str),
    #[error(
        "the link's signature does not match: it was altered or was not issued by this deployment"
    )]
    BadSignature,
    #[error("the link expired at {0}")]
    Expired(Timestamp),
    #[error("the link signing key is too short: it needs at least {MIN_KEY_LEN} bytes")]
    WeakKey,
}

/// The deployment's link signing key.
#[derive(Clone)]
pub struct LinkKey(Hmac<Sha256>);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(..)")
    }
}

impl LinkKey {
    pub fn new(secret: impl AsRef<[u8]>) -> Result<Self, LinkError> {
        let secret = secret.as_ref();
        if secret.len() < MIN_KEY_LEN {
            return Err(LinkError::WeakKey);
        }
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret)
            .map(Self)
            .map_err(|_| LinkError::WeakKey)
    }

    fn mac(&self, payload: &str) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
        mac.update(payload.as_bytes());
        mac
    }

    /// One approver's two links to a request, approve first, from fresh
    /// randomness; `addressee` is whom they are sent to (none: everyone).
    pub fn mint_pair(
        &self,
        approval_id: &str,
        addressee: Option<&str>,
        expires_at: Timestamp,
    ) -> Result<(LinkToken, LinkToken), getrandom::Error> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::getrandom(&mut nonce)?;
        let token = |action| LinkToken {
            approval_id: approval_id.to_owned(),
            action,
            addressee: addressee.map(str::to_lowercase).filter(|a| !a.is_empty()),
            expires_at: Timestamp::from_unix_seconds(expires_at.unix_seconds())
                .unwrap_or(expires_at),
            nonce,
        };
        Ok((token(Outcome::Approved), token(Outcome::Rejected)))
    }

    /// The token's text form, as it goes into a link.
    pub fn sign(&self, token: &LinkToken) -> String {
        let payload = token.payload();
        let tag = self.mac(&payload).finalize().into_bytes();
        format!("{payload}.{}", B64.encode(tag))
    }

    /// The approval page's word that the link whose hash is `link_hash`,
    /// sent to `addressee`, decided `approval_id` with `outcome`. It travels
    /// with the page's callback, so the workflow can tell the decision came
    /// from the page and whose link it was: only the page and the workflow
    /// hold the key.
    pub fn vouch(
        &self,
        approval_id: &str,
        outcome: Outcome,
        link_hash: &str,
        addressee: Option<&str>,
    ) -> String {
        let tag = self
            .mac(&voucher_payload(approval_id, outcome, link_hash, addressee))
            .finalize()
            .into_bytes();
        B64.encode(tag)
    }

    /// Whether `voucher` is [`LinkKey::vouch`]'s for these (in constant time).
    pub fn confirms(
        &self,
        voucher: &str,
        approval_id: &str,
        outcome: Outcome,
        link_hash: &str,
        addressee: Option<&str>,
    ) -> bool {
        B64.decode(voucher).is_ok_and(|tag| {
            self.mac(&voucher_payload(approval_id, outcome, link_hash, addressee))
                .verify_slice(&tag)
                .is_ok()
        })
    }

    /// The submit function's word that Lambda verified `requester` as the
    /// IAM principal that signed the request for `approval_id` (its
    /// function URL's `AWS_IAM` auth); the workflow records the requester
    /// on it. Only the submit function and the workflow hold the key.
    pub fn vouch_requester(&self, approval_id: &str, requester: &str) -> String {
        let tag = self
            .mac(&requester_voucher_payload(approval_id, requester))
            .finalize()
            .into_bytes();
        B64.encode(tag)
    }

    /// Whether `voucher` is [`LinkKey::vouch_requester`]'s for these (in
    /// constant time).
    pub fn confirms_requester(&self, voucher: &str, approval_id: &str, requester: &str) -> bool {
        B64.decode(voucher).is_ok_and(|tag| {
            self.mac(&requester_voucher_payload(approval_id, requester))
                .verify_slice(&tag)
                .is_ok()
        })
    }

    /// Parses `text` and checks its signature (in constant time) and expiry.
    pub fn verify(&self, text: &str, now: Timestamp) -> Result<LinkToken, LinkError> {
        if text.len() > MAX_TOKEN_LEN {
            return Err(LinkError::Malformed("it is too long"));
        }
        let (payload, tag) = text
            .rsplit_once('.')
            .ok_or(LinkError::Malformed("it has no signature"))?;
        let tag = B64
            .decode(tag)
            .map_err(|_| LinkError::Malformed("its signature is not base64url"))?;
        let token = LinkToken::parse(payload)?;
        self.mac(payload)
            .verify_slice(&tag)
            .map_err(|_| LinkError::BadSignature)?;
        if now >= token.expires_at {
            return Err(LinkError::Expired(token.expires_at));
        }
        Ok(token)
    }
}

/// What a link says: `addressee` may decide `action` on `approval_id`
/// before `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkToken {
    pub approval_id: String,
    pub action: Outcome,
    /// The approver it was sent to, lowercased; none for an open policy's
    /// links, which go to every subscriber.
    pub addressee: Option<String>,
    /// The request's deadline, to the second.
    pub expires_at: Timestamp,
    nonce: [u8; NONCE_LEN],
}

impl LinkToken {
    /// The approver's other link: same request, addressee, nonce and deadline.
    pub fn sibling(&self) -> LinkToken {
        LinkToken {
            action: match self.action {
                Outcome::Approved => Outcome::Rejected,
                Outcome::Rejected => Outcome::Approved,
            },
            ..self.clone()
        }
    }

    fn payload(&self) -> String {
        let action = match self.action {
            Outcome::Approved => "a",
            Outcome::Rejected => "r",
        };
        format!(
            "{VERSION}.{}.{action}.{}.{}.{}",
            B64.encode(self.approval_id.as_bytes()),
            self.expires_at.unix_seconds(),
            B64.encode(self.addressee.as_deref().unwrap_or_default()),
            B64.encode(self.nonce)
        )
    }

    fn parse(payload: &str) -> Result<Self, LinkError> {
        let mut parts = payload.split('.');
        let mut next = |what| parts.next().ok_or(LinkError::Malformed(what));
        if next("it has no version")? != VERSION {
            return Err(LinkError::Malformed("its version is unknown"));
        }
        let approval_id = B64
            .decode(next("it names no request")?)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .filter(|id| !id.is_empty())
            .ok_or(LinkError::Malformed("its request id is not valid"))?;
        let action = match next("it names no action")? {
            "a" => Outcome::Approved,
            "r" => Outcome::Rejected,
            _ => return Err(LinkError::Malformed("its action is unknown")),
        };
        let expires_at = next("it has no expiry")?
            .parse::<i64>()
            .ok()
            .and_then(Timestamp::from_unix_seconds)
            .ok_or(LinkError::Malformed("its expiry is not a time"))?;
        let addressee = B64
            .decode(next("it names no addressee")?)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or(LinkError::Malformed("its addressee is not valid"))?;
        let nonce = B64
            .decode(next("it has no nonce")?)
            .ok()
            .and_then(|bytes| <[u8; NONCE_LEN]>::try_from(bytes).ok())
            .ok_or(LinkError::Malformed("its nonce is not valid"))?;
        if parts.next().is_some() {
            return Err(LinkError::Malformed("it has too many parts"));
        }
        Ok(Self {
            approval_id,
            action,
            addressee: Some(addressee).filter(|a| !a.is_empty()),
            expires_at,
            nonce,
        })
    }
}

/// Reads the signing key from the Secrets Manager secret `secret_id` (its
/// string value; the template generates it at deploy time).
#[cfg(feature = "secrets")]
pub async fn load_key(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<LinkKey, KeyError> {
    let out = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| KeyError::Unreadable {
            secret: secret_id.to_owned(),
            message: crate::sdk_error::summary(&e),
        })?;
    let secret = out.secret_string().ok_or_else(|| KeyError::Unreadable {
        secret: secret_id.to_owned(),
        message: "the secret has no string value".into(),
    })?;
    LinkKey::new(secret).map_err(|_| KeyError::Weak(secret_id.to_owned()))
}

/// Where a function's link key comes from: Secrets Manager on first use
/// (so a missing secret is a clear answer, not a failed cold start), or
/// given (unit tests).
#[cfg(feature = "secrets")]
#[derive(Debug)]
pub enum KeySource {
    Secret {
        client: aws_sdk_secretsmanager::Client,
        secret_id: String,
        loaded: tokio::sync::OnceCell<LinkKey>,
    },
    Fixed(LinkKey),
}

#[cfg(feature = "secrets")]
impl KeySource {
    pub fn secret(client: aws_sdk_secretsmanager::Client, secret_id: String) -> Self {
        KeySource::Secret {
            client,
            secret_id,
            loaded: tokio::sync::OnceCell::new(),
        }
    }

    pub async fn key(&self) -> Result<&LinkKey, KeyError> {
        match self {
            KeySource::Fixed(key) => Ok(key),
            KeySource::Secret {
                client,
                secret_id,
                loaded,
            } => loaded.get_or_try_init(|| load_key(client, secret_id)).await,
        }
    }
}

/// Why the link signing key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("reading the link signing key `{secret}` failed: {message}")]
    Unreadable { secret: String, message: String },
    #[error("the link signing key `{0}` is shorter than {MIN_KEY_LEN} bytes; regenerate it")]
    Weak(String),
}

/// What a voucher signs; its prefix keeps it apart from link tokens, and
/// the id and addressee are encoded so no field can run into the next.
fn voucher_payload(
    approval_id: &str,
    outcome: Outcome,
    link_hash: &str,
    addressee: Option<&str>,
) -> String {
    format!(
        "vouch2:{}:{outcome}:{link_hash}:{}",
        B64.encode(approval_id),
        B64.encode(addressee.unwrap_or_default())
    )
}

/// What a requester's voucher signs, apart from decisions' and links' by
/// its prefix.
fn requester_voucher_payload(approval_id: &str, requester: &str) -> String {
    format!(
        "requester1:{}:{}",
        B64.encode(approval_id),
        B64.encode(requester)
    )
}

/// What the approvals table stores of a link: its SHA-256, hex-encoded.
pub fn link_hash(signed: &str) -> String {
    Sha256::digest(signed.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> LinkKey {
        LinkKey::new("k".repeat(40)).unwrap()
    }

    fn now() -> Timestamp {
        Timestamp::parse("2026-11-23T10:00:00Z").unwrap()
    }

    fn later() -> Timestamp {
        Timestamp::parse("2026-11-23T12:00:00Z").unwrap()
    }

    #[test]
    fn a_voucher_confirms_only_what_it_vouched_for() {
        let bob = Some("bob@example.com");
        let voucher = key().vouch("apr-1", Outcome::Approved, "abc", bob);
        assert!(key().confirms(&voucher, "apr-1", Outcome::Approved, "abc", bob));
        assert!(!key().confirms(&voucher, "apr-1", Outcome::Rejected, "abc", bob));
        assert!(!key().confirms(&voucher, "apr-2", Outcome::Approved, "abc", bob));
        assert!(!key().confirms(&voucher, "apr-1", Outcome::Approved, "abd", bob));
        let carol = Some("carol@example.com");
        assert!(!key().confirms(&voucher, "apr-1", Outcome::Approved, "abc", carol));
        assert!(!key().confirms(&voucher, "apr-1", Outcome::Approved, "abc", None));
        assert!(!key().confirms("not base64!", "apr-1", Outcome::Approved, "abc", bob));
        let other = LinkKey::new([7u8; MIN_KEY_LEN]).unwrap();
        assert!(!other.confirms(&voucher, "apr-1", Outcome::Approved, "abc", bob));
    }

    #[test]
    fn a_requester_voucher_confirms_only_that_requester_of_that_request() {
        let alice = "arn:aws:iam::123456789012:user/alice";
        let voucher = key().vouch_requester("apr-1", alice);
        assert!(key().confirms_requester(&voucher, "apr-1", alice));
        assert!(!key().confirms_requester(&voucher, "apr-2", alice));
        assert!(!key().confirms_requester(&voucher, "apr-1", "arn:aws:iam::123456789012:user/bob"));
        // Not a decision's voucher, nor the other way round.
        let decision = key().vouch("apr-1", Outcome::Approved, "abc", None);
        assert!(!key().confirms_requester(&decision, "apr-1", alice));
        assert!(!key().confirms(&voucher, "apr-1", Outcome::Approved, "abc", None));
        let other = LinkKey::new([7u8; MIN_KEY_LEN]).unwrap();
        assert!(!other.confirms_requester(&voucher, "apr-1", alice));
    }

    #[test]
    fn a_signed_token_verifies_to_what_was_signed() {
        for addressee in [Some("Bob@Example.com"), None] {
            let (approve, reject) = key().mint_pair("apr-1/ü", addressee, later()).unwrap();
            for token in [approve, reject] {
                let text = key().sign(&token);
                assert_eq!(key().verify(&text, now()).unwrap(), token);
                assert_eq!(
                    token.addressee.as_deref(),
                    addressee.map(str::to_lowercase).as_deref()
                );
            }
        }
    }

    #[test]
    fn one_approvers_link_cannot_be_turned_into_anothers() {
        let (bob, _) = key()
            .mint_pair("apr-1", Some("bob@example.com"), later())
            .unwrap();
        let (carol, _) = key()
            .mint_pair("apr-1", Some("carol@example.com"), later())
            .unwrap();
        let (bob_text, carol_text) = (key().sign(&bob), key().sign(&carol));
        assert_ne!(bob_text, carol_text);
        // Bob's signature over his payload with Carol's address in it.
        let forged = bob_text.replacen(
            &B64.encode("bob@example.com"),
            &B64.encode("carol@example.com"),
            1,
        );
        assert_eq!(key().verify(&forged, now()), Err(LinkError::BadSignature));
    }

    #[test]
    fn the_two_links_differ_only_in_their_action_and_each_is_the_others_sibling() {
        let (approve, reject) = key().mint_pair("apr-1", None, later()).unwrap();
        assert_eq!(approve.action, Outcome::Approved);
        assert_eq!(approve.sibling(), reject);
        assert_eq!(reject.sibling(), approve);
        assert_ne!(key().sign(&approve), key().sign(&reject));
    }

    #[test]
    fn every_request_gets_fresh_randomness() {
        let (a, _) = key().mint_pair("apr-1", None, later()).unwrap();
        let (b, _) = key().mint_pair("apr-1", None, later()).unwrap();
        assert_ne!(key().sign(&a), key().sign(&b));
    }

    #[test]
    fn any_altered_character_breaks_the_token() {
        let (token, _) = key().mint_pair("apr-1", None, later()).unwrap();
        let text = key().sign(&token);
        for i in 0..text.len() {
            let mut bytes = text.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(bytes).unwrap();
            if altered == text {
                continue;
            }
            assert!(
                key().verify(&altered, now()).is_err(),
                "altering byte {i} went unnoticed: {altered}"
            );
        }
    }

    #[test]
    fn a_token_from_another_key_or_action_is_refused() {
        let (token, _) = key().mint_pair("apr-1", None, later()).unwrap();
        let other = LinkKey::new("o".repeat(40)).unwrap();
        assert_eq!(
            key().verify(&other.sign(&token), now()),
            Err(LinkError::BadSignature)
        );
        // The approve link's signature on the reject link's payload.
        let approve = key().sign(&token);
        let reject = key().sign(&token.sibling());
        let (payload, _) = reject.rsplit_once('.').unwrap();
        let (_, tag) = approve.rsplit_once('.').unwrap();
        assert_eq!(
            key().verify(&format!("{payload}.{tag}"), now()),
            Err(LinkError::BadSignature)
        );
    }

    #[test]
    fn an_expired_token_is_refused_with_its_deadline() {
        let (token, _) = key().mint_pair("apr-1", None, now()).unwrap();
        assert_eq!(
            key().verify(&key().sign(&token), now()),
            Err(LinkError::Expired(now()))
        );
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for text in [
            "",
            ".",
            "v1",
            "v1.....",
            "v1.YQ.a.1.AAAAAAAAAAAAAAAAAAAAAA.AA",
            "v1.YQ.a.1..AAAAAAAAAAAAAAAAAAAAAA.AA",
            "v2.YQ.a.1.AAAAAAAAAAAAAAAAAAAAAA.AA",
            "v2.YQ.x.1..AAAAAAAAAAAAAAAAAAAAAA.AA",
            "v2.YQ.a.nope..AAAAAAAAAAAAAAAAAAAAAA.AA",
            "v2.YQ.a.1..AA.AA",
            "v2.YQ.a.1..AAAAAAAAAAAAAAAAAAAAAA.x.AA",
            "v2.__.a.1..AAAAAAAAAAAAAAAAAAAAAA.AA",
            "v2..a.1..AAAAAAAAAAAAAAAAAAAAAA.AA",
            "v2.YQ.a.1.!!.AAAAAAAAAAAAAAAAAAAAAA.AA",
            "v2.YQ.a.1.__8.AAAAAAAAAAAAAAAAAAAAAA.AA",
            "v2.YQ.a.1..AAAAAAAAAAAAAAAAAAAAAA.!!",
            "<script>alert(1)</script>",
        ] {
            assert!(
                matches!(key().verify(text, now()), Err(LinkError::Malformed(_))),
                "{text:?} should be malformed"
            );
        }
        let long = "A".repeat(MAX_TOKEN_LEN + 1);
        assert!(matches!(
            key().verify(&long, now()),
            Err(LinkError::Malformed(_))
        ));
    }

    #[test]
    fn short_keys_are_refused() {
        assert_eq!(LinkKey::new("short").err(), Some(LinkError::WeakKey));
    }

    #[test]
    fn the_stored_hash_is_sha256_hex() {
        assert_eq!(
            link_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
