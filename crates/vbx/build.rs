//! Builds the browser app in `web/` (npm) when its sources change and tells `http/web.rs` which
//! directory to embed (`VBX_WEB_DIST`). `VBX_SKIP_WEB_BUILD=1` embeds whatever `web/dist` holds,
//! or a page saying the UI was not built, so Rust-only work stays fast.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{exit, Command};

const SOURCES: &[&str] = &[
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "tsconfig.json",
    "scripts/size.mjs",
];

fn main() {
    println!("cargo:rerun-if-env-changed=VBX_SKIP_WEB_BUILD");
    println!("cargo:rerun-if-env-changed=VBX_NPM");
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap_or_default());
    let web = manifest.join("..").join("..").join("web");
    let dist = web.join("dist");

    let skip =
        env::var("VBX_SKIP_WEB_BUILD").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
    let embed = if skip {
        // Someone may run `npm run build` by hand: embed the new files on the next cargo build.
        println!(
            "cargo:rerun-if-changed={}",
            dist.join("index.html").display()
        );
        if dist.join("index.html").is_file() {
            dist
        } else {
            placeholder(&out)
        }
    } else {
        // Only the sources: dist/ is written here, and watching it would rebuild every time.
        for s in SOURCES {
            println!("cargo:rerun-if-changed={}", web.join(s).display());
        }
        build(&web);
        dist
    };
    println!("cargo:rustc-env=VBX_WEB_DIST={}", embed.display());
}

fn build(web: &Path) {
    const INSTALL: &str =
        "Install Node.js 20 or newer with npm (https://nodejs.org/en/download, or your \
        distribution's `nodejs` and `npm` packages where they are 20+, e.g. Debian 13), or set \
        VBX_SKIP_WEB_BUILD=1 to build vbx without (re)building the UI.";
    let npm = env::var("VBX_NPM").unwrap_or_else(|_| "npm".to_owned());
    if !Command::new(&npm)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        fail(&format!(
            "building the vbx web UI needs npm, and `{npm}` was not found.\n{INSTALL}"
        ));
    }
    let node = Command::new("node").arg("--version").output();
    let version = node
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let major = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    if major.is_none_or(|m| m < 20) {
        fail(&format!("building the vbx web UI needs Node.js 20 or newer; `node --version` says {version:?}.\n{INSTALL}"));
    }
    if !web.join("node_modules").is_dir() {
        // `npm install` rather than `npm ci`: npm 11 records only this platform's optional
        // native packages (rollup's) in the lock and `npm ci` then refuses its own lock file.
        // With a lock present, `install` installs exactly what it pins.
        run(web, &npm, &["install", "--no-audit", "--no-fund"]);
    }
    run(web, &npm, &["run", "build"]);
}

fn run(dir: &Path, npm: &str, args: &[&str]) {
    let status = Command::new(npm).args(args).current_dir(dir).status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => fail(&format!(
            "`{npm} {}` in {} failed ({s}); its output is above. Fix it, or set VBX_SKIP_WEB_BUILD=1.",
            args.join(" "),
            dir.display()
        )),
        Err(e) => fail(&format!("could not run `{npm} {}`: {e}", args.join(" "))),
    }
}

fn placeholder(out: &Path) -> PathBuf {
    let dir = out.join("web-placeholder");
    let page = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>vbx</title>\
        <body style=\"font-family:system-ui;max-width:40em;margin:4em auto;padding:0 1em\">\
        <h1>The vbx web UI was not built</h1>\
        <p>This binary was built with <code>VBX_SKIP_WEB_BUILD=1</code> and no <code>web/dist</code>. \
        Build it without that variable (it runs <code>npm ci</code> and <code>npm run build</code> in \
        <code>web/</code>), or run those two commands and build again.</p></body></html>\n";
    if let Err(e) = fs::create_dir_all(&dir).and_then(|()| fs::write(dir.join("index.html"), page))
    {
        fail(&format!("could not write {}: {e}", dir.display()));
    }
    dir
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    exit(1);
}
