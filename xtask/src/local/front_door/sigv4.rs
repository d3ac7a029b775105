//! SigV4 signatures checked as AWS checks them, for the door's function URL.
//!
//! Lambda invokes a function URL with `AuthType: AWS_IAM` only for a request
//! whose SigV4 signature is the one the caller's secret makes, scoped to the
//! function's region and to `lambda` and dated within five minutes of now,
//! and refuses any other with SigV4's own messages. The door must refuse
//! what Lambda refuses, and AWS's own crate, `aws-sigv4`, only signs; so
//! this module checks a signature by hand: the `Authorization` header read,
//! the scope and the date checked, the canonical request, string to sign
//! and signing key made as SigV4 prescribes, and the signature compared in
//! constant time. Its tests hold it to the vectors of AWS's SigV4 test suite
//! and to requests signed by `aws-sigv4`. `function_url` turns a
//! [`SignatureError`] into Lambda's HTTP answer.

use axum::http::{HeaderMap, Method, Uri};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

use crate::local::provision::REGION;

/// How far from now a signature may be dated, either way: Lambda answers
/// "Signature expired: … (now - 5 min.)".
const MAX_SKEW: Duration = Duration::minutes(5);
pub(super) const ALGORITHM: &str = "AWS4-HMAC-SHA256";
pub(super) const SERVICE: &str = "lambda";
pub(super) const TERMINATOR: &str = "aws4_request";

/// The parts of an HTTP request its signature covers.
pub(super) struct Request<'a> {
    pub(super) method: &'a Method,
    pub(super) uri: &'a Uri,
    pub(super) headers: &'a HeaderMap,
    pub(super) body: &'a [u8],
}

impl Request<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Why a signature is refused. All but [`Unreadable`](Self::Unreadable)
/// and [`Mismatch`](Self::Mismatch) carry the message AWS gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SignatureError {
    /// No `Authorization` header, or not one SigV4 can read.
    Unreadable,
    /// No `X-Amz-Date`, one that is not a date, or an unsigned `Host`.
    Malformed(String),
    /// A credential scoped to another terminator, service, region or day.
    Scope(String),
    /// A signature dated further than [`MAX_SKEW`] from now, either way.
    Skewed(String),
    /// Not the signature the key's secret makes, or the body is not the one
    /// signed.
    Mismatch,
}

/// An `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
/// Signature=…` header, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Credential {
    pub(super) key_id: String,
    /// The scope: `date/region/service/terminator`.
    pub(super) date: String,
    pub(super) region: String,
    pub(super) service: String,
    pub(super) terminator: String,
    pub(super) signed_headers: Vec<String>,
    pub(super) signature: String,
}

impl Credential {
    fn parse(authorization: &str) -> Option<Self> {
        let fields = authorization.strip_prefix(ALGORITHM)?;
        if !fields.starts_with(' ') {
            return None;
        }
        let mut credential = None;
        let mut signed_headers = None;
        let mut signature = None;
        for field in fields.split(',') {
            match field.trim().split_once('=')? {
                ("Credential", value) => credential = Some(value),
                ("SignedHeaders", value) => signed_headers = Some(value),
                ("Signature", value) => signature = Some(value),
                _ => return None,
            }
        }
        let mut scope = credential?.split('/');
        let mut next = || scope.next().filter(|s| !s.is_empty()).map(str::to_owned);
        let parsed = Self {
            key_id: next()?,
            date: next()?,
            region: next()?,
            service: next()?,
            terminator: next()?,
            signed_headers: signed_headers?.split(';').map(str::to_owned).collect(),
            signature: signature?.to_owned(),
        };
        next().is_none().then_some(parsed)
    }

    fn scope(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.date, self.region, self.service, self.terminator
        )
    }

    fn signs(&self, header: &str) -> bool {
        self.signed_headers.iter().any(|h| h == header)
    }

    /// AWS's checks of the credential scope, with its messages.
    fn check_scope(&self, amz_date: &str) -> Result<(), SignatureError> {
        if self.terminator != TERMINATOR {
            return Err(SignatureError::Scope(format!(
                "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{}'.",
                self.terminator
            )));
        }
        if self.service != SERVICE {
            return Err(SignatureError::Scope(format!(
                "Credential should be scoped to correct service: '{SERVICE}'. "
            )));
        }
        if self.region != REGION {
            return Err(SignatureError::Scope(format!(
                "Credential should be scoped to a valid region, not '{}'. ",
                self.region
            )));
        }
        let day = amz_date.get(..8).unwrap_or(amz_date);
        if self.date != day {
            return Err(SignatureError::Scope(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
                 from HTTP: '{}' != '{day}', from '{amz_date}'.",
                self.date
            )));
        }
        Ok(())
    }
}

/// A request's signer, as far as the door could tell.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Signer {
    pub(super) credential: Credential,
    /// Whether the door checked the signature: it knows the key's secret.
    pub(super) verified: bool,
}

/// Checks a request's SigV4 signature as Lambda does for a function URL
/// with `AuthType: AWS_IAM`, at `now`. `secret_of` gives the secret of a
/// key the door knows; the signature of any other key is left unchecked.
pub(super) fn check<'s>(
    request: &Request<'_>,
    secret_of: impl FnOnce(&str) -> Option<&'s str>,
    now: OffsetDateTime,
) -> Result<Signer, SignatureError> {
    let credential = request
        .header("authorization")
        .and_then(Credential::parse)
        .ok_or(SignatureError::Unreadable)?;
    let amz_date = request.header("x-amz-date").ok_or_else(|| {
        SignatureError::Malformed(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                .into(),
        )
    })?;
    let signed_at = parse_amz_date(amz_date).ok_or_else(|| {
        SignatureError::Malformed(format!(
            "Date must be in ISO-8601 'basic format'. Got '{amz_date}'."
        ))
    })?;
    credential.check_scope(amz_date)?;
    if !credential.signs("host") {
        return Err(SignatureError::Malformed(
            "'Host' must be a 'SignedHeader' in the AWS Authorization.".into(),
        ));
    }
    check_date(amz_date, signed_at, now)?;
    let verified = match secret_of(&credential.key_id) {
        Some(secret) => {
            verify(request, &credential, amz_date, secret)?;
            true
        }
        None => false,
    };
    Ok(Signer {
        credential,
        verified,
    })
}

/// Refuses a signature dated outside [`MAX_SKEW`] of `now`.
fn check_date(
    amz_date: &str,
    signed_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<(), SignatureError> {
    let minutes = MAX_SKEW.whole_minutes();
    if signed_at < now - MAX_SKEW {
        return Err(SignatureError::Skewed(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - {minutes} min.)",
            amz_date_of(now - MAX_SKEW),
            amz_date_of(now)
        )));
    }
    if signed_at > now + MAX_SKEW {
        return Err(SignatureError::Skewed(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + {minutes} min.)",
            amz_date_of(now + MAX_SKEW),
            amz_date_of(now)
        )));
    }
    Ok(())
}

/// Reads SigV4's `20150830T123600Z`.
fn parse_amz_date(text: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    Some(PrimitiveDateTime::parse(text, &format).ok()?.assume_utc())
}

fn amz_date_of(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    at.format(&format).unwrap_or_default()
}

/// Compares the request's signature with the one `secret` makes, in
/// constant time.
fn verify(
    request: &Request<'_>,
    credential: &Credential,
    amz_date: &str,
    secret: &str,
) -> Result<(), SignatureError> {
    let payload = payload_hash(request, credential)?;
    let canonical = canonical_request(
        request.method.as_str(),
        request.uri.path(),
        request.uri.query().unwrap_or_default(),
        request.headers,
        &credential.signed_headers,
        &payload,
    );
    let to_sign = string_to_sign(amz_date, &credential.scope(), &canonical);
    let claimed = hex_decode(&credential.signature).ok_or(SignatureError::Mismatch)?;
    let key = signing_key(
        secret,
        &credential.date,
        &credential.region,
        &credential.service,
    )
    .ok_or(SignatureError::Mismatch)?;
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(&key).map_err(|_| SignatureError::Mismatch)?;
    mac.update(to_sign.as_bytes());
    mac.verify_slice(&claimed).map_err(|_| {
        eprintln!("function URL: the canonical request was\n{canonical}");
        SignatureError::Mismatch
    })
}

/// The payload line of the canonical request: the body's SHA-256. A signed
/// `x-amz-content-sha256` (curl sends one) must say the same, or the body
/// is not the one signed.
fn payload_hash(request: &Request<'_>, credential: &Credential) -> Result<String, SignatureError> {
    let actual = sha256_hex(request.body);
    match request.header("x-amz-content-sha256") {
        Some(claimed) if credential.signs("x-amz-content-sha256") && claimed != actual => {
            Err(SignatureError::Mismatch)
        }
        _ => Ok(actual),
    }
}

/// SigV4's canonical request: method, canonical URI, canonical query,
/// canonical headers, signed header list and payload hash, one per line.
fn canonical_request(
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    signed_headers: &[String],
    payload_hash: &str,
) -> String {
    format!(
        "{method}\n{}\n{}\n{}\n{}\n{payload_hash}",
        canonical_uri(path),
        canonical_query(query),
        canonical_headers(headers, signed_headers),
        signed_headers.join(";")
    )
}

/// The path as sent, normalised (no `.`/`..` or empty segments) and each
/// segment URI-encoded once more, as every service but S3 does.
fn canonical_uri(path: &str) -> String {
    uri_encode(normalize_path(path).as_bytes(), true)
}

/// RFC 3986's removal of dot segments, and of empty ones, keeping a
/// trailing slash (as the AWS SDKs normalise before signing).
fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut normalized = format!("/{}", segments.join("/"));
    let trailing = ["/", "/.", "/.."].iter().any(|end| path.ends_with(end));
    if trailing && !normalized.ends_with('/') {
        normalized.push('/');
    }
    normalized
}

/// The query's parameters decoded, URI-encoded, and sorted by name, then
/// value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query_pairs(query)
        .map(|(name, value)| (uri_encode(&name, false), uri_encode(&value, false)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Each signed header as `name:values`, its values trimmed (inner runs of
/// spaces made one) and joined by commas.
fn canonical_headers(headers: &HeaderMap, signed_headers: &[String]) -> String {
    signed_headers
        .iter()
        .map(|name| {
            let values: Vec<String> = headers
                .get_all(name.as_str())
                .iter()
                .map(|value| trim_all(&String::from_utf8_lossy(value.as_bytes())))
                .collect();
            format!("{name}:{}\n", values.join(","))
        })
        .collect()
}

fn trim_all(value: &str) -> String {
    value
        .split(' ')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// SigV4's signing key: the secret, HMAC'd with the date, region, service
/// and terminator in turn.
fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Option<Vec<u8>> {
    let key = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes())?;
    let key = hmac(&key, region.as_bytes())?;
    let key = hmac(&key, service.as_bytes())?;
    hmac(&key, TERMINATOR.as_bytes())
}

fn hmac(key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
    mac.update(data);
    Some(mac.finalize().into_bytes().to_vec())
}

fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex (as SigV4 writes signatures) to bytes.
fn hex_decode(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let pairs = text.as_bytes().chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return None;
    }
    pairs
        .map(|pair| match pair {
            [high, low] => Some(digit(*high)? << 4 | digit(*low)?),
            _ => None,
        })
        .collect()
}

/// RFC 3986 encoding: every byte but the unreserved ones (and `/` when
/// asked) as `%XY`.
fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    let mut encoded = String::with_capacity(bytes.len());
    for &byte in bytes {
        if byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && byte == b'/')
        {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// A query string's `name=value` pairs, decoded as forms are (`+` is a
/// space), as the AWS SDKs read them before signing.
pub(super) fn query_pairs(query: &str) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> + '_ {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(name), form_decode(value))
        })
}

fn form_decode(text: &str) -> Vec<u8> {
    let hex_digit = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let escaped = (byte == b'%')
            .then(|| Some(hex_digit(*bytes.get(i + 1)?)? << 4 | hex_digit(*bytes.get(i + 2)?)?))
            .flatten();
        match (byte, escaped) {
            (_, Some(escaped)) => {
                decoded.push(escaped);
                i += 3;
            }
            (b'+', None) => {
                decoded.push(b' ');
                i += 1;
            }
            (byte, None) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    decoded
}

/// Its fixtures (alice, her key and request body, the real signer) serve
/// `function_url`'s tests too.
#[cfg(test)]
pub(super) mod tests {
    use std::borrow::Cow;
    use std::time::{Duration as StdDuration, SystemTime};

    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{
        sign, PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings,
    };
    use aws_sigv4::sign::v4;
    use axum::http::{HeaderName, HeaderValue};

    use super::*;

    pub(in super::super) const HOST: &str = "127.0.0.1:4704";
    pub(in super::super) const KEY: &str = "AKIAALICE";
    pub(in super::super) const SECRET: &str = "alice's secret";

    pub(in super::super) fn alice() -> Credentials {
        Credentials::new(KEY, SECRET, None, None, "test")
    }

    /// A request as the door receives it (function_url's tests read it too).
    pub(in super::super) struct Received {
        pub(in super::super) method: Method,
        pub(in super::super) uri: Uri,
        pub(in super::super) headers: HeaderMap,
        pub(in super::super) body: Vec<u8>,
    }

    impl Received {
        fn request(&self) -> Request<'_> {
            Request {
                method: &self.method,
                uri: &self.uri,
                headers: &self.headers,
                body: &self.body,
            }
        }

        fn set(&mut self, name: &'static str, value: &str) {
            self.headers
                .insert(name, HeaderValue::from_str(value).unwrap());
        }
    }

    /// What the real AWS signer adds to a request: its headers, by name.
    pub(in super::super) fn signature_headers(
        credentials: &Credentials,
        region: &str,
        service: &str,
        at: SystemTime,
        settings: SigningSettings,
        (method, url, headers, body): (&str, &str, &[(&str, &str)], &[u8]),
    ) -> Vec<(String, String)> {
        let identity = credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name(service)
            .time(at)
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let request = SignableRequest::new(
            method,
            url,
            headers.iter().copied(),
            SignableBody::Bytes(body),
        )
        .unwrap();
        let (instructions, _) = sign(request, &params).unwrap().into_parts();
        instructions
            .headers()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect()
    }

    const PATH: &str = "/lambda-url/submit-api/requests/a%20b?b=2&a=1";
    pub(in super::super) const BODY: &[u8] = br#"{"title":"Deploy"}"#;
    const HEADERS: [(&str, &str); 2] = [
        ("content-type", "application/json"),
        ("user-agent", "hitl/test"),
    ];

    /// A POST signed by `credentials` for `region` and `service` at `at`.
    fn signed_with(
        credentials: &Credentials,
        region: &str,
        service: &str,
        at: SystemTime,
        settings: SigningSettings,
    ) -> Received {
        let url = format!("http://{HOST}{PATH}");
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static(HOST));
        for (name, value) in HEADERS {
            headers.insert(name, HeaderValue::from_static(value));
        }
        let request = ("POST", url.as_str(), &HEADERS[..], BODY);
        for (name, value) in signature_headers(credentials, region, service, at, settings, request)
        {
            headers.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(&value).unwrap(),
            );
        }
        Received {
            method: Method::POST,
            uri: PATH.parse().unwrap(),
            headers,
            body: BODY.to_vec(),
        }
    }

    fn signed(credentials: &Credentials) -> Received {
        signed_with(
            credentials,
            REGION,
            SERVICE,
            SystemTime::now(),
            SigningSettings::default(),
        )
    }

    fn checked(request: &Received) -> Result<Signer, SignatureError> {
        let secret_of = |key_id: &str| (key_id == KEY).then_some(SECRET);
        check(&request.request(), secret_of, OffsetDateTime::now_utc())
    }

    #[test]
    fn a_signed_post_verifies() {
        let signer = checked(&signed(&alice())).unwrap();
        assert!(signer.verified);
        assert_eq!(signer.credential.key_id, KEY);
        assert_eq!(signer.credential.service, "lambda");
    }

    #[test]
    fn a_post_signed_with_its_body_hash_header_verifies() {
        // As curl --aws-sigv4 signs: with `x-amz-content-sha256`.
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let request = signed_with(&alice(), REGION, SERVICE, SystemTime::now(), settings);
        assert!(request.headers.contains_key("x-amz-content-sha256"));
        assert!(checked(&request).unwrap().verified);
    }

    #[test]
    fn a_post_signed_with_a_session_token_verifies() {
        let credentials = Credentials::new(KEY, SECRET, Some("the-token".into()), None, "test");
        let request = signed(&credentials);
        assert_eq!(request.headers["x-amz-security-token"], "the-token");
        assert!(checked(&request).unwrap().verified);
    }

    #[test]
    fn a_forged_body_is_refused_as_a_signature_mismatch() {
        let mut request = signed(&alice());
        request.body = br#"{"title":"Drop the database"}"#.to_vec();
        assert_eq!(checked(&request), Err(SignatureError::Mismatch));

        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let mut request = signed_with(&alice(), REGION, SERVICE, SystemTime::now(), settings);
        request.body = br#"{"title":"Drop the database"}"#.to_vec();
        assert_eq!(checked(&request), Err(SignatureError::Mismatch));
    }

    #[test]
    fn a_forged_header_path_or_query_is_refused_as_a_signature_mismatch() {
        let mut request = signed(&alice());
        request.set("content-type", "text/plain");
        assert_eq!(checked(&request), Err(SignatureError::Mismatch));

        let mut request = signed(&alice());
        request.uri = "/lambda-url/submit-api/requests/a%20b?b=3&a=1"
            .parse()
            .unwrap();
        assert_eq!(checked(&request), Err(SignatureError::Mismatch));

        let mut request = signed(&alice());
        request.uri = "/lambda-url/submit-api/other?b=2&a=1".parse().unwrap();
        assert_eq!(checked(&request), Err(SignatureError::Mismatch));
    }

    #[test]
    fn a_signature_made_with_another_secret_is_refused() {
        let impostor = Credentials::new(KEY, "a guess", None, None, "test");
        assert_eq!(checked(&signed(&impostor)), Err(SignatureError::Mismatch));
    }

    #[test]
    fn a_key_the_door_has_no_secret_for_is_left_to_sts() {
        let stranger = Credentials::new("ASIATEMPORARY", "?", Some("t".into()), None, "test");
        let signer = checked(&signed(&stranger)).unwrap();
        assert!(!signer.verified);
        assert_eq!(signer.credential.key_id, "ASIATEMPORARY");
    }

    #[test]
    fn another_region_or_service_is_refused() {
        let now = SystemTime::now();
        let request = signed_with(
            &alice(),
            "eu-west-1",
            SERVICE,
            now,
            SigningSettings::default(),
        );
        assert_eq!(
            checked(&request),
            Err(SignatureError::Scope(
                "Credential should be scoped to a valid region, not 'eu-west-1'. ".into()
            ))
        );

        let request = signed_with(
            &alice(),
            REGION,
            "execute-api",
            now,
            SigningSettings::default(),
        );
        assert_eq!(
            checked(&request),
            Err(SignatureError::Scope(
                "Credential should be scoped to correct service: 'lambda'. ".into()
            ))
        );
    }

    #[test]
    fn a_stale_or_future_signature_is_refused() {
        let six_minutes = StdDuration::from_secs(6 * 60);
        for (at, prefix) in [
            (SystemTime::now() - six_minutes, "Signature expired: "),
            (
                SystemTime::now() + six_minutes,
                "Signature not yet current: ",
            ),
        ] {
            let request = signed_with(&alice(), REGION, SERVICE, at, SigningSettings::default());
            match checked(&request) {
                Err(SignatureError::Skewed(message)) => {
                    assert!(message.starts_with(prefix), "{message}");
                }
                other => panic!("{other:?}"),
            }
        }
        // Within the window either way it verifies.
        let four_minutes = StdDuration::from_secs(4 * 60);
        for at in [
            SystemTime::now() - four_minutes,
            SystemTime::now() + four_minutes,
        ] {
            let request = signed_with(&alice(), REGION, SERVICE, at, SigningSettings::default());
            assert!(checked(&request).unwrap().verified);
        }
    }

    #[test]
    fn a_signature_without_the_host_is_refused() {
        let mut settings = SigningSettings::default();
        settings
            .excluded_headers
            .get_or_insert_with(Vec::new)
            .push(Cow::Borrowed("host"));
        let request = signed_with(&alice(), REGION, SERVICE, SystemTime::now(), settings);
        assert_eq!(
            checked(&request),
            Err(SignatureError::Malformed(
                "'Host' must be a 'SignedHeader' in the AWS Authorization.".into()
            ))
        );
    }

    #[test]
    fn no_or_an_unreadable_authorization_is_forbidden() {
        let mut request = signed(&alice());
        request.headers.remove("authorization");
        assert_eq!(checked(&request), Err(SignatureError::Unreadable));
        for unreadable in [
            "Bearer abc",
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA256 Credential=AKIAALICE/20260101/us-east-1/lambda, \
             SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256 Credential=AKIAALICE/20260101/us-east-1/lambda/aws4_request, \
             SignedHeaders=host",
        ] {
            request.set("authorization", unreadable);
            assert_eq!(
                checked(&request),
                Err(SignatureError::Unreadable),
                "{unreadable}"
            );
        }
    }

    /// AWS's SigV4 test suite ("post-vanilla" and neighbours): the key, the
    /// time and the expected texts are the suite's.
    #[test]
    fn the_canonical_request_matches_the_sigv4_test_suite() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.append(*name, HeaderValue::from_static(value));
            }
            map
        };
        let signed = ["host".to_owned(), "x-amz-date".to_owned()];
        let empty = sha256_hex(b"");
        let vanilla = headers(&[
            ("host", "example.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
        ]);

        let canonical = canonical_request("POST", "/", "", &vanilla, &signed, &empty);
        assert_eq!(
            canonical,
            "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n\
             host;x-amz-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let scope = "20150830/us-east-1/service/aws4_request";
        let to_sign = string_to_sign("20150830T123600Z", scope, &canonical);
        assert_eq!(
            to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
             553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"
        );
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830",
            "us-east-1",
            "service",
        )
        .unwrap();
        assert_eq!(
            hex(&hmac(&key, to_sign.as_bytes()).unwrap()),
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        );

        // get-vanilla-query-order-key-case: parameters sorted.
        let canonical = canonical_request(
            "GET",
            "/",
            "Param2=value2&Param1=value1",
            &vanilla,
            &signed,
            &empty,
        );
        assert_eq!(
            canonical.lines().nth(2),
            Some("Param1=value1&Param2=value2")
        );
        // double-encode-path: the path as sent, encoded once more.
        assert_eq!(
            canonical_uri("/test/@connections/JBDvjfGEIAMCERw%3D"),
            "/test/%40connections/JBDvjfGEIAMCERw%253D"
        );
        // get-slash-dot-slash and get-relative-relative, normalised.
        assert_eq!(canonical_uri("/./"), "/");
        assert_eq!(canonical_uri("/example1/example2/../.."), "/");
        assert_eq!(canonical_uri("//example//"), "/example/");
        // get-header-value-trim and get-header-key-duplicate.
        let trimmed = headers(&[
            ("my-header1", " value1"),
            ("my-header2", "\"a   b   c\""),
            ("my-header3", "value2"),
            ("my-header3", "value1"),
        ]);
        let names = ["my-header1", "my-header2", "my-header3"].map(str::to_owned);
        assert_eq!(
            canonical_headers(&trimmed, &names),
            "my-header1:value1\nmy-header2:\"a b c\"\nmy-header3:value2,value1\n"
        );
    }

    #[test]
    fn query_parameters_are_decoded_then_encoded_as_sigv4_asks() {
        assert_eq!(canonical_query("b=x+y&a=%7e&a=1&c"), "a=1&a=~&b=x%20y&c=");
        assert_eq!(canonical_query("k=%zz"), "k=%25zz");
    }
}
