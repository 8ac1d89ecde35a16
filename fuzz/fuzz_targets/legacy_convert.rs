//! The old Python flow-file converter: `convert` never panics (it reads the file, never runs
//! it), and whatever it produces is TOML that the loader reads without a TOML error.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vbx::config::{legacy, load_str, LoadError, Overrides};
use vbx_fuzz::names_a_file;

fuzz_target!(|source: &str| {
    let Ok(converted) = legacy::convert(source) else {
        return;
    };
    let table: toml::Table = match toml::from_str(&converted) {
        Ok(table) => table,
        Err(e) => panic!("the converter wrote invalid TOML: {e}\n{converted}"),
    };
    // The loader reads `*_file` secrets from disk; the converter never writes such keys.
    assert!(!names_a_file(&table), "{converted}");
    // Invalid values (a bad SID, an unknown device) are the user's to fix; a TOML error would
    // be the converter's fault.
    if let Err(LoadError::Toml { message }) = load_str(&converted, &Overrides::default(), &|_| None)
    {
        panic!("the loader refused the converter's TOML: {message}\n{converted}");
    }
});
