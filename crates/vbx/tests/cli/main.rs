//! The `vbx` binary as a person runs it: `check`, `import-flows`, `serve`, `sim call`, `--help`,
//! `--version`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

#[path = "../common/mod.rs"]
mod common;

use common::{Endpoint, ACCOUNT, AUTH_TOKEN, NUMBER, PUBLIC_URL};

fn vbx() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vbx"));
    // The tests must not pick up secrets from the environment they run in.
    cmd.env_remove("VBX_TWILIO_AUTH_TOKEN")
        .env_remove("VBX_TWILIO_API_SECRET")
        .env("VBX_LOG", "info");
    cmd
}

fn run(cmd: &mut Command) -> (Output, String, String) {
    let out = cmd.output().expect("vbx runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}

/// `shared/` beside the repository (or VBX_SHARED_DIR): the old program's example lives there.
fn shared_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("VBX_SHARED_DIR") {
        return PathBuf::from(dir);
    }
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        if dir.join("shared/DESIGN.md").is_file() {
            return dir.join("shared");
        }
        assert!(
            dir.pop(),
            "shared/ (with DESIGN.md and legacy/) was not found above {}; put it beside the \
             repository or set VBX_SHARED_DIR",
            env!("CARGO_MANIFEST_DIR")
        );
    }
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write file");
    path
}

#[test]
fn help_and_version_describe_the_commands() {
    let (out, stdout, _) = run(vbx().arg("--help"));
    assert!(out.status.success());
    for command in ["serve", "check", "import-flows"] {
        assert!(
            stdout.contains(command),
            "{command} missing from --help:\n{stdout}"
        );
    }
    let (out, stdout, _) = run(vbx().arg("--version"));
    assert!(out.status.success());
    assert_eq!(stdout.trim(), format!("vbx {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn sim_call_refuses_digits_a_phone_does_not_have() {
    let (out, _, stderr) = run(vbx().args([
        "sim",
        "call",
        "--from",
        "+14155550100",
        "--to",
        NUMBER,
        "--digits",
        "1",
        "--digits",
        "2a",
    ]));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("'a' is not a key"), "{stderr}");
}

#[test]
fn check_prints_a_summary_of_a_valid_file() {
    let dir = tempfile::tempdir().unwrap();
    let (_, example, _) = run(vbx().arg("example-config"));
    let path = write(&dir, "vbx.toml", &example);
    let (out, stdout, stderr) = run(vbx().arg("check").arg(&path));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("is valid"), "{stdout}");
    assert!(stdout.contains("calls.default"), "{stdout}");
    assert!(stdout.contains("messages.default"), "{stdout}");
}

#[test]
fn check_lists_every_problem_with_its_key_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "bad.toml",
        r#"
[server]
public_url = "ftp://vbx.example.com"

[twilio]
account_sid = "AC123"
auth_token = "supersecret-token-value"
number = "555-1234"

[devices]
browser = { type = "browser" }
inbox = { type = "email", from = "vbx@example.com", to = "me@example.com", smtp_host = "mail.example.com", smtp_port = 587 }

[calls]
default = [ { step = "device", devices = ["inbox"], next = "missing" } ]

[messages]
default = [ { step = "say", text = "hi" } ]
"#,
    );
    let (out, stdout, stderr) = run(vbx().arg("check").arg(&path));
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    for key in [
        "server.public_url",
        "twilio.account_sid",
        "twilio.number",
        "calls.default[0].next",
        "calls.default[0].devices[0]",
        "messages.default[0]",
    ] {
        assert!(stderr.contains(key), "{key} not reported:\n{stderr}");
    }
    assert!(
        !stderr.contains("supersecret-token-value"),
        "a secret was printed:\n{stderr}"
    );
}

#[test]
fn the_old_example_flow_file_converts_to_toml_that_passes_check() {
    let old = shared_dir().join("legacy/flows-example.py");
    let (out, toml, stderr) = run(vbx().arg("import-flows").arg(&old));
    assert!(out.status.success(), "{stderr}");
    assert!(
        toml.contains("[calls]") && toml.contains("[messages]"),
        "{toml}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "converted.toml", &toml);
    let (out, stdout, stderr) = run(vbx().arg("check").arg(&path));
    assert!(out.status.success(), "{stdout}{stderr}");
    let (out, stdout, stderr) = run(vbx().arg("check").arg(&old));
    assert!(
        out.status.success(),
        "the old file is accepted directly: {stdout}{stderr}"
    );
}

#[test]
fn import_flows_refuses_code_outside_the_literal_subset_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "evil.py",
        "import vbx.flows\n# a comment\nnumber = '+18001234567'\ncalls = {'default': [os.system('rm -rf /')]}\n",
    );
    let (out, stdout, stderr) = run(vbx().arg("import-flows").arg(&path));
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("line 4"), "{stderr}");
    assert!(
        stderr.contains("os"),
        "the error names what is not allowed: {stderr}"
    );
}

/// Reads stderr lines until one contains `needle`, failing after a generous bound.
fn wait_for_line(reader: &mut impl BufRead, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut line = String::new();
    while Instant::now() < deadline {
        line.clear();
        if reader.read_line(&mut line).expect("read log") == 0 {
            panic!("vbx exited before logging `{needle}`");
        }
        if line.contains(needle) {
            return line;
        }
    }
    panic!("no `{needle}` in the log");
}

/// Kills the server when the test ends, however it ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_runs_an_old_flow_file_and_answers_signed_webhooks() {
    let old = shared_dir().join("legacy/flows-example.py");
    let data = tempfile::tempdir().unwrap();
    let child = vbx()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--public-url",
            PUBLIC_URL,
        ])
        .arg("--config")
        .arg(&old)
        .arg("--data-dir")
        .arg(data.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vbx serve starts");
    let mut child = KillOnDrop(child);
    let mut log = BufReader::new(child.0.stderr.take().expect("stderr"));
    let line = wait_for_line(&mut log, "vbx listening");
    let addr = line
        .split("addr=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no addr in {line}"))
        .to_owned();

    let params = [
        ("CallSid", "CA0123456789abcdef0123456789abcdef"),
        ("AccountSid", ACCOUNT),
        ("From", "+14155550100"),
        ("To", NUMBER),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
    ];
    // The old file's auth tuple carries the test account's auth token.
    let vbx = Endpoint::new(addr.parse().expect("an address"), PUBLIC_URL, AUTH_TOKEN);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let reply = runtime.block_on(vbx.post_signed("/flow/voice/default", &params));
    drop(child);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.body.ends_with(
            "<Response><Redirect>https://vbx.example.com/flow/voice/phone</Redirect></Response>"
        ),
        "{}",
        reply.body
    );
}

#[test]
fn serve_with_a_broken_config_says_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "broken.toml", "[server]\nlisten = \"nope\"\n");
    let (out, _, stderr) = run(vbx().arg("serve").arg("--config").arg(&path));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("server.listen"), "{stderr}");
}
