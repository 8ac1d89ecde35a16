//! The XMPP device's stream reader on whatever the server sends after the stream opening, and
//! the gateway's handling of every stanza read: neither may panic, and the stanzas the gateway
//! answers with are written without trouble.

#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tokio::runtime::Runtime;
use twilio::PhoneNumber;
use vbx::device::xmpp::stream::{StreamEvent, XmlReader, NS_COMPONENT, NS_STREAM};
use vbx::device::xmpp::{Gateway, Outcome};

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
    })
}

fn gateway() -> Gateway {
    let number = PhoneNumber::parse("+18001234567").expect("a valid number");
    let contact = PhoneNumber::parse("+18005551212").expect("a valid number");
    Gateway::new(
        "sms.example.com",
        "owner@example.com",
        number,
        BTreeMap::from([(contact, "Alice".to_owned())]),
    )
}

fuzz_target!(|data: &[u8]| {
    // Starting inside an open component stream lets the fuzzer spend its bytes on stanzas.
    let mut stream =
        format!("<stream:stream xmlns='{NS_COMPONENT}' xmlns:stream='{NS_STREAM}' id='x'>")
            .into_bytes();
    stream.extend_from_slice(data);
    runtime().block_on(async {
        let mut reader = XmlReader::new(stream.as_slice());
        let mut gateway = gateway();
        gateway.on_connect();
        // The reader stops at the first error, the end of input included.
        while let Ok(event) = reader.next().await {
            let StreamEvent::Element(stanza) = event else {
                continue;
            };
            for outcome in gateway.on_stanza(&stanza) {
                if let Outcome::Send(reply) = outcome {
                    let _ = reply.to_xml(NS_COMPONENT);
                }
            }
        }
    });
});
