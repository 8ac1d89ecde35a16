//! Reading the configuration file (TOML or an old Python flow file) and applying overrides.
