//! The HTML pages: small, accessible, no JavaScript, every field escaped.

use std::fmt::Write;
use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hitl_approvals::links::LinkToken;
use hitl_contract::record::LINK_DECIDER;
use hitl_contract::{ApprovalRecord, Evidence, Outcome, Status, Timestamp};
use sha2::{Digest, Sha256};

const STYLE: &str = "\
body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;background:#fff}\
h1{font-size:1.4rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0}\
pre{white-space:pre-wrap;word-break:break-word;background:#f3f3f3;padding:.5rem}\
textarea{width:100%;box-sizing:border-box;font:inherit}\
button{font:inherit;padding:.5rem 1.25rem;margin:.75rem .5rem 0 0;border:2px solid #1b1b1b;border-radius:4px;cursor:pointer}\
.approve{background:#0b6e2e;color:#fff;border-color:#0b6e2e}.reject{background:#fff;color:#9b1c1c;border-color:#9b1c1c}\
.note{color:#444;font-size:.9rem}.outcome{font-weight:600}\
@media (max-width:30rem){dl{grid-template-columns:1fr;gap:0}dd{margin-bottom:.5rem;overflow-wrap:anywhere}}";

/// The Content-Security-Policy of every page: nothing but our own inline
/// style (by hash) and forms posting back here.
pub fn content_security_policy() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let hash = B64.encode(Sha256::digest(STYLE.as_bytes()));
        format!(
            "default-src 'none'; style-src 'sha256-{hash}'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'"
        )
    })
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"same-origin\">\
         <meta name=\"robots\" content=\"noindex\">\
         <title>{title}</title><style>{STYLE}</style></head>\
         <body><main>{body}</main></body></html>\n",
        title = escape(title)
    )
}

/// A page that only says something: an error, or what happened.
pub fn message(heading: &str, text: &str) -> String {
    document(
        heading,
        &format!("<h1>{}</h1><p>{}</p>", escape(heading), escape(text)),
    )
}

/// `Tue 1 Dec 21:37 UTC · in 1h 59m`: short enough for a phone's line.
fn when(time: Timestamp, now: Timestamp) -> String {
    format!("{} · {}", time.readable(now), time.relative(now))
}

fn details(record: &ApprovalRecord, now: Timestamp) -> String {
    let mut rows = String::new();
    let mut row = |name: &str, value: &str| {
        let _ = write!(rows, "<dt>{}</dt><dd>{}</dd>", escape(name), escape(value));
    };
    row("Request", &record.approval_id);
    row("Requested by", &record.requester);
    if let Some(amount) = &record.amount {
        row("Amount", amount);
    }
    row("Status", record.status.as_str());
    row("Created", &when(record.created_at, now));
    if record.status == Status::Pending {
        row("Expires", &when(record.expires_at, now));
    }
    if let Some(policy) = &record.policy {
        if !policy.is_open() {
            row("Approvers", &policy.approvers.join(", "));
        }
        if policy.required > 1 {
            let counted: Vec<String> = record
                .audit
                .approvals
                .iter()
                .map(|a| named(&a.by, Some(a.evidence)))
                .collect();
            let mut text = format!("{} of {} needed", counted.len(), policy.required);
            if !counted.is_empty() {
                let _ = write!(text, ": {}", counted.join(", "));
            }
            row("Approvals", &text);
        }
    }
    if let Some(by) = &record.decided_by {
        row("Decided by", &named(by, record.audit.decision_evidence));
    }
    if let Some(comment) = &record.comment {
        row("Comment", comment);
    }
    let mut html = format!("<h1>{}</h1><dl>{rows}</dl>", escape(&record.title));
    if let Some(description) = &record.description {
        let _ = write!(
            html,
            "<h2>Description</h2><pre>{}</pre>",
            escape(description)
        );
    }
    if let Some(details) = &record.details {
        let pretty = serde_json::to_string_pretty(details).unwrap_or_default();
        let _ = write!(html, "<h2>Details</h2><pre>{}</pre>", escape(&pretty));
    }
    html
}

/// A decider as the page names them: a link's addressee `via link`.
fn named(by: &str, evidence: Option<Evidence>) -> String {
    match evidence {
        Some(Evidence::ApprovalLink) if by != LINK_DECIDER => format!("{by} via link"),
        _ => by.to_owned(),
    }
}

/// The page behind a link: the request, and a form that decides it with the
/// link's own action only (its button carries the link's token).
pub fn decision_form(
    record: &ApprovalRecord,
    token: &LinkToken,
    signed: &str,
    now: Timestamp,
) -> String {
    let (class, label, other) = match token.action {
        Outcome::Approved => ("approve", "Approve", "Reject"),
        Outcome::Rejected => ("reject", "Reject", "Approve"),
    };
    let sent_to = token
        .addressee
        .as_deref()
        .map(|to| {
            format!(
                "<p class=\"note\">This link was sent to <strong>{}</strong>: your decision is \
                 recorded under that address.</p>",
                escape(to)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "{}{sent_to}<form method=\"post\">\
         <p><label for=\"comment\">Comment (optional)</label>\
         <textarea id=\"comment\" name=\"comment\" rows=\"3\" maxlength=\"{}\"></textarea></p>\
         <button class=\"{class}\" type=\"submit\" name=\"token\" value=\"{}\">{label}</button></form>\
         <p class=\"note\">Nothing is decided until you press the button. This link can only \
         {action_word}; to {other_word} instead, use the {other} link in the same notification. \
         Each link works once.</p>",
        details(record, now),
        hitl_contract::payload::MAX_COMMENT_LEN,
        escape(signed),
        action_word = label.to_lowercase(),
        other_word = other.to_lowercase(),
    );
    document(&format!("Approval request: {}", record.title), &body)
}

/// The request as it stands, when it can no longer be decided here.
pub fn closed(record: &ApprovalRecord, heading: &str, text: &str, now: Timestamp) -> String {
    let body = format!(
        "<p class=\"outcome\" role=\"status\">{}: {}</p>{}",
        escape(heading),
        escape(text),
        details(record, now)
    );
    document(heading, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_and_attribute_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn the_policy_allows_exactly_our_style() {
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none'; style-src 'sha256-"));
        assert!(!csp.contains("unsafe"));
    }
}
