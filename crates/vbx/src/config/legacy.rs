//! Reads the old Python program's flow file (a literal subset, never executed) into TOML.
