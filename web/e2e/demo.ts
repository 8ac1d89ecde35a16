// Starts the real vbx with its simulator (`vbx demo`) for the end-to-end suite and reads from
// its output where it listens, how to log in, and where the simulator's control API is.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The vbx binary: `$VBX_BIN`, else `$CARGO_TARGET_DIR/debug/vbx`, else `<repo>/target/debug/vbx`. */
export function vbxBinary(): string {
  if (process.env.VBX_BIN) return process.env.VBX_BIN;
  const target = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(REPO, 'target');
  return join(target, 'debug', 'vbx');
}

/**
 * THE command the suite runs (edit here if `vbx demo` changes): vbx and the simulator in one
 * process, on a free port, with a throwaway data directory, printing what `parseDemoOutput`
 * reads.
 */
export const DEMO_COMMAND: string[] = [vbxBinary(), 'demo', '--listen', '127.0.0.1:0', '--sim-listen', '127.0.0.1:0'];

export interface Demo {
  /** Where the app is, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  user: string;
  password: string;
  /** The simulator's control API base, e.g. http://127.0.0.1:41235/_sim (no trailing slash). */
  sim: string;
}

/**
 * Reads the demo's banner. It expects, in any order and casing, lines like
 *   `vbx: http://127.0.0.1:41234/` (any line with a URL and neither "sim" nor "twilio"),
 *   `login: demo / s3cret` (or `user demo password s3cret`),
 *   `simulator: http://127.0.0.1:41235/_sim` (a line that says "sim" or "control" with a URL).
 * Returns null until all three were seen.
 */
export function parseDemoOutput(text: string): Demo | null {
  let url: string | null = null;
  let sim: string | null = null;
  let user: string | null = null;
  let password: string | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\x1b\[[0-9;]*m/g, '');
    const link = /(https?:\/\/[^\s"'<>]+)/.exec(line)?.[1]?.replace(/[.,;)]+$/, '');
    const login = /(?:log ?in|user(?:name)?)\b[^:=\n]*?[:=]?\s*["']?([^\s"'/:]+)["']?\s*(?:\/|,|\s+password[:=]?)\s*["']?([^\s"']+)["']?/i.exec(line);
    if (login && !link) {
      user ??= login[1] ?? null;
      password ??= login[2] ?? null;
      continue;
    }
    if (!link) continue;
    if (/\bsim(ulator)?\b|control|_sim/i.test(line)) {
      sim ??= link.replace(/\/+$/, '').replace(/(\/_sim)?$/, '/_sim');
    } else if (!/twilio|webhook|flow/i.test(line)) {
      url ??= link.replace(/\/+$/, '');
    }
  }
  return url && sim && user && password ? { url, sim, user, password } : null;
}

export interface RunningDemo extends Demo {
  stop(): Promise<void>;
  output(): string;
}

/**
 * Uses an already running instance from VBX_E2E_URL/USER/PASSWORD/SIM, or starts DEMO_COMMAND
 * (with `args` after it, e.g. `--voice-sdk`; such a demo is always started anew).
 */
export async function startDemo(timeoutMs = 120_000, extraArgs: string[] = []): Promise<RunningDemo> {
  const env = process.env;
  if (extraArgs.length === 0 && env.VBX_E2E_URL && env.VBX_E2E_SIM && env.VBX_E2E_USER && env.VBX_E2E_PASSWORD) {
    return { url: env.VBX_E2E_URL.replace(/\/+$/, ''), sim: env.VBX_E2E_SIM.replace(/\/+$/, ''), user: env.VBX_E2E_USER, password: env.VBX_E2E_PASSWORD, stop: async () => {}, output: () => '' };
  }
  const [bin, ...demoArgs] = DEMO_COMMAND;
  const args = [...demoArgs, ...extraArgs];
  if (!bin || !existsSync(bin)) {
    throw new Error(`${bin} does not exist: build it first with \`cargo build -p vbx\` (or set VBX_BIN).`);
  }
  const child: ChildProcess = spawn(bin, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, RUST_LOG: env.RUST_LOG ?? 'info', NO_COLOR: '1' } });
  let out = '';
  const found = await new Promise<Demo>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`\`${DEMO_COMMAND.join(' ')}\` printed no URL, login and simulator URL within ${timeoutMs / 1000} s. Its output:\n${out}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const demo = parseDemoOutput(out);
      if (demo) {
        clearTimeout(timer);
        resolvePromise(demo);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`\`${DEMO_COMMAND.join(' ')}\` exited (${code}) before it was ready. Its output:\n${out}`));
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  return {
    ...found,
    output: () => out,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}
