//! `twilio-sim`: serves a simulated Twilio account and prints how to reach it.

use std::net::SocketAddr;

use clap::Parser;
use twilio::{AccountSid, PhoneNumber};
use twilio_sim::{Sim, SimConfig, SimServer};

#[derive(Parser)]
#[command(
    version,
    about = "A local fake of the Twilio REST API for vbx tests and demos"
)]
struct Cli {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// A phone number the account owns (repeat for more). Default: one random 555 number.
    #[arg(long = "number")]
    numbers: Vec<PhoneNumber>,
    /// Account SID to simulate. Default: a random one.
    #[arg(long)]
    account_sid: Option<AccountSid>,
    /// Auth token of the account. Default: a random one.
    #[arg(long, env = "TWILIO_SIM_AUTH_TOKEN")]
    auth_token: Option<String>,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let mut config = SimConfig::demo();
    if !cli.numbers.is_empty() {
        config.numbers = cli.numbers;
    }
    if let Some(sid) = cli.account_sid {
        config.account_sid = sid;
    }
    if let Some(token) = cli.auth_token {
        config.auth_token = token;
    }
    let server = SimServer::bind(cli.listen, Sim::new(config.clone())).await?;
    let base = format!("http://{}", server.local_addr()?);
    println!("twilio-sim listening on {base}");
    println!(
        "  REST API:    {base}/2010-04-01/Accounts/{}/",
        config.account_sid
    );
    println!("  control API: {base}/_sim/");
    println!(
        "  browsers:    {}/_sim/client (WebSocket)",
        base.replacen("http://", "ws://", 1)
    );
    println!();
    println!("[twilio]");
    println!("account_sid = \"{}\"", config.account_sid);
    println!("auth_token  = \"{}\"", config.auth_token);
    for (sid, secret) in &config.api_keys {
        println!("api_key     = \"{sid}\"");
        println!("api_secret  = \"{secret}\"");
    }
    for number in &config.numbers {
        println!("number      = \"{number}\"");
    }
    server
        .run_until(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
