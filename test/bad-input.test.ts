// rotctl cancel with bad input: each case must end with one clear `error:` line first on
// stderr, the documented exit code, no stack trace (no -v here) and no write. A stuck secret
// (C01) sits behind the fault proxy, so a bad input that slipped through would write to it:
// the proxy log must show no CancelRotateSecret or UpdateSecretVersionStage, and the labels
// in moto must be unchanged. Needs `npm run build` first.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { BIN, REPO_ROOT, describeRun, labelsOf, rotationEnabled } from './helpers/cli.js';
import type { CliResult } from './helpers/cli.js';
import { testEnv } from './helpers/env.js';
import { startFaultProxy } from './helpers/fault-proxy.js';
import type { FaultProxy } from './helpers/fault-proxy.js';
import { useMoto } from './helpers/moto.js';
import { seedC01, VERSION_IDS } from './helpers/seed.js';
import type { Seeded } from './helpers/seed.js';
import { tally, tallyEndState } from './helpers/tally.js';

const { A, B, P } = VERSION_IDS;
const BEFORE = { [A]: ['AWSCURRENT'], [B]: ['AWSPREVIOUS'], [P]: ['AWSPENDING'] };
const NAME = 'app/db-credentials';
const RUN_TIMEOUT_MS = 30_000;

const moto = useMoto();
const skip = moto.options.skip ?? false;

// Started on first use (root-level before() hooks run per suite on Node 20).
let proxyStarted: FaultProxy | undefined;
let tmp: string | undefined;
after(async () => {
  await proxyStarted?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface Ctx {
  /** The fault proxy in front of moto, with the seeded secret behind it. */
  proxy: FaultProxy;
  seeded: Seeded;
  /** http://127.0.0.1:PORT where PORT was just bound and released: connections are refused. */
  refused: string;
  /** An AWS config file that holds one profile, "other". */
  configFile: string;
}

async function context(): Promise<Ctx> {
  proxyStarted ??= await startFaultProxy(moto().endpoint);
  proxyStarted.clear();
  const seeded = await seedC01(moto().endpoint);
  return {
    proxy: proxyStarted,
    seeded,
    refused: `http://127.0.0.1:${await closedPort()}`,
    configFile: configFile(),
  };
}

/** A loopback port that nothing listens on: bound by us, then closed. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function configFile(): string {
  tmp ??= mkdtempSync(path.join(os.tmpdir(), 'rotctl-bad-input-'));
  const file = path.join(tmp, 'config');
  writeFileSync(
    file,
    '[profile other]\nregion = us-east-1\n' +
      'aws_access_key_id = test\naws_secret_access_key = test\n',
  );
  return file;
}

// ---------------------------------------------------------------------------------------
// The spawner: argv as given, or through sh when an argument must hold raw bytes that are
// not UTF-8 (Node re-encodes every string argument, and a Buffer argument, as UTF-8).

interface Invocation {
  argv: string[];
  /** A printf(1) format producing the secret id, inserted after `cancel` by sh. */
  rawId?: string;
  env?: NodeJS.ProcessEnv;
}

function run(inv: Invocation): Promise<CliResult> {
  const env = testEnv({ AWS_EC2_METADATA_DISABLED: 'true', ...inv.env });
  const [cmd, args] =
    inv.rawId === undefined
      ? [process.execPath, [BIN, ...inv.argv]]
      : [
          'sh',
          [
            '-c',
            'id=$(printf "$2"); shift 2; exec "$0" "$BIN" cancel "$id" "$@"',
            process.execPath,
            '-',
            inv.rawId,
            ...inv.argv,
          ],
        ];
  const child = spawn(cmd, args, {
    cwd: REPO_ROOT,
    env: { ...env, BIN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  const killer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      resolve({
        code,
        signal,
        args: inv.rawId === undefined ? inv.argv : [`<${inv.rawId}>`, ...inv.argv],
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

// ---------------------------------------------------------------------------------------
// The table

interface Bad {
  id: string;
  make: (c: Ctx) => Invocation;
  exit: number;
  /** The first stderr line must also match this. */
  says?: RegExp;
  /** Upper bound on the run time, for the network cases. */
  maxMs?: number;
  /** Arms the proxy before the run. */
  arm?: (c: Ctx) => void;
}

/** A write-capable tail: if the input were accepted, rotctl would roll back C01. */
const tail = (c: Ctx, ...extra: string[]): string[] => [
  '--yes',
  '--rollback',
  ...extra,
  '--endpoint-url',
  c.proxy.endpoint,
];
const cancel =
  (id: string, ...extra: string[]) =>
  (c: Ctx): Invocation => ({ argv: ['cancel', id, ...tail(c, ...extra)] });
const withEnv =
  (env: NodeJS.ProcessEnv, id = NAME, ...extra: string[]) =>
  (c: Ctx): Invocation => ({ argv: ['cancel', id, ...tail(c, ...extra)], env });
const at =
  (endpoint: (c: Ctx) => string) =>
  (c: Ctx): Invocation => ({
    argv: ['cancel', NAME, '--yes', '--rollback', '--endpoint-url', endpoint(c)],
  });
const ARN_US = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-credentials-AbC123';
const NO_CREDENTIALS = { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined };

const CASES: Bad[] = [
  { id: 'empty id', make: cancel(''), exit: 2 },
  { id: 'blank id', make: cancel('   '), exit: 2 },
  { id: 'id with a leading space', make: cancel(` ${NAME}`), exit: 2 },
  { id: 'id of 2049 characters', make: cancel('a'.repeat(2049)), exit: 2, says: /2048/ },
  { id: 'ARN with a short account', make: cancel(ARN_US.replace('123456789012', '123')), exit: 2 },
  { id: 'ARN of another service', make: cancel('arn:aws:s3:::my-bucket'), exit: 2 },
  { id: 'truncated ARN', make: cancel('arn:aws:secretsmanager:us-east-1'), exit: 2 },
  {
    id: 'ARN region differs from --region',
    make: cancel(ARN_US, '--region', 'eu-west-1'),
    exit: 2,
    says: /eu-west-1/,
  },
  { id: 'unknown long flag', make: cancel(NAME, '--frobnicate'), exit: 2, says: /frobnicate/ },
  { id: 'unknown short flag', make: cancel(NAME, '-x'), exit: 2, says: /-x/ },
  { id: '--rollback with --promote', make: cancel(NAME, '--promote'), exit: 2 },
  { id: '--output xml', make: cancel(NAME, '--output', 'xml'), exit: 2, says: /xml/ },
  { id: '--output JSON (case)', make: cancel(NAME, '-o', 'JSON'), exit: 2 },
  {
    id: '--output without a value',
    make: (c) => ({ argv: ['cancel', NAME, ...tail(c), '--output'] }),
    exit: 2,
  },
  {
    id: '--region without a value',
    make: (c) => ({ argv: ['cancel', NAME, ...tail(c), '--region'] }),
    exit: 2,
  },
  { id: 'invalid region', make: cancel(NAME, '--region', 'moon-1'), exit: 2, says: /moon-1/ },
  { id: 'upper-case region', make: cancel(NAME, '--region', 'US-EAST-1'), exit: 2 },
  { id: 'empty region', make: cancel(NAME, '--region', ''), exit: 2 },
  {
    id: 'invalid AWS_REGION',
    make: withEnv({ AWS_REGION: 'nowhere' }),
    exit: 2,
    says: /AWS_REGION/,
  },
  { id: 'no credentials at all', make: withEnv(NO_CREDENTIALS), exit: 2, says: /credential/i },
  {
    id: 'unknown profile',
    exit: 2,
    says: /nope/,
    make: (c) =>
      withEnv({ ...NO_CREDENTIALS, AWS_CONFIG_FILE: c.configFile }, NAME, '--profile', 'nope')(c),
  },
  {
    id: 'unknown profile, access keys also set',
    exit: 2,
    says: /nope/,
    make: (c) => withEnv({ AWS_CONFIG_FILE: c.configFile }, NAME, '--profile', 'nope')(c),
  },
  { id: 'empty --profile', make: cancel(NAME, '--profile', ''), exit: 2, says: /profile/ },
  { id: 'blank --profile', make: cancel(NAME, '--profile', '  '), exit: 2, says: /profile/ },
  { id: '--endpoint-url ftp://x', make: at(() => 'ftp://x'), exit: 2, says: /ftp/ },
  { id: '--endpoint-url notaurl', make: at(() => 'notaurl'), exit: 2, says: /notaurl/ },
  { id: 'empty --endpoint-url', make: at(() => ''), exit: 2 },
  { id: 'endpoint refuses connections', make: at((c) => c.refused), exit: 7, maxMs: 10_000 },
  {
    id: 'endpoint accepts and never answers',
    exit: 7,
    maxMs: 15_000,
    arm: (c) => c.proxy.add({ mode: 'hang', times: Infinity }),
    make: withEnv({ ROTCTL_REQUEST_TIMEOUT_MS: '500', ROTCTL_MAX_ATTEMPTS: '2' }),
  },
  {
    id: 'endpoint never answers, default request timeout',
    exit: 7,
    maxMs: 15_000,
    arm: (c) => c.proxy.add({ mode: 'hang', times: Infinity }),
    make: withEnv({ ROTCTL_MAX_ATTEMPTS: '1', ROTCTL_REQUEST_TIMEOUT_MS: undefined }),
  },
  { id: 'secret that does not exist', make: cancel('app/no-such-secret'), exit: 6 },
  { id: 'id with U+FFFD (a Buffer 0xff)', make: cancel('app/\ufffd'), exit: 2 },
  {
    id: 'id with a raw 0xff byte',
    exit: 2,
    make: (c) => ({ rawId: 'app/db\\377', argv: tail(c) }),
  },
  { id: 'id with a BEL', make: cancel('app/db\u0007'), exit: 2 },
  { id: 'id with an ANSI escape', make: cancel('app/\u001b[31mred'), exit: 2 },
  { id: 'id with a newline', make: cancel('app/db\ncredentials'), exit: 2 },
  { id: 'id with a C1 control (CSI)', make: cancel('app/\u009b31mred'), exit: 2 },
  { id: 'id with DEL', make: cancel('app/db\u007f'), exit: 2 },
  { id: 'no secret argument', make: (c) => ({ argv: ['cancel', ...tail(c)] }), exit: 2 },
  {
    id: '--from-file that does not exist',
    make: (c) => ({ argv: ['cancel', '--from-file', '/nonexistent/rotctl-ids', ...tail(c)] }),
    exit: 2,
  },
  { id: 'unknown command', make: () => ({ argv: ['frobnicate', NAME] }), exit: 2, says: /frob/ },
  { id: 'no command at all', make: () => ({ argv: [] }), exit: 2 },
];

// ---------------------------------------------------------------------------------------

/** The first line that is not a one-line warning (e.g. two credential sources set). */
function firstLine(r: CliResult): string {
  return r.stderr.split('\n').find((l) => !l.startsWith('warning: ')) ?? '';
}

function expectClearError(r: CliResult, c: Bad): void {
  const line = firstLine(r);
  assert.match(line, /^error: \S.{8,}/, `first stderr line: no clear error\n${describeRun(r)}`);
  if (c.says) assert.match(line, c.says, `the error does not say ${c.says}\n${describeRun(r)}`);
  assert.doesNotMatch(r.stderr, /^\s{4}at /m, `stack trace without -v\n${describeRun(r)}`);
  // An id echoed back must not carry raw control characters to the terminal.
  assert.doesNotMatch(
    line,
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/,
    `raw control character in the error line\n${JSON.stringify(line)}`,
  );
}

async function expectNoWrite(c: Ctx, r: CliResult, id: string): Promise<void> {
  const writes = c.proxy.log.filter((e) =>
    ['CancelRotateSecret', 'UpdateSecretVersionStage'].includes(e.target),
  );
  assert.equal(writes.length, 0, `a bad input reached a write\n${describeRun(r)}`);
  const labels = await labelsOf(moto().endpoint, c.seeded.arn);
  tallyEndState(`bad-input/${id}`, labels);
  assert.deepEqual(labels, BEFORE, `labels changed\n${describeRun(r)}`);
  assert.equal(await rotationEnabled(moto().endpoint, c.seeded.arn), true, 'rotation turned off');
}

describe('bad input: one clear error line, the documented exit code, no write', () => {
  assert.ok(CASES.length >= 25, 'the table must hold at least 25 bad inputs');
  for (const c of CASES) {
    test(c.id, { skip, timeout: RUN_TIMEOUT_MS + 10_000 }, async () => {
      const ctx = await context();
      c.arm?.(ctx);
      const started = Date.now();
      const r = await run(c.make(ctx));
      const ms = Date.now() - started;
      tally({ kind: 'bad-input', id: c.id, exit: r.code, ok: r.code === c.exit });
      assert.equal(r.code, c.exit, `expected exit ${c.exit}\n${describeRun(r)}`);
      expectClearError(r, c);
      if (c.maxMs) assert.ok(ms < c.maxMs, `${c.id}: took ${ms} ms (limit ${c.maxMs})`);
      await expectNoWrite(ctx, r, c.id);
    });
  }
});
