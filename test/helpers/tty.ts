// Runs a command inside a real pseudo-terminal: a detached tmux session on a private socket.
// Each session gets its own tmux server (`tmux -S <tmpdir>/sock`), so no other tmux server is
// ever touched, and close() ends exactly that server with `kill-server` on that socket.
//
// The command runs through a small generated sh wrapper because a tmux server does not pass
// its caller's environment on reliably: the wrapper runs the command under `env -i` with
// exactly the given variables (plus the pane's TERM) and writes the exit status to a file.
// pipe-pane records every byte the command writes to the terminal, so output that a prompt
// later erases from the screen can still be checked.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const TMUX = '/usr/bin/tmux';
export const TMUX_MISSING = `tmux not found at ${TMUX} (install it: apt-get install tmux)`;

const POLL_MS = 50;
const DEFAULT_WAIT_MS = 10_000;

export interface TtyOptions {
  /** argv of the command; the first element is looked up on the env's PATH. */
  command: string[];
  cwd: string;
  /** The command's whole environment (TERM comes from the terminal). */
  env: NodeJS.ProcessEnv;
  cols?: number;
  rows?: number;
}

/** Text to find, a regex, or a test of the whole screen. */
export type Pattern = string | RegExp | ((screen: string) => boolean);

export interface Tty {
  /** The screen plus scroll-back, wrapped lines joined. */
  screen(): Promise<string>;
  /** Every byte the command wrote to the terminal, escape sequences included (waits until
   * the recording has been still for a moment, so late output is in it). */
  transcript(): Promise<string>;
  /** Poll the screen until it matches; returns that screen. Fails with the screen attached. */
  waitFor(pattern: Pattern, timeoutMs?: number): Promise<string>;
  /** tmux key names, e.g. 'Up', 'Enter', 'C-c', 'y'. */
  send(...keys: string[]): Promise<void>;
  /** The command's exit status, once it has exited. */
  exitCode(timeoutMs?: number): Promise<number>;
  /** Kill this session's tmux server and remove its temp dir. Idempotent. */
  close(): Promise<void>;
}

export function ttyAvailable(): boolean {
  return existsSync(TMUX);
}

/** Single-quote for sh. */
function q(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function wrapperScript(dir: string, opts: TtyOptions): string {
  const vars = Object.entries(opts.env)
    .filter(([key, value]) => value !== undefined && key !== 'TERM')
    .map(([key, value]) => q(`${key}=${value ?? ''}`));
  const go = q(path.join(dir, 'go'));
  const rc = path.join(dir, 'rc');
  return [
    '#!/bin/sh',
    // Start only once pipe-pane records, so the transcript misses nothing.
    `while [ ! -e ${go} ]; do sleep 0.02; done`,
    // Survive a SIGINT meant for the command, to still record its status.
    'trap : INT',
    `cd ${q(opts.cwd)} || exit 127`,
    `env -i TERM="$TERM" ${[...vars, ...opts.command.map(q)].join(' ')}`,
    `echo $? > ${q(`${rc}.tmp`)} && mv ${q(`${rc}.tmp`)} ${q(rc)}`,
    '',
  ].join('\n');
}

/** The tmux client's own environment: enough to find sh and to speak UTF-8. */
function tmuxEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: 'C.UTF-8' };
}

export async function startTty(opts: TtyOptions): Promise<Tty> {
  if (!ttyAvailable()) throw new Error(TMUX_MISSING);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rotctl-tty-'));
  const sock = path.join(dir, 'sock');
  const tmux = (...args: string[]) =>
    run(TMUX, ['-u', '-S', sock, '-f', '/dev/null', ...args], { env: tmuxEnv() });
  const wrapper = path.join(dir, 'run.sh');
  writeFileSync(wrapper, wrapperScript(dir, opts), { mode: 0o700 });
  const killServer = (): void => {
    spawnSync(TMUX, ['-S', sock, 'kill-server'], { stdio: 'ignore', env: tmuxEnv() });
  };
  process.once('exit', killServer);
  try {
    await tmux(
      'new-session',
      '-d',
      '-s',
      'rotctl',
      '-x',
      String(opts.cols ?? 160),
      '-y',
      String(opts.rows ?? 50),
      `sh ${q(wrapper)}`,
      ';',
      'set-option',
      '-t',
      'rotctl',
      'remain-on-exit',
      'on',
      ';',
      'pipe-pane',
      '-t',
      'rotctl',
      '-o',
      `cat >> ${q(path.join(dir, 'pty.log'))}`,
    );
    writeFileSync(path.join(dir, 'go'), '');
  } catch (err) {
    killServer();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return makeTty(dir, tmux, () => {
    killServer();
    process.off('exit', killServer);
  });
}

type TmuxRun = (...args: string[]) => Promise<{ stdout: string }>;

function makeTty(dir: string, tmux: TmuxRun, kill: () => void): Tty {
  let closed = false;
  const screen = async (): Promise<string> =>
    (await tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'rotctl')).stdout.trimEnd();
  const exited = (): number | undefined => readExitCode(path.join(dir, 'rc'));
  return {
    screen,
    transcript: () => settled(path.join(dir, 'pty.log')),
    waitFor: (pattern, timeoutMs = DEFAULT_WAIT_MS) =>
      waitForScreen(screen, exited, pattern, timeoutMs),
    send: async (...keys) => {
      await tmux('send-keys', '-t', 'rotctl', ...keys);
    },
    exitCode: (timeoutMs = DEFAULT_WAIT_MS) => waitForExit(screen, exited, timeoutMs),
    close: async () => {
      if (closed) return;
      closed = true;
      kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readIfThere(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function readExitCode(file: string): number | undefined {
  const text = readIfThere(file).trim();
  return text === '' ? undefined : Number(text);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The file's text once it has stopped growing (pipe-pane writes through a `cat`). */
async function settled(file: string): Promise<string> {
  let text = readIfThere(file);
  for (let i = 0; i < 40; i += 1) {
    await sleep(POLL_MS * 2);
    const now = readIfThere(file);
    if (now === text) return now;
    text = now;
  }
  return text;
}

function matches(text: string, pattern: Pattern): boolean {
  if (typeof pattern === 'string') return text.includes(pattern);
  return pattern instanceof RegExp ? pattern.test(text) : pattern(text);
}

async function waitForScreen(
  screen: () => Promise<string>,
  exited: () => number | undefined,
  pattern: Pattern,
  timeoutMs: number,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Read the status first: a command that exited has drawn everything it ever will.
    const code = exited();
    const text = await screen();
    if (matches(text, pattern)) return text;
    if (code !== undefined || Date.now() > deadline) {
      const why = code === undefined ? `not within ${timeoutMs} ms` : `command exited ${code}`;
      const what = typeof pattern === 'function' ? pattern.name || 'a test' : String(pattern);
      throw new Error(`Waiting for ${what}: ${why}. Screen:\n${text}`);
    }
    await sleep(POLL_MS);
  }
}

async function waitForExit(
  screen: () => Promise<string>,
  exited: () => number | undefined,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const code = exited();
    if (code !== undefined) return code;
    if (Date.now() > deadline) {
      throw new Error(`Command still running after ${timeoutMs} ms. Screen:\n${await screen()}`);
    }
    await sleep(POLL_MS);
  }
}
