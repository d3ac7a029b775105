//! Proof of who sent a request or a decision: a signed
//! `sts:GetCallerIdentity` request that the workflow sends to STS itself.
//!
//! This is how HashiCorp Vault's AWS IAM auth method and the EKS
//! authenticator let a third party learn an AWS identity without shared
//! secrets. The client signs the request with its own credentials (the SDK's
//! signer, SigV4) and hands it over unsent; whoever receives it sends it to
//! the STS endpoint they trust, and STS answers with the signer's ARN. A
//! signed header binds the request to one purpose (this approval id and this
//! outcome), so it cannot be replayed to approve another request, and STS
//! refuses a signature more than 15 minutes old, so a captured proof soon
//! dies.
//!
//! The receiver never takes a URL from the proof: [`IdentityProof::check`]
//! insists that the signed `host` is the trusted endpoint's, that the binding
//! header is signed and says what the receiver expects, and that the
//! signature is fresh. Body and method are fixed, so the proof can only ever
//! ask "who am I".

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use serde::{Deserialize, Serialize};

use crate::record::Outcome;
use crate::timestamp::Timestamp;

/// The header that says what a proof is for; it is among the signed ones.
pub const BINDING_HEADER: &str = "x-hitl-binding";
/// The one request a proof may carry.
pub const BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";
pub const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";
/// How old a signature STS accepts (AWS SigV4's limit).
pub const LIFETIME: Duration = Duration::from_secs(15 * 60);
/// How far in the future a signature may be dated (a signer's fast clock).
const CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// What a proof is for. Its text is the binding header's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose<'a> {
    /// Asking for approval `id`.
    Submit(&'a str),
    /// Deciding approval `id` with this outcome.
    Decide(&'a str, Outcome),
}

impl Purpose<'_> {
    pub fn binding(self) -> String {
        match self {
            Purpose::Submit(id) => format!("submit:{id}"),
            Purpose::Decide(id, outcome) => format!("decide:{id}:{}", outcome.status().as_str()),
        }
    }
}

/// A signed, unsent `GetCallerIdentity` request: its headers, names in
/// lower case. The method (POST), path (`/`) and body ([`BODY`]) are fixed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityProof {
    pub headers: BTreeMap<String, String>,
}

/// What comes with a decision to prove who sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionProof {
    /// A signed `GetCallerIdentity` (from `hitl approve` and `hitl reject`).
    Sts(IdentityProof),
    /// The approval page's voucher for the link used and whom it was sent
    /// to (see `hitl_approvals::links::LinkKey::vouch`).
    ApprovalLink {
        link_hash: String,
        voucher: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        addressee: Option<String>,
    },
}

impl DecisionProof {
    pub fn to_json(&self) -> String {
        // Serialising strings cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The AWS principal STS named as a proof's signer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub arn: String,
    pub account: String,
}

/// Why a proof does not prove who sent it; each message says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("it carries no proof of identity (send decisions with `hitl approve` or `hitl reject`, which sign one)")]
    Missing,
    #[error("its proof of identity is malformed: {0}")]
    Malformed(String),
    #[error("its proof of identity is signed for `{found}`, not for the STS endpoint this stack trusts, `{trusted}`")]
    WrongHost { found: String, trusted: String },
    #[error("its proof of identity is for `{found}`, not for `{expected}`")]
    WrongPurpose { found: String, expected: String },
    #[error("its proof of identity was signed at {signed_at}, outside the {} minutes STS accepts around {now}", LIFETIME.as_secs() / 60)]
    Stale { signed_at: String, now: Timestamp },
    #[error("STS refused its proof of identity: {code}: {message}")]
    Refused { code: String, message: String },
    #[error("STS could not be asked who signed the proof: {0}")]
    Unreachable(String),
    #[error("its requester voucher is not the submit function's (submit through the stack's SubmitUrl or with `hitl submit`)")]
    BadVoucher,
    #[error("the link key, which checks the submit function's vouchers, could not be read: {0}")]
    KeyUnavailable(String),
}

impl ProofError {
    /// Whether asking again may give another answer (the workflow retries
    /// these rather than refusing the decision).
    pub fn is_transient(&self) -> bool {
        match self {
            ProofError::Unreachable(_) | ProofError::KeyUnavailable(_) => true,
            ProofError::Refused { code, .. } => matches!(
                code.as_str(),
                "Throttling" | "ThrottlingException" | "ServiceUnavailable" | "InternalFailure"
            ),
            _ => false,
        }
    }
}

/// The host part of an endpoint URL (`https://sts.eu-west-1.amazonaws.com`
/// gives `sts.eu-west-1.amazonaws.com`; a port stays).
pub fn host_of(endpoint: &str) -> &str {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, r)| r);
    rest.split(['/', '?']).next().unwrap_or(rest)
}

/// The regional STS endpoint of `region`, the one a workflow trusts unless
/// its deployment names another.
pub fn regional_endpoint(region: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://sts.{region}.{suffix}")
}

impl IdentityProof {
    /// Signs a proof for `purpose` with `credentials`, for the STS endpoint
    /// `endpoint` in `region`, at `now`.
    pub fn sign(
        credentials: &Credentials,
        region: &str,
        endpoint: &str,
        purpose: Purpose<'_>,
        now: SystemTime,
    ) -> Result<Self, ProofError> {
        let host = host_of(endpoint).to_owned();
        let binding = purpose.binding();
        let identity = credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name("sts")
            .time(now)
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| ProofError::Malformed(e.to_string()))?
            .into();
        let unsigned = [
            ("host", host.as_str()),
            ("content-type", CONTENT_TYPE),
            (BINDING_HEADER, binding.as_str()),
        ];
        let url = format!("https://{host}/");
        let request = SignableRequest::new(
            "POST",
            url,
            unsigned.into_iter(),
            SignableBody::Bytes(BODY.as_bytes()),
        )
        .map_err(|e| ProofError::Malformed(e.to_string()))?;
        let (instructions, _) = sign(request, &params)
            .map_err(|e| ProofError::Malformed(e.to_string()))?
            .into_parts();
        let mut headers: BTreeMap<String, String> = unsigned
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        for (name, value) in instructions.headers() {
            headers.insert(name.to_ascii_lowercase(), value.to_owned());
        }
        Ok(Self { headers })
    }

    fn header(&self, name: &str) -> Result<&str, ProofError> {
        self.headers
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| ProofError::Malformed(format!("no `{name}` header")))
    }

    /// Checks what can be checked without STS: the proof is signed for
    /// `trusted_host`, for `purpose`, and recently enough at `now`.
    pub fn check(
        &self,
        trusted_host: &str,
        purpose: Purpose<'_>,
        now: Timestamp,
    ) -> Result<(), ProofError> {
        let authorization = self.header("authorization")?;
        let signed = authorization
            .split(", ")
            .find_map(|part| part.strip_prefix("SignedHeaders="))
            .ok_or_else(|| ProofError::Malformed("no SignedHeaders in its authorization".into()))?;
        for required in ["host", BINDING_HEADER, "x-amz-date"] {
            if !signed.split(';').any(|h| h == required) {
                return Err(ProofError::Malformed(format!(
                    "the `{required}` header is not signed"
                )));
            }
        }
        let host = self.header("host")?;
        if !host.eq_ignore_ascii_case(trusted_host) {
            return Err(ProofError::WrongHost {
                found: host.to_owned(),
                trusted: trusted_host.to_owned(),
            });
        }
        let expected = purpose.binding();
        let found = self.header(BINDING_HEADER)?;
        if found != expected {
            return Err(ProofError::WrongPurpose {
                found: found.to_owned(),
                expected,
            });
        }
        let date = self.header("x-amz-date")?;
        let signed_at = parse_amz_date(date)
            .ok_or_else(|| ProofError::Malformed(format!("`x-amz-date` is `{date}`")))?;
        if signed_at < now.minus(LIFETIME) || signed_at > now.plus(CLOCK_SKEW) {
            return Err(ProofError::Stale {
                signed_at: date.to_owned(),
                now,
            });
        }
        Ok(())
    }
}

/// Reads SigV4's `20261201T093000Z`.
fn parse_amz_date(text: &str) -> Option<Timestamp> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let parsed = time::PrimitiveDateTime::parse(text, &format).ok()?;
    Timestamp::from_unix_seconds(parsed.assume_utc().unix_timestamp())
}

/// Reads STS's answer to a proof: the principal, or why it was refused.
pub fn read_answer(status: u16, body: &str) -> Result<Principal, ProofError> {
    if (200..300).contains(&status) {
        let arn = element(body, "Arn");
        let account = element(body, "Account");
        return match (arn, account) {
            (Some(arn), Some(account)) => Ok(Principal { arn, account }),
            _ => Err(ProofError::Unreachable(format!(
                "STS answered {status} without an Arn and an Account"
            ))),
        };
    }
    match element(body, "Code") {
        Some(code) => Err(ProofError::Refused {
            code,
            message: element(body, "Message").unwrap_or_default(),
        }),
        None => Err(ProofError::Unreachable(format!(
            "STS answered {status} with no error code"
        ))),
    }
}

/// The text of the first `<name>` element of STS's XML answer, unescaped.
/// STS's answers are flat and fixed, so a full XML parser buys nothing.
fn element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&close)?;
    let text = xml[start..start + len].trim();
    Some(
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENDPOINT: &str = "https://sts.eu-west-1.amazonaws.com";
    const HOST: &str = "sts.eu-west-1.amazonaws.com";

    fn at(seconds: i64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).unwrap())
    }

    fn now() -> i64 {
        1_796_000_000
    }

    fn proof(purpose: Purpose<'_>) -> IdentityProof {
        let credentials =
            Credentials::new("AKIDEXAMPLE", "secret", Some("token".into()), None, "test");
        IdentityProof::sign(&credentials, "eu-west-1", ENDPOINT, purpose, at(now())).unwrap()
    }

    fn ts(seconds: i64) -> Timestamp {
        Timestamp::from_unix_seconds(seconds).unwrap()
    }

    #[test]
    fn a_signed_proof_passes_its_own_checks() {
        let purpose = Purpose::Decide("apr-1", Outcome::Approved);
        let proof = proof(purpose);
        assert_eq!(proof.headers["x-hitl-binding"], "decide:apr-1:APPROVED");
        assert_eq!(proof.headers["x-amz-security-token"], "token");
        let authorization = &proof.headers["authorization"];
        assert!(authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
        assert!(authorization.contains("/eu-west-1/sts/aws4_request"));
        proof.check(HOST, purpose, ts(now() + 60)).unwrap();
    }

    #[test]
    fn a_proof_for_another_purpose_is_refused() {
        let proof = proof(Purpose::Decide("apr-1", Outcome::Rejected));
        for other in [
            Purpose::Decide("apr-1", Outcome::Approved),
            Purpose::Decide("apr-2", Outcome::Rejected),
            Purpose::Submit("apr-1"),
        ] {
            let err = proof.check(HOST, other, ts(now())).unwrap_err();
            assert!(matches!(err, ProofError::WrongPurpose { .. }), "{err}");
        }
    }

    #[test]
    fn a_proof_for_another_endpoint_is_refused() {
        let proof = proof(Purpose::Submit("apr-1"));
        let err = proof
            .check(
                "sts.us-east-1.amazonaws.com",
                Purpose::Submit("apr-1"),
                ts(now()),
            )
            .unwrap_err();
        assert!(matches!(err, ProofError::WrongHost { .. }), "{err}");
    }

    #[test]
    fn an_old_or_future_proof_is_stale() {
        let purpose = Purpose::Submit("apr-1");
        let proof = proof(purpose);
        proof.check(HOST, purpose, ts(now() + 14 * 60)).unwrap();
        for then in [now() + 16 * 60, now() - 6 * 60] {
            let err = proof.check(HOST, purpose, ts(then)).unwrap_err();
            assert!(matches!(err, ProofError::Stale { .. }), "{err}");
        }
    }

    #[test]
    fn a_binding_header_added_after_signing_is_refused() {
        // Sign for one purpose, then rewrite the binding: the header value
        // no longer matches the signature, but only STS can tell that. What
        // the receiver can tell is a binding header left out of the signature.
        let mut proof = proof(Purpose::Submit("apr-1"));
        let auth = proof.headers["authorization"].replace(";x-hitl-binding", "");
        proof.headers.insert("authorization".into(), auth);
        let err = proof
            .check(HOST, Purpose::Submit("apr-1"), ts(now()))
            .unwrap_err();
        assert_eq!(
            err,
            ProofError::Malformed("the `x-hitl-binding` header is not signed".into())
        );
    }

    // STS's documented answers to GetCallerIdentity.
    const ANSWER: &str = r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:sts::123456789012:assumed-role/approvers/bob@example.com</Arn>
    <UserId>AROACKCEVSQ6C2EXAMPLE:bob@example.com</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>"#;

    fn refusal(code: &str, message: &str) -> String {
        format!(
            r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>x</RequestId></ErrorResponse>"#
        )
    }

    #[test]
    fn reads_the_principal_sts_names() {
        assert_eq!(
            read_answer(200, ANSWER).unwrap(),
            Principal {
                arn: "arn:aws:sts::123456789012:assumed-role/approvers/bob@example.com".into(),
                account: "123456789012".into(),
            }
        );
    }

    #[test]
    fn reads_sts_refusals() {
        let cases = [
            ("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.", false),
            ("ExpiredToken", "The security token included in the request is expired", false),
            ("InvalidClientTokenId", "The security token included in the request is invalid.", false),
            ("IncompleteSignature", "Signature expired: 20261201T090000Z is now earlier than 20261201T091000Z (20261201T092500Z - 15 min.)", false),
            ("Throttling", "Rate exceeded", true),
        ];
        for (code, message, transient) in cases {
            let err = read_answer(403, &refusal(code, message)).unwrap_err();
            assert_eq!(
                err,
                ProofError::Refused {
                    code: code.into(),
                    message: message.into()
                }
            );
            assert_eq!(err.is_transient(), transient, "{code}");
        }
        assert!(read_answer(502, "<html>bad gateway</html>")
            .unwrap_err()
            .is_transient());
    }

    #[test]
    fn unescapes_xml_text() {
        let body = refusal("AccessDenied", "a &lt;b&gt; &amp; &quot;c&quot;");
        let Err(ProofError::Refused { message, .. }) = read_answer(403, &body) else {
            panic!("not refused");
        };
        assert_eq!(message, "a <b> & \"c\"");
    }

    #[test]
    fn endpoints() {
        assert_eq!(host_of("http://127.0.0.1:4701"), "127.0.0.1:4701");
        assert_eq!(host_of("https://sts.eu-west-1.amazonaws.com/"), HOST);
        assert_eq!(regional_endpoint("eu-west-1"), ENDPOINT);
        assert_eq!(
            regional_endpoint("cn-north-1"),
            "https://sts.cn-north-1.amazonaws.com.cn"
        );
    }
}
