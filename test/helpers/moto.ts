// Starts and controls a private moto_server on loopback for tests.
// Facts this relies on (test-infra.md §2.1, §2.3, §2.6): `-p 0` picks a free port and
// prints " * Running on http://127.0.0.1:NNNNN"; the printed PID is the Python process
// itself (the pyenv shim execs), so killing that PID stops the server; the Lambda
// "use_docker:false" config must be set before any function is created and survives
// /moto-api/reset.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { after, before, beforeEach } from 'node:test';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { applyTestEnv, testEnv } from './env.js';

export const MOTO_MISSING =
  "moto_server not found on PATH (install moto: pip install 'moto[server]')";

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
const LOG_LINES = 200;

export interface Moto {
  /** e.g. http://127.0.0.1:41781 */
  readonly endpoint: string;
  readonly pid: number;
  /** POST /moto-api/reset: wipes all state (Lambda config survives). */
  reset(): Promise<void>;
  /** Kill this server by its PID and wait until it has exited. Idempotent. */
  stop(): Promise<void>;
  /** The last lines moto wrote (stdout and stderr), for failure messages. */
  logTail(lines?: number): string;
}

/** Keeps only the last `max` lines of a stream, so a long test run can't grow memory. */
class RingLog {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly max: number) {}

  push(chunk: Buffer | string): void {
    const parts = (this.partial + chunk.toString()).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.add(line);
  }

  tail(n = this.max): string {
    const all = this.partial ? [...this.lines, this.partial] : this.lines;
    return all.slice(-n).join('\n');
  }

  private add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
}

/** Is `moto_server` runnable from PATH? Checked without starting a server. */
export function motoAvailable(): boolean {
  const r = spawnSync('sh', ['-c', 'command -v moto_server'], { stdio: 'ignore' });
  return r.status === 0;
}

const READY_RE = /Running on (http:\/\/127\.0\.0\.1:\d+)/;

function waitForEndpoint(child: ChildProcess, log: RingLog): Promise<string> {
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      cleanup();
      reject(new Error(`moto_server ${why}\n--- moto output ---\n${log.tail(40)}`));
    };
    const timer = setTimeout(
      () => fail(`did not start in ${START_TIMEOUT_MS} ms`),
      START_TIMEOUT_MS,
    );
    const onData = (): void => {
      const m = READY_RE.exec(log.tail());
      if (!m?.[1]) return;
      cleanup();
      resolve(m[1]);
    };
    const onExit = (code: number | null, sig: string | null): void =>
      fail(`exited before it was ready (code ${code}, signal ${sig})`);
    const onError = (err: Error): void => fail(`could not be spawned: ${err.message}`);
    function cleanup(): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

async function postJson(url: string, body?: unknown): Promise<Response> {
  const init: RequestInit = { method: 'POST' };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`POST ${url} -> HTTP ${res.status}: ${await res.text()}`);
  return res;
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function stopChild(child: ChildProcess, pid: number): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    // Escalate only on the same PID: never signal anything we did not start.
    const hard = setTimeout(() => signal(pid, 'SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    signal(pid, 'SIGTERM');
  });
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone: nothing to stop.
  }
}

/** Spawn a private moto_server on 127.0.0.1 with a free port; resolves once it serves. */
export async function startMoto(): Promise<Moto> {
  const log = new RingLog(LOG_LINES);
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: testEnv(),
  });
  // Always drain both pipes: a full pipe would block moto's request logging.
  child.stdout.on('data', (c: Buffer) => log.push(c));
  child.stderr.on('data', (c: Buffer) => log.push(c));
  const pid = child.pid;
  // If the test process dies without after() running, still take the server down.
  const onExit = (): void => {
    if (pid !== undefined) signal(pid, 'SIGTERM');
  };
  process.once('exit', onExit);
  try {
    const endpoint = await waitForEndpoint(child, log);
    if (pid === undefined) throw new Error('moto_server started without a PID');
    await postJson(`${endpoint}/moto-api/config`, { lambda: { use_docker: false } });
    return makeMoto(endpoint, pid, child, log, () => process.off('exit', onExit));
  } catch (err) {
    if (pid !== undefined) await stopChild(child, pid);
    process.off('exit', onExit);
    throw err;
  }
}

function makeMoto(
  endpoint: string,
  pid: number,
  child: ChildProcess,
  log: RingLog,
  forget: () => void,
): Moto {
  return {
    endpoint,
    pid,
    reset: async () => {
      try {
        await postJson(`${endpoint}/moto-api/reset`);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new Error(`moto reset failed: ${why}\n--- moto output ---\n${log.tail(40)}`, {
          cause: err,
        });
      }
    },
    stop: async () => {
      await stopChild(child, pid);
      forget();
    },
    logTail: (lines?: number) => log.tail(lines),
  };
}

/** Getter returned by useMoto(), plus test options that skip when moto is missing. */
export interface MotoGetter {
  (): Moto;
  /**
   * Pass to every moto test: `test('…', moto.options, async () => { const m = moto(); })`.
   * `{ skip: MOTO_MISSING }` when moto_server is missing outside CI, so the body never
   * runs; `{}` otherwise (under CI a missing moto_server then fails the test).
   */
  readonly options: { skip?: string };
}

/**
 * For node:test files: one moto per file (before/after), reset before every test.
 * Returns a getter for the running server. When moto_server is missing, every test
 * fails under CI (CI set) and is skipped with the reason otherwise, never silently.
 * Node 20 still runs a test body after beforeEach skipped it, so tests should also pass
 * `moto.options`; a test that forgets it is marked SKIP, but the getter throws in it.
 */
export function useMoto(): MotoGetter {
  applyTestEnv();
  let moto: Moto | undefined;
  const missing = !motoAvailable();
  const inCi = Boolean(process.env['CI']);
  const skipping = missing && !inCi;
  if (skipping) process.stderr.write(`# skipping moto tests: ${MOTO_MISSING}\n`);
  before(async () => {
    // A failing before() would only mark tests "cancelled"; beforeEach() fails each one.
    if (!missing) moto = await startMoto();
  });
  after(async () => {
    await moto?.stop();
  });
  beforeEach(async (t) => {
    if (missing && inCi) throw new Error(MOTO_MISSING);
    if (skipping) {
      // Hooks of a test get its TestContext; suites have no skip().
      if ('skip' in t) t.skip(MOTO_MISSING);
      return;
    }
    await moto?.reset();
  });
  const get = (): Moto => {
    if (!moto) throw new Error(missing ? MOTO_MISSING : 'moto is not running');
    return moto;
  };
  return Object.assign(get, { options: skipping ? { skip: MOTO_MISSING } : {} });
}

/** A Secrets Manager client for moto: test credentials, no retries (errors surface once). */
export function client(endpoint: string, region = 'us-east-1'): SecretsManagerClient {
  // The SDK warns on Node 20 when a client is built; keep test output clean.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  return new SecretsManagerClient({
    region,
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}
