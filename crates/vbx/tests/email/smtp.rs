//! A real SMTP server for the tests: `tests/support/smtp_server.py` (aiosmtpd) as a child
//! process, killed when the guard drops (a failing test included).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use tempfile::TempDir;

pub struct SmtpServer {
    pub port: u16,
    child: Child,
    dir: TempDir,
}

const MISSING: &str = "the SMTP test server did not start: it needs Python 3 with aiosmtpd \
                       (`pip install aiosmtpd`; ./scripts/test installs it when missing)";

impl SmtpServer {
    /// Starts on a free port; `args` are the helper's options (`--auth u:p`, `--tls`, …).
    pub fn start(args: &[&str]) -> SmtpServer {
        Self::start_on(0, args)
    }

    pub fn start_on(port: u16, args: &[&str]) -> SmtpServer {
        let dir = TempDir::new().expect("temp dir");
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_server.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg("--dir")
            .arg(dir.path())
            .arg("--port")
            .arg(port.to_string())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("{MISSING} ({e})"));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse::<u16>().ok());
        match (read, port) {
            (Ok(_), Some(port)) => SmtpServer { port, child, dir },
            (read, _) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{MISSING} (first line {line:?}, {read:?})");
            }
        }
    }

    /// The messages it accepted, oldest first, as the helper summarised them.
    pub fn messages(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("read dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| serde_json::from_slice(&std::fs::read(p).expect("read")).expect("json"))
            .collect()
    }

    /// From now on answer every message with `line` (e.g. `550 5.1.1 Mailbox unavailable`);
    /// `None` accepts again.
    pub fn answer(&self, line: Option<&str>) {
        let path = self.dir.path().join("reply");
        match line {
            Some(line) => std::fs::write(path, format!("{line}\n")).expect("write reply"),
            None => std::fs::remove_file(path).expect("remove reply"),
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
