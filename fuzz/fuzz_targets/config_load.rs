//! The configuration loader on arbitrary text (TOML, or an old flow file it recognises):
//! `load_str` never panics and reports every refusal as an error.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vbx::config::{legacy, load_str, Overrides};
use vbx_fuzz::names_a_file;

fuzz_target!(|text: &str| {
    // `*_file` keys make the loader read files: a generated `/dev/zero` or `/dev/stdin` would
    // hang the fuzzer without saying anything about the parser, so such inputs are skipped.
    let reads_files =
        |toml: &str| toml::from_str::<toml::Table>(toml).is_ok_and(|table| names_a_file(&table));
    if reads_files(text) || legacy::convert(text).is_ok_and(|converted| reads_files(&converted)) {
        return;
    }
    let _ = load_str(text, &Overrides::default(), &|_| None);
});
