//! The command line: `vbx serve`, `vbx check`, `vbx import-flows`, `vbx send-test-email`,
//! `vbx user add`, `vbx passwd`. Kept apart from `main.rs` so tests can run each command and
//! read what it prints.

pub mod backup;
pub mod demo;
pub mod doctor;
pub mod setup;

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::user::{set_password_hash_in_file, UserChange};
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
    /// Point the number's webhooks and the TwiML App at `public_url`, create an API key if
    /// none is configured, and print what changed.
    Setup(Serve),
    /// Check that Twilio and the configuration agree, and print how to fix what does not.
    Doctor(Serve),
    /// Print a commented example configuration.
    ExampleConfig,
    /// Run vbx against a built-in Twilio simulator: no Twilio account needed.
    Demo {
        /// Your own configuration (TOML or an old flow file) to try against the simulator;
        /// its Twilio credentials are replaced by the simulator's.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Where the app listens.
        #[arg(long, default_value = "127.0.0.1:8000")]
        listen: std::net::SocketAddr,
        /// Where the simulator listens.
        #[arg(long, default_value = "127.0.0.1:8001")]
        sim_listen: std::net::SocketAddr,
        /// Keep the demo's data here (default: a new directory under the system temp dir).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Give the browser the real Twilio Voice SDK instead of the simulator's voice layer.
        /// The SDK connects to wss://voice-js.*.twilio.com/signal, which the browser must
        /// route to the simulator's /_sim/signal (the browser tests do).
        #[arg(long)]
        voice_sdk: bool,
    },
    /// Drive a running simulator (`vbx demo`): an incoming text or call from any number.
    Sim {
        /// The simulator's base URL, as `vbx demo` prints it.
        #[arg(long, default_value = "http://127.0.0.1:8001")]
        sim: String,
        #[command(subcommand)]
        action: SimCommand,
    },
    /// Send a test email through an email device's SMTP settings, explaining any failure.
    SendTestEmail {
        /// The configuration (TOML, or an old Python flow file).
        #[arg(long, short)]
        config: PathBuf,
        /// The email device to test (needed when there are several).
        #[arg(long)]
        device: Option<String>,
    },
    /// Manage who may log in to the web app.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Copy the store and its media while vbx runs: OUT (a SQLite database) and OUT.media.
    Backup {
        /// The configuration (TOML, or an old Python flow file).
        #[arg(long, short)]
        config: PathBuf,
        /// The data directory, overriding `server.data_dir`.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Where the copy goes (it must not exist); its media go to OUT.media.
        out: PathBuf,
    },
    /// Change a user's password (prompts twice; reads two lines when stdin is not a terminal).
    Passwd {
        /// The user's name.
        name: String,
        /// The configuration file to update (TOML).
        #[arg(long, short)]
        config: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// A text arrives from `--from`.
    Text {
        #[arg(long)]
        from: String,
        /// The vbx number it is sent to.
        #[arg(long)]
        to: String,
        body: String,
    },
    /// A call arrives from `--from`.
    Call {
        #[arg(long)]
        from: String,
        /// The vbx number that is called.
        #[arg(long)]
        to: String,
        /// What the caller keys in at a menu, once per menu in order: `--digits 1 --digits 2`
        /// presses 1 at the first menu and 2 at the next; `--digits ''` lets a menu time out.
        /// Menus after the last one wait for keys until they time out.
        #[arg(long, value_name = "KEYS", value_parser = crate::cli::demo::keys)]
        digits: Vec<String>,
        /// Wait for the call to end, then print what the caller heard.
        #[arg(long)]
        wait: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (prompts for the password twice; reads two lines when stdin is not a
    /// terminal) and write its argon2id hash into the configuration.
    Add {
        /// The user's name: letters, digits, `.`, `_`, `-`, `@`.
        name: String,
        /// The configuration file to update (TOML).
        #[arg(long, short)]
        config: PathBuf,
    },
}

/// Shortest password `vbx user add` and `vbx passwd` accept.
pub const MIN_PASSWORD_CHARS: usize = 8;

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
    // Unlocked handles: a lock held here for the whole command would block every log line
    // written from another thread while `serve` runs (and hang the server).
    let stdout = &mut std::io::stdout();
    let stderr = &mut std::io::stderr();
    match cli.command {
        Command::Serve(serve) => run_serve(&serve),
        Command::Check { config } => check(&config, &process_env, stdout, stderr),
        Command::ImportFlows { file } => import_flows(&file, stdout, stderr),
        Command::Setup(args) => run_twilio_command(&args, TwilioCommand::Setup, stdout, stderr),
        Command::Doctor(args) => run_twilio_command(&args, TwilioCommand::Doctor, stdout, stderr),
        Command::Demo {
            config,
            listen,
            sim_listen,
            data_dir,
            voice_sdk,
        } => run_demo(crate::cli::demo::DemoOptions {
            config,
            listen,
            sim_listen,
            data_dir,
            voice_sdk,
        }),
        Command::Sim { sim, action } => run_sim(&sim, action, stdout, stderr),
        Command::ExampleConfig => {
            let _ = stdout.write_all(config::EXAMPLE.as_bytes());
            ExitCode::SUCCESS
        }
        Command::SendTestEmail { config, device } => {
            send_test_email(&config, device.as_deref(), &process_env, stdout, stderr)
        }
        Command::User {
            command: UserCommand::Add { name, config },
        } => set_password(
            &config,
            &name,
            UserChange::Add,
            &mut prompt(),
            stdout,
            stderr,
        ),
        Command::Backup {
            config,
            data_dir,
            out,
        } => run_backup(&config, data_dir, &out, &process_env, stdout, stderr),
        Command::Passwd { name, config } => {
            let code = set_password(
                &config,
                &name,
                UserChange::ChangePassword,
                &mut prompt(),
                stdout,
                stderr,
            );
            if code == ExitCode::SUCCESS {
                end_sessions(&config, &name, &process_env, stdout, stderr)
            } else {
                code
            }
        }
    }
}

/// `vbx backup`: the store and its media, copied while vbx may be running.
fn run_backup(
    path: &Path,
    data_dir: Option<PathBuf>,
    out_path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode {
    let overrides = Overrides {
        data_dir,
        ..Overrides::default()
    };
    let config = match config::load(path, &overrides, env) {
        Ok(config) => config,
        Err(e) => {
            let _ = writeln!(err, "{}: {}", path.display(), describe(&e));
            return ExitCode::FAILURE;
        }
    };
    match crate::cli::backup::backup(&config.server.data_dir, out_path) {
        Ok(done) => {
            let _ = writeln!(
                out,
                "Backed up {} texts and {} calls to {} ({} bytes), and {} media files ({} bytes) \
                 to {}.\nTo restore: stop vbx, copy {} to <data_dir>/vbx.db and {} to \
                 <data_dir>/media, and start vbx.",
                done.messages,
                done.calls,
                out_path.display(),
                done.db_bytes,
                done.media_files,
                done.media_bytes,
                done.media_dir.display(),
                out_path.display(),
                done.media_dir.display(),
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(err, "vbx backup: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// After `vbx passwd`: ends the user's sessions in the store now, so whoever logged in with
/// the old password is out even before vbx restarts.
fn end_sessions(
    path: &Path,
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode {
    let config = match config::load(path, &Overrides::default(), env) {
        Ok(config) => config,
        Err(e) => {
            let _ = writeln!(
                err,
                "{}: {}\nthe password changed, but vbx could not find its store to end {name}'s \
                 sessions; they end when vbx next starts",
                path.display(),
                describe(&e)
            );
            return ExitCode::FAILURE;
        }
    };
    match crate::store::session::end_sessions_of(&config.server.data_dir, name) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(n) => {
            let _ = writeln!(out, "Ended {n} session(s) of {name}: they log in again.");
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(
                err,
                "the password changed, but {name}'s sessions could not be ended now ({e}); \
                 they end when vbx next starts"
            );
            ExitCode::FAILURE
        }
    }
}

/// Asks for a password without echo on a terminal; otherwise reads a line of stdin, so
/// scripts and tests can pipe it.
fn prompt() -> impl FnMut(&str) -> std::io::Result<String> {
    let tty = std::io::stdin().is_terminal();
    move |question: &str| {
        if tty {
            rpassword::prompt_password(question)
        } else {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            Ok(line.trim_end_matches(['\n', '\r']).to_owned())
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

/// `vbx user add` / `vbx passwd`: asks for the password twice, hashes it (argon2id) and
/// writes the hash into the configuration file, keeping the rest of the file as it is.
pub fn set_password(
    path: &Path,
    name: &str,
    change: UserChange,
    ask: &mut dyn FnMut(&str) -> std::io::Result<String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode {
    if !config::user::is_valid_name(name) {
        let _ = writeln!(
            err,
            "`{name}` is not a user name: {}",
            config::user::NAME_RULE
        );
        return ExitCode::FAILURE;
    }
    let (first, second) = match (ask("Password: "), ask("Again: ")) {
        (Ok(first), Ok(second)) => (first, second),
        (Err(e), _) | (_, Err(e)) => {
            let _ = writeln!(err, "cannot read the password: {e}");
            return ExitCode::FAILURE;
        }
    };
    if first != second {
        let _ = writeln!(err, "the two passwords differ; nothing changed");
        return ExitCode::FAILURE;
    }
    if first.chars().count() < MIN_PASSWORD_CHARS {
        let _ = writeln!(
            err,
            "the password is shorter than {MIN_PASSWORD_CHARS} characters; nothing changed"
        );
        return ExitCode::FAILURE;
    }
    let hash = match crate::http::auth::hash_password(&first) {
        Ok(hash) => hash,
        Err(e) => {
            let _ = writeln!(err, "cannot hash the password: {e}");
            return ExitCode::FAILURE;
        }
    };
    match set_password_hash_in_file(path, name, &hash, change) {
        Ok(()) => {
            let done = match change {
                UserChange::Add => "added",
                UserChange::ChangePassword => "has a new password",
            };
            let _ = writeln!(
                out,
                "{name} {done} in {}; restart vbx for it to take effect.",
                path.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(err, "{}: {e}", path.display());
            ExitCode::FAILURE
        }
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

/// `vbx setup`: the report on stdout; exit 1 (with the error on stderr) if setup failed.
pub async fn setup(config: &config::Config, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    let client = match crate::app::twilio_client(config) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(err, "vbx setup: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    match crate::cli::setup::setup(config, &client).await {
        Ok(report) => {
            let _ = out.write_all(report.render().as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(err, "vbx setup: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `vbx doctor`: every finding with its fix on stdout; exit 1 if any check failed.
pub async fn doctor(config: &config::Config, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    let client = match crate::app::twilio_client(config) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(err, "vbx doctor: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let findings = crate::cli::doctor::doctor(config, &client).await;
    let _ = out.write_all(crate::cli::doctor::render(&findings).as_bytes());
    if findings.iter().all(|f| f.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[derive(Debug, Clone, Copy)]
enum TwilioCommand {
    Setup,
    Doctor,
}

/// Loads the configuration and runs a command that talks to Twilio.
fn run_twilio_command(
    args: &Serve,
    command: TwilioCommand,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode {
    let config = match config::load(&args.config, &args.overrides.to_overrides(), &process_env) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(err, "{}: {}", args.config.display(), describe(&e));
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
    runtime.block_on(async {
        match command {
            TwilioCommand::Setup => setup(&config, out, err).await,
            TwilioCommand::Doctor => doctor(&config, out, err).await,
        }
    })
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("VBX_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a person at a terminal: logs read by programs stay plain text.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

fn run_demo(options: crate::cli::demo::DemoOptions) -> ExitCode {
    init_tracing();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(crate::cli::demo::run(options, shutdown_signal(), |info| {
        println!("{}", info.banner());
    }));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vbx demo: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_sim(sim: &str, action: SimCommand, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    let lenient = |n: &str| crate::cli::demo::number(n).map(|p| p.to_string());
    let action = match action {
        SimCommand::Text { from, to, body } => match (lenient(&from), lenient(&to)) {
            (Ok(from), Ok(to)) => crate::cli::demo::SimAction::Text { from, to, body },
            (Err(e), _) | (_, Err(e)) => {
                let _ = writeln!(err, "vbx sim: {e}");
                return ExitCode::FAILURE;
            }
        },
        SimCommand::Call {
            from,
            to,
            digits,
            wait,
        } => match (lenient(&from), lenient(&to)) {
            (Ok(from), Ok(to)) => crate::cli::demo::SimAction::Call {
                from,
                to,
                digits,
                wait,
            },
            (Err(e), _) | (_, Err(e)) => {
                let _ = writeln!(err, "vbx sim: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(crate::cli::demo::sim_command(sim, &action)) {
        Ok(answer) => {
            let _ = writeln!(out, "{answer}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(err, "vbx sim: {e:#}");
            ExitCode::FAILURE
        }
    }
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
