//! Approval links (`hitl_approvals::links`), as the approval API reads them
//! from a URL anyone can type.
//!
//! - `LinkKey::verify` on arbitrary text never panics and never accepts a
//!   token this key did not sign: whatever it accepts must be exactly what
//!   `sign` makes of the token it returns.
//! - A token minted for any id, addressee, action and deadline verifies back
//!   to the same fields before its deadline, and is refused as expired from
//!   then on.
#![no_main]

use hitl_approvals::links::{LinkError, LinkKey, MAX_TOKEN_LEN};
use hitl_contract::{Outcome, Timestamp};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

/// The key the seeds were signed with (fuzz/seeds/link_token/).
const KEY: &[u8] = b"fuzz-link-signing-key-0123456789abcdef";

#[derive(Debug, Arbitrary)]
enum Input {
    /// Text from the outside, checked at a moment near the seeds' deadlines.
    Verify { text: String, now_seconds: i64 },
    /// A token we mint ourselves.
    RoundTrip {
        approval_id: String,
        addressee: Option<String>,
        approve: bool,
        expires_seconds: i64,
        /// How far before (negative) or after the deadline it is checked.
        check_offset: i32,
    },
}

fn key() -> LinkKey {
    LinkKey::new(KEY).expect("the fuzz key is long enough")
}

/// When the seeds are checked (2026-11-23T10:00:00Z): a day before their deadline.
const SEED_NOW: i64 = 1_795_428_000;

fuzz_target!(|data: &[u8]| {
    // Link text as it arrives (the seeds are minted links), checked before
    // and long after the seeds' deadline.
    if let Ok(text) = std::str::from_utf8(data) {
        if text.starts_with('v') {
            verify_at(text, SEED_NOW);
            verify_at(text, SEED_NOW + 400 * 24 * 3600);
            return;
        }
    }
    let Ok(input) = Input::arbitrary_take_rest(arbitrary::Unstructured::new(data)) else {
        return;
    };
    match input {
        Input::Verify { text, now_seconds } => verify(&text, now_seconds),
        Input::RoundTrip {
            approval_id,
            addressee,
            approve,
            expires_seconds,
            check_offset,
        } => round_trip(
            approval_id,
            addressee.as_deref(),
            approve,
            expires_seconds,
            check_offset,
        ),
    }
});

fn verify(text: &str, now_seconds: i64) {
    // Around the seeds' deadlines, so both sides of one are reached.
    verify_at(text, SEED_NOW + now_seconds % 20_000_000);
}

fn verify_at(text: &str, now_seconds: i64) {
    let Some(now) = Timestamp::from_unix_seconds(now_seconds) else {
        return;
    };
    let key = key();
    let ours = key.verify(text, now);
    match &ours {
        Ok(token) => {
            // Accepted means: this key signed exactly this text.
            assert_eq!(key.sign(token), text, "accepted a token it did not mint");
            assert!(now < token.expires_at);
            assert!(!token.approval_id.is_empty());
            assert!(text.len() <= MAX_TOKEN_LEN);
            let _ = token.expires_at.to_string();
        }
        Err(err) => {
            // What the approval page shows.
            let _ = err.to_string();
        }
    }
    // A link another deployment signed is refused for its signature.
    let other = LinkKey::new([b'o'; 40]).expect("long enough");
    if other.verify(text, now).is_ok() {
        assert_eq!(
            ours,
            Err(LinkError::BadSignature),
            "verified under two keys"
        );
    }
}

fn round_trip(
    approval_id: String,
    addressee: Option<&str>,
    approve: bool,
    expires_seconds: i64,
    check_offset: i32,
) {
    let Some(expires_at) = Timestamp::from_unix_seconds(expires_seconds) else {
        return;
    };
    let key = key();
    let (approve_token, reject_token) = match key.mint_pair(&approval_id, addressee, expires_at) {
        Ok(pair) => pair,
        Err(_) => return,
    };
    let token = if approve { approve_token } else { reject_token };
    let action = if approve {
        Outcome::Approved
    } else {
        Outcome::Rejected
    };
    assert_eq!(token.action, action);
    assert_eq!(token.sibling().sibling(), token);
    let text = key.sign(&token);
    let _ = expires_at.to_string();

    let Some(now) = expires_seconds
        .checked_add(i64::from(check_offset))
        .and_then(Timestamp::from_unix_seconds)
    else {
        return;
    };
    let verified = key.verify(&text, now);
    if approval_id.is_empty() || text.len() > MAX_TOKEN_LEN {
        // Links are only minted for real ids, which are short; these are
        // refused as malformed, never accepted.
        assert!(
            matches!(verified, Err(LinkError::Malformed(_))),
            "{verified:?}"
        );
        return;
    }
    if now < token.expires_at {
        let back = verified.expect("a fresh token verifies");
        assert_eq!(back, token);
        assert_eq!(back.approval_id, approval_id);
        assert_eq!(
            back.addressee,
            addressee.map(str::to_lowercase).filter(|a| !a.is_empty())
        );
        assert_eq!(back.action, action);
        assert_eq!(back.expires_at.unix_seconds(), expires_seconds);
    } else {
        assert_eq!(verified, Err(LinkError::Expired(token.expires_at)));
        let _ = verified.map_err(|e| e.to_string());
    }
    // Its sibling is signed differently, and neither text verifies as the other.
    let sibling = key.sign(&token.sibling());
    assert_ne!(sibling, text);
}
