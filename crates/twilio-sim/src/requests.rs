//! A count of the REST requests the simulator received, per endpoint (method and route
//! pattern, SIDs left as `{placeholders}`) and per answer status, so a test or a benchmark can
//! tell how often a client calls Twilio and for what.

use std::collections::BTreeMap;

use axum::extract::{MatchedPath, Request};
use serde::Serialize;

use crate::Sim;

/// Where a request went: `GET /2010-04-01/Accounts/{account}/Messages.json`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Endpoint {
    pub method: String,
    /// The route pattern; `(no route)` for paths the API does not have.
    pub path: String,
}

impl Endpoint {
    pub(crate) fn of(request: &Request) -> Endpoint {
        let path = request
            .extensions()
            .get::<MatchedPath>()
            .map_or_else(|| "(no route)".to_owned(), |p| p.as_str().to_owned());
        Endpoint {
            method: request.method().as_str().to_owned(),
            path,
        }
    }
}

/// What one endpoint received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EndpointCount {
    /// Requests that arrived (whether or not their answer reached the client).
    pub count: u64,
    /// Answers by HTTP status; held answers count when they are produced.
    pub statuses: BTreeMap<u16, u64>,
}

/// Every REST request since the start, the last reset or [`Sim::clear_rest_requests`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestLog {
    endpoints: BTreeMap<Endpoint, EndpointCount>,
}

impl RequestLog {
    pub(crate) fn arrived(&mut self, endpoint: &Endpoint) {
        self.endpoints.entry(endpoint.clone()).or_default().count += 1;
    }

    pub(crate) fn answered(&mut self, endpoint: &Endpoint, status: u16) {
        *self
            .endpoints
            .entry(endpoint.clone())
            .or_default()
            .statuses
            .entry(status)
            .or_default() += 1;
    }

    /// All requests, every endpoint together.
    pub fn total(&self) -> u64 {
        self.endpoints.values().map(|c| c.count).sum()
    }

    /// The requests to one endpoint, e.g. `count("GET", "/2010-04-01/Accounts/{account}/Calls.json")`.
    pub fn count(&self, method: &str, path: &str) -> u64 {
        self.endpoints
            .iter()
            .find(|(e, _)| e.method == method && e.path == path)
            .map_or(0, |(_, c)| c.count)
    }

    /// Each endpoint that received something, in method and path order.
    pub fn endpoints(&self) -> impl Iterator<Item = (&Endpoint, &EndpointCount)> {
        self.endpoints.iter()
    }

    /// `{"total": N, "endpoints": [{"method", "path", "count", "statuses": {"200": N}}]}`.
    pub fn to_json(&self) -> serde_json::Value {
        let endpoints: Vec<serde_json::Value> = self
            .endpoints
            .iter()
            .map(|(e, c)| {
                serde_json::json!({
                    "method": e.method,
                    "path": e.path,
                    "count": c.count,
                    "statuses": c.statuses,
                })
            })
            .collect();
        serde_json::json!({ "total": self.total(), "endpoints": endpoints })
    }
}

impl Sim {
    /// The REST requests received so far (the control API's are not counted).
    pub fn rest_requests(&self) -> RequestLog {
        self.read_state(|s| s.requests.clone())
    }

    /// Starts counting REST requests from zero.
    pub fn clear_rest_requests(&self) {
        self.with_state(|s| s.requests = RequestLog::default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(method: &str, path: &str) -> Endpoint {
        Endpoint {
            method: method.to_owned(),
            path: path.to_owned(),
        }
    }

    #[test]
    fn requests_are_counted_per_endpoint_and_answers_per_status() {
        let mut log = RequestLog::default();
        let list = endpoint("GET", "/2010-04-01/Accounts/{account}/Calls.json");
        let create = endpoint("POST", "/2010-04-01/Accounts/{account}/Messages.json");
        log.arrived(&list);
        log.answered(&list, 200);
        log.arrived(&list);
        log.answered(&list, 500);
        log.arrived(&create);

        assert_eq!(log.total(), 3);
        assert_eq!(log.count("GET", &list.path), 2);
        assert_eq!(log.count("POST", &create.path), 1);
        assert_eq!(log.count("DELETE", &create.path), 0);
        assert_eq!(
            log.to_json(),
            serde_json::json!({"total": 3, "endpoints": [
                {"method": "GET", "path": list.path, "count": 2, "statuses": {"200": 1, "500": 1}},
                {"method": "POST", "path": create.path, "count": 1, "statuses": {}},
            ]})
        );
    }
}
