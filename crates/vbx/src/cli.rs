//! The command line: `vbx serve`, `vbx check`, `vbx import-flows`, `vbx send-test-email`. Kept apart from `main.rs`
//! so tests can run each command and read what it prints.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{self, LoadError, Overrides};

#[derive(Debug, Parser)]
#[command(
    name = "vbx",
    version,
    about = "A self-hosted phone for one Twilio number"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run vbx: the webhooks Twilio calls, and the app.
    Serve(Serve),
    /// Check a configuration file and print every problem, or a summary of its flows.
    Check {
        /// The configuration (TOML, or an old Python flow file).
        config: PathBuf,
    },
    /// Convert an old Python flow file to TOML (printed on standard output).
    ImportFlows {
        /// The old program's flow file.
        file: PathBuf,
    },
    /// Print a commented example configuration.
    ExampleConfig,
    /// Send a test email through an email device's SMTP settings, explaining any failure.
    SendTestEmail {
        /// The configuration (TOML, or an old Python flow file).
        #[arg(long, short)]
        config: PathBuf,
        /// The email device to test (needed when there are several).
        #[arg(long)]
        device: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct Serve {
    /// The configuration file (TOML, or an old Python flow file).
    #[arg(long, short)]
    pub config: PathBuf,
    #[command(flatten)]
    pub overrides: OverrideArgs,
}

#[derive(Debug, Args, Default)]
pub struct OverrideArgs {
    /// Address to listen on, overriding `server.listen`.
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
    /// The URL Twilio uses to reach vbx, overriding `server.public_url`.
    #[arg(long)]
    pub public_url: Option<String>,
    /// Where vbx keeps its data, overriding `server.data_dir`.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

impl OverrideArgs {
    pub fn to_overrides(&self) -> Overrides {
        Overrides {
            listen: self.listen,
            public_url: self.public_url.clone(),
            data_dir: self.data_dir.clone(),
        }
    }
}

fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = &mut std::io::stdout().lock();
    let stderr = &mut std::io::stderr().lock();
    match cli.command {
        Command::Serve(serve) => run_serve(&serve),
        Command::Check { config } => check(&config, &process_env, stdout, stderr),
        Command::ImportFlows { file } => import_flows(&file, stdout, stderr),
        Command::ExampleConfig => {
            let _ = stdout.write_all(config::EXAMPLE.as_bytes());
            ExitCode::SUCCESS
        }
        Command::SendTestEmail { config, device } => {
            send_test_email(&config, device.as_deref(), &process_env, stdout, stderr)
        }
    }
}

/// `vbx send-test-email`: exit 0 once the SMTP server took the test email, or 1 with what
/// went wrong and a hint.
pub fn send_test_email(
    path: &Path,
    device: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode {
    let config = match config::load(path, &Overrides::default(), env) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(err, "{}: {}", path.display(), describe(&e));
            return ExitCode::FAILURE;
        }
    };
    let (name, email) = match email_device(&config, device) {
        Ok(found) => found,
        Err(problem) => {
            let _ = writeln!(err, "{}: {problem}", path.display());
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(crate::device::email::send_test_email(email)) {
        Ok(()) => {
            let _ = writeln!(
                out,
                "Sent a test email from {} to {} through {}:{} (device `{name}`); check that \
                 inbox.",
                email.from, email.to, email.smtp_host, email.smtp_port
            );
            ExitCode::SUCCESS
        }
        Err(problem) => {
            let env_name: String = name
                .chars()
                .map(|c| {
                    if c == '-' {
                        '_'
                    } else {
                        c.to_ascii_uppercase()
                    }
                })
                .collect();
            let problem = problem.replace("<NAME>", &env_name);
            let _ = writeln!(err, "device `{name}`: {problem}");
            ExitCode::FAILURE
        }
    }
}

/// The email device called `name`, or the only one.
fn email_device<'a>(
    config: &'a config::Config,
    name: Option<&str>,
) -> Result<(&'a str, &'a config::Email), String> {
    let emails: Vec<(&str, &config::Email)> = config
        .devices
        .iter()
        .filter_map(|(n, d)| match d {
            config::Device::Email(e) => Some((n.as_str(), e)),
            _ => None,
        })
        .collect();
    let names = || {
        emails
            .iter()
            .map(|(n, _)| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (name, emails.as_slice()) {
        (None, []) => Err("there is no email device in [devices]".to_owned()),
        (None, [only]) => Ok(*only),
        (None, _) => Err(format!(
            "there are several email devices ({}); choose one with --device",
            names()
        )),
        (Some(name), _) => emails
            .iter()
            .find(|(n, _)| *n == name)
            .copied()
            .ok_or_else(|| {
                if emails.is_empty() {
                    format!("`{name}` is not an email device, and there is none in [devices]")
                } else {
                    format!(
                        "`{name}` is not an email device; email devices: {}",
                        names()
                    )
                }
            }),
    }
}

/// `vbx check`: exit 0 with a summary, or 1 with every problem.
pub fn check(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode {
    match config::load(path, &Overrides::default(), env) {
        Ok(config) => {
            let _ = writeln!(out, "{} is valid.\n", path.display());
            let _ = write!(out, "{}", config::summary(&config));
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(err, "{}: {}", path.display(), describe(&e));
            ExitCode::FAILURE
        }
    }
}

fn describe(e: &LoadError) -> String {
    match e {
        LoadError::Invalid(problems) => {
            let mut text = format!("{} problem(s):\n", problems.len());
            for p in problems {
                text.push_str(&format!("  {p}\n"));
            }
            text
        }
        other => format!("{other}\n"),
    }
}

/// `vbx import-flows`: the TOML on stdout, or the error with its line and column.
pub fn import_flows(path: &Path, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    let source = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(err, "{}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    };
    match config::legacy::convert(&source) {
        Ok(toml) => {
            let _ = out.write_all(toml.as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(err, "{}:{e}", path.display());
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("VBX_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

fn run_serve(serve: &Serve) -> ExitCode {
    init_tracing();
    let config = match config::load(&serve.config, &serve.overrides.to_overrides(), &process_env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}: {}", serve.config.display(), describe(&e));
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let app = crate::App::build(config).await?;
        app.run_until(shutdown_signal()).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("vbx: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
