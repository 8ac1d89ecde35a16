fn main() -> std::process::ExitCode {
    vbx::cli::main()
}
