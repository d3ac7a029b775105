//! The approval page's HTTP: what a page is (a status, HTML, maybe a
//! redirect), the headers every page goes out with (no caching, no
//! referrer to other sites, no framing, a strict content security policy),
//! how a form post proves it came from our own page, and reading forms.
//! `handler.rs` decides what page to show.

use lambda_http::http::header::{HeaderName, HeaderValue, CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::page;

/// The largest form body accepted; a token and a comment fit easily.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// A page and its status, or a redirect to another page.
pub struct Page {
    pub status: StatusCode,
    pub html: String,
    location: Option<String>,
}

impl Page {
    pub fn new(status: StatusCode, html: String) -> Self {
        Self {
            status,
            html,
            location: None,
        }
    }

    /// `303 See Other` to `location`: after a decision the browser shows the
    /// link's page by `GET`, so a reload or the back button never posts again.
    pub fn see_other(location: String, heading: &str) -> Self {
        Self {
            status: StatusCode::SEE_OTHER,
            html: page::message(heading, "Your decision is recorded."),
            location: Some(location),
        }
    }

    pub fn message(status: StatusCode, heading: &str, text: &str) -> Self {
        Self::new(status, page::message(heading, text))
    }
}

/// A browser says where a form post comes from: `Sec-Fetch-Site` (every
/// current browser) and `Origin`. `Sec-Fetch-Site` is read first and must
/// be `same-origin`; a browser without it is judged by `Origin`, which our
/// own page sends in full (its referrer policy is `same-origin`) and which
/// is `null` from sandboxed or opaque pages. A request with neither comes
/// from a client that is not a browser, holding the token itself: no
/// forgery across sites is possible there.
pub fn refuse_foreign_post(request: &Request) -> Option<Page> {
    let headers = request.headers();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let is_form = header("content-type").is_some_and(|t| {
        t.split(';').next().is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    });
    if !is_form {
        return Some(Page::message(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Not a form",
            "Decisions are made with the form on the approval page.",
        ));
    }
    // A browser sends each of these once; several are a forgery.
    let repeated = ["origin", "sec-fetch-site"]
        .iter()
        .any(|name| headers.get_all(*name).iter().count() > 1);
    let foreign = repeated
        || match (header("sec-fetch-site"), header("origin")) {
            (Some(site), _) => site != "same-origin",
            (None, Some(origin)) => !is_own_origin(origin, header("host")),
            (None, None) => false,
        };
    foreign.then(|| {
        Page::message(
            StatusCode::FORBIDDEN,
            "Refused",
            "This form can only be sent from the approval page itself; nothing was changed. \
             Open the link from your notification and press the button there.",
        )
    })
}

/// Whether `origin` (`scheme://host[:port]`) names the host that was asked.
pub fn is_own_origin(origin: &str, host: Option<&str>) -> bool {
    let Some((_, origin_host)) = origin.split_once("://") else {
        return false; // `null`, or not an origin at all
    };
    host.is_some_and(|host| origin_host.eq_ignore_ascii_case(host))
}

/// The first value of `name` in a URL-encoded form or query string.
pub fn form_value(encoded: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(encoded)
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Every page goes out with headers that keep it out of caches, referrers
/// and frames.
pub fn respond(page: Page) -> Response<Body> {
    let mut response = Response::new(Body::from(page.html));
    *response.status_mut() = page.status;
    let headers = response.headers_mut();
    if let Some(location) = page.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(LOCATION, location);
    }
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let fixed = [
        // `same-origin`: the token in the address never leaves for another
        // site, and our own form post still carries its full Origin (with
        // `no-referrer`, browsers send `Origin: null`).
        ("referrer-policy", "same-origin"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
    ];
    for (name, value) in fixed {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    if let Ok(csp) = HeaderValue::from_str(page::content_security_policy()) {
        headers.insert(HeaderName::from_static("content-security-policy"), csp);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_scheme_and_host_is_our_origin() {
        let host = Some("abc.lambda-url.eu-west-1.on.aws");
        assert!(is_own_origin(
            "https://abc.lambda-url.eu-west-1.on.aws",
            host
        ));
        assert!(is_own_origin(
            "https://ABC.lambda-url.eu-west-1.on.aws",
            host
        ));
        // What a page with `Referrer-Policy: no-referrer` posts, and others.
        for foreign in [
            "null",
            "https://evil.example",
            "abc.lambda-url.eu-west-1.on.aws",
        ] {
            assert!(!is_own_origin(foreign, host), "{foreign}");
        }
        assert!(!is_own_origin(
            "https://abc.lambda-url.eu-west-1.on.aws",
            None
        ));
    }
}
