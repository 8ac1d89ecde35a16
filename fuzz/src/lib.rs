//! Helpers shared by the fuzz targets in `fuzz_targets/`.

/// Whether any key at any depth names a file to read (`auth_token_file`, `secret_file`, …).
pub fn names_a_file(table: &toml::Table) -> bool {
    table
        .iter()
        .any(|(key, value)| key.ends_with("_file") || value_names_a_file(value))
}

fn value_names_a_file(value: &toml::Value) -> bool {
    match value {
        toml::Value::Table(table) => names_a_file(table),
        toml::Value::Array(items) => items.iter().any(value_names_a_file),
        _ => false,
    }
}
