//! The TwiML reader on voice responses: `read_voice` never panics, and any document it accepts
//! is written back to XML that reads as the same document.

#![no_main]

use libfuzzer_sys::fuzz_target;
use twilio::twiml::read_voice;

fuzz_target!(|xml: &str| {
    let Ok(doc) = read_voice(xml) else {
        return;
    };
    let written = doc.to_xml();
    match read_voice(&written) {
        Ok(again) => assert_eq!(again, doc, "written as {written}"),
        Err(e) => panic!("the writer's own output was refused: {e}\n{written}"),
    }
});
