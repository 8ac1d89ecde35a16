//! The `vbx` command: parses the command line and runs it (`vbx::cli`).

/// mimalloc instead of glibc's malloc (see the `mimalloc` feature in Cargo.toml).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    vbx::cli::main()
}
