//! The TwiML reader on messaging responses: `read_messaging` never panics, and any document it
//! accepts is written back to XML that reads as the same document.

#![no_main]

use libfuzzer_sys::fuzz_target;
use twilio::twiml::read_messaging;

fuzz_target!(|xml: &str| {
    let Ok(doc) = read_messaging(xml) else {
        return;
    };
    let written = doc.to_xml();
    match read_messaging(&written) {
        Ok(again) => assert_eq!(again, doc, "written as {written}"),
        Err(e) => panic!("the writer's own output was refused: {e}\n{written}"),
    }
});
