//! The REST API over HTTP against a real simulator on port 0: schema conformance with the
//! official OpenAPI spec, auth, Twilio's validation errors, paging, filters, media, faults.

#[path = "rest/support.rs"]
mod support;

#[path = "rest/schema.rs"]
mod schema;

#[path = "rest/auth.rs"]
mod auth;
#[path = "rest/call.rs"]
mod call;
#[path = "rest/conformance.rs"]
mod conformance;
#[path = "rest/control.rs"]
mod control;
#[path = "rest/fault.rs"]
mod fault;
#[path = "rest/message.rs"]
mod message;
#[path = "rest/number.rs"]
mod number;
#[path = "rest/recording.rs"]
mod recording;
