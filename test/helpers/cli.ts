// Runs the built rotctl CLI (bin/rotctl.js -> dist/) as a child process against a loopback
// endpoint (moto or the fault proxy), with no terminal, and reads labels back for
// end-state assertions. `npm run build` must have run first.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
} from '@aws-sdk/client-secrets-manager';
import type { DescribeSecretCommandOutput } from '@aws-sdk/client-secrets-manager';
import { testEnv } from './env.js';
import { client } from './moto.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(REPO_ROOT, 'bin', 'rotctl.js');

const DEFAULT_TIMEOUT_MS = 30_000;

export interface CliResult {
  /** Exit status; null only when the process was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The argv passed to rotctl, for failure messages. */
  args: string[];
}

export interface RunOptions {
  /** Appended as `--endpoint-url <endpoint>`; leave out for runs that must not connect. */
  endpoint?: string;
  /** Extra environment on top of testEnv(); an undefined value removes a variable. */
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string;
  timeoutMs?: number;
  /** Called with the child's PID once it is spawned (e.g. to send it SIGINT later). */
  onSpawn?: (pid: number) => void;
}

export interface Spawned {
  pid: number;
  done: Promise<CliResult>;
}

/** Like runCli, but hands back the child's PID at once, so a test can signal it. */
export function spawnCli(args: readonly string[], opts: RunOptions = {}): Spawned {
  let pid = 0;
  const done = runCli(args, {
    ...opts,
    onSpawn: (p) => {
      pid = p;
    },
  });
  assert.ok(pid > 0, 'rotctl did not start');
  return { pid, done };
}

/** Spawn `node bin/rotctl.js ...args` with no TTY; resolves when it exits (or is killed). */
export function runCli(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  const argv = [...args, ...(opts.endpoint ? ['--endpoint-url', opts.endpoint] : [])];
  const child = spawn(process.execPath, [BIN, ...argv], {
    cwd: REPO_ROOT,
    env: testEnv(opts.env),
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => err.push(c));
  if (opts.input !== undefined) child.stdin?.end(opts.input);
  if (child.pid !== undefined) opts.onSpawn?.(child.pid);
  // Only our own child, through its handle (its PID).
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        args: argv,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** A compact description of a run for assertion messages. */
export function describeRun(r: CliResult): string {
  return (
    `rotctl ${r.args.join(' ')}\n-> exit ${String(r.code)} ${r.signal ?? ''}\n` +
    `--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`
  );
}

/** Assert the exit code, showing the whole run when it differs. */
export function assertExit(r: CliResult, code: number): void {
  assert.equal(r.code, code, `expected exit ${code}\n${describeRun(r)}`);
}

/** Fails if any sentinel (secret value) appears anywhere in stdout or stderr. */
export function assertNoSentinels(r: CliResult, sentinels: readonly string[]): void {
  assert.ok(sentinels.length > 0, 'no sentinels to look for: the seed stored no value');
  for (const s of sentinels) {
    assert.ok(!r.stdout.includes(s), `secret value ${s} leaked on stdout\n${describeRun(r)}`);
    assert.ok(!r.stderr.includes(s), `secret value ${s} leaked on stderr\n${describeRun(r)}`);
  }
  // A value is never printed in any shape: no "SENTINEL-" prefix at all.
  const both = r.stdout + r.stderr;
  assert.ok(!both.includes('SENTINEL-'), `a SENTINEL- value leaked\n${describeRun(r)}`);
}

/** version id -> sorted labels; every version listed, unlabelled ones as []. */
export type Labels = Record<string, string[]>;

/** The labels as the emulator holds them now, read with ListSecretVersionIds by ARN. */
export async function labelsOf(
  endpoint: string,
  arn: string,
  region = 'us-east-1',
): Promise<Labels> {
  const sm = client(endpoint, region);
  try {
    const out = await sm.send(
      new ListSecretVersionIdsCommand({
        SecretId: arn,
        IncludeDeprecated: true,
      }),
    );
    const labels: Labels = {};
    for (const v of out.Versions ?? []) {
      if (v.VersionId) labels[v.VersionId] = [...(v.VersionStages ?? [])].sort();
    }
    return labels;
  } finally {
    sm.destroy();
  }
}

/** DescribeSecret by ARN, for RotationEnabled and friends. */
export async function describeSecret(
  endpoint: string,
  arn: string,
  region = 'us-east-1',
): Promise<DescribeSecretCommandOutput> {
  const sm = client(endpoint, region);
  try {
    return await sm.send(new DescribeSecretCommand({ SecretId: arn }));
  } finally {
    sm.destroy();
  }
}

/** RotationEnabled as a boolean: moto leaves the key out for never-configured secrets. */
export async function rotationEnabled(
  endpoint: string,
  arn: string,
  region = 'us-east-1',
): Promise<boolean> {
  return (await describeSecret(endpoint, arn, region)).RotationEnabled === true;
}

/** Parse stdout as exactly one JSON document (an object); fails with the run otherwise. */
export function parseJsonDoc(r: CliResult): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch (e) {
    assert.fail(`stdout is not one JSON document (${String(e)})\n${describeRun(r)}`);
  }
  assert.ok(
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed),
    `JSON document is not an object\n${describeRun(r)}`,
  );
  return parsed as Record<string, unknown>;
}

/** The operations a fault-proxy log recorded, in order. */
export function opsOf(log: readonly { target: string }[]): string[] {
  return log.map((e) => e.target);
}

export const WRITE_OPS: readonly string[] = ['CancelRotateSecret', 'UpdateSecretVersionStage'];

/** Only the write operations of a proxy log, in order. */
export function writesOf(log: readonly { target: string }[]): string[] {
  return opsOf(log).filter((op) => WRITE_OPS.includes(op));
}

/** Lines of `-v` output naming an AWS call ("aws <Operation> ..."), as operation names. */
export function verboseOps(stderr: string): string[] {
  const ops: string[] = [];
  for (const line of stderr.split('\n')) {
    const m = /\baws ([A-Z][A-Za-z]+) /.exec(line);
    if (m?.[1] && !line.includes('aws secretsmanager')) ops.push(m[1]);
  }
  return ops;
}
