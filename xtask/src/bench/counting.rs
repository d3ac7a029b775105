//! A counting HTTP proxy in front of DynamoDB Local: it forwards every
//! request unchanged and counts them by operation (`X-Amz-Target`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;

pub type Counts = BTreeMap<String, u64>;

#[derive(Clone)]
pub struct CountingProxy {
    pub url: String,
    counts: Arc<Mutex<Counts>>,
}

#[derive(Clone)]
struct Upstream {
    http: reqwest::Client,
    base: String,
    counts: Arc<Mutex<Counts>>,
}

impl CountingProxy {
    /// Starts a proxy to `upstream` (e.g. `http://127.0.0.1:4800`) on an
    /// ephemeral port; it serves until the benchmark ends.
    pub async fn start(upstream: String) -> anyhow::Result<Self> {
        let counts: Arc<Mutex<Counts>> = Arc::default();
        let state = Upstream {
            http: reqwest::Client::new(),
            base: upstream,
            counts: counts.clone(),
        };
        let app = Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self { url, counts })
    }

    /// The counts so far, and starts again from zero.
    pub fn take(&self) -> Counts {
        std::mem::take(&mut *self.counts.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

async fn forward(
    State(upstream): State<Upstream>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let operation = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(|t| t.rsplit('.').next().unwrap_or(t).to_owned())
        .unwrap_or_else(|| format!("{method} {}", uri.path()));
    *upstream
        .counts
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(operation)
        .or_default() += 1;
    let url = format!(
        "{}{}",
        upstream.base,
        uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let mut request = upstream.http.request(method, url).body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            request = request.header(name.as_str(), value.as_bytes());
        }
    }
    match request.send().await {
        Ok(answer) => {
            let status =
                StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let mut headers = HeaderMap::new();
            for (name, value) in answer.headers() {
                if name == "content-length" || name == "transfer-encoding" {
                    continue;
                }
                if let (Ok(name), Ok(value)) = (
                    axum::http::HeaderName::from_bytes(name.as_str().as_bytes()),
                    axum::http::HeaderValue::from_bytes(value.as_bytes()),
                ) {
                    headers.insert(name, value);
                }
            }
            let bytes = answer.bytes().await.unwrap_or_default();
            (status, headers, bytes).into_response()
        }
        Err(err) => (StatusCode::BAD_GATEWAY, err.to_string()).into_response(),
    }
}

/// All calls together.
pub fn total(counts: &Counts) -> u64 {
    counts.values().sum()
}

/// `after - before`, key by key, without the zeros.
pub fn difference(before: &Counts, after: &Counts) -> Counts {
    after
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.saturating_sub(before.get(k).copied().unwrap_or(0)),
            )
        })
        .filter(|(_, v)| *v > 0)
        .collect()
}

/// `GetItem ×1, UpdateItem ×2`.
pub fn describe(counts: &Counts) -> String {
    if counts.is_empty() {
        return "none".into();
    }
    counts
        .iter()
        .map(|(k, v)| format!("{k} ×{v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_keep_what_changed() {
        let before = Counts::from([("A".into(), 2), ("B".into(), 1)]);
        let after = Counts::from([("A".into(), 5), ("B".into(), 1), ("C".into(), 1)]);
        let diff = difference(&before, &after);
        assert_eq!(describe(&diff), "A ×3, C ×1");
        assert_eq!(total(&diff), 4);
        assert_eq!(describe(&Counts::new()), "none");
    }
}
