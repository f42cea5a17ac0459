#!/usr/bin/env node
// Measures `rotctl scan` against a private moto_server with N secrets (1% blocked), next to the
// one-liner `aws secretsmanager list-secrets | jq` that finds the same secrets, and prints a
// markdown table for the README.
//
//   npm run build && node scripts/scan-bench.mjs            # N = 1000 and 5000
//   npm run build && node scripts/scan-bench.mjs 200 1000   # other sizes
//
// Everything runs on 127.0.0.1: moto_server (-p 0, stopped by its PID at the end), a tiny
// request-counting proxy, rotctl and aws-cli. Children get test credentials only.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'rotctl.js');
const REGION = 'us-east-1';
const RUNS = 3;
const SEED_CONCURRENCY = 16;
const BLOCKED_EVERY = 100;
const MISSING_LAMBDA = `arn:aws:lambda:${REGION}:123456789012:function:bench-no-such-function`;
const NO_FILE = path.join(os.tmpdir(), 'rotctl-bench-no-such-dir', 'none');

/** AWSPENDING on a version that does not also hold AWSCURRENT. */
const JQ_FILTER =
  '[.SecretList[] | select((.SecretVersionsToStages // {}) | to_entries | ' +
  'any(.value | (index("AWSPENDING") != null) and (index("AWSCURRENT") == null)))] | length';

/** The only environment children get: test credentials, no profile, no metadata service. */
const CHILD_ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? os.tmpdir(),
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: REGION,
  AWS_CONFIG_FILE: NO_FILE,
  AWS_SHARED_CREDENTIALS_FILE: NO_FILE,
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  NO_COLOR: '1',
};

const log = (line) => process.stderr.write(`${line}\n`);

/** The in-process SDK client (seeding) must not read a real profile either. */
function isolateSelf() {
  for (const key of [
    'AWS_PROFILE',
    'AWS_DEFAULT_PROFILE',
    'AWS_SESSION_TOKEN',
    'AWS_ENDPOINT_URL',
    'AWS_ENDPOINT_URL_SECRETS_MANAGER',
    'AWS_ROLE_ARN',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  ]) {
    delete process.env[key];
  }
  Object.assign(process.env, CHILD_ENV);
}

// ---------------------------------------------------------------------------------------
// moto_server

function startMoto() {
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: CHILD_ENV,
  });
  let seen = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error('moto_server did not start in 20 s'));
    }, 20_000);
    const onData = (chunk) => {
      seen = (seen + chunk.toString()).slice(-4000);
      const m = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (!m) return;
      clearTimeout(timer);
      resolve({ endpoint: m[1], pid: child.pid, child });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`moto exited ${code}`));
    });
  });
}

function stopMoto(moto) {
  if (!moto || moto.child.exitCode !== null || moto.child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const hard = setTimeout(() => process.kill(moto.pid, 'SIGKILL'), 5000);
    moto.child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    process.kill(moto.pid, 'SIGTERM');
  });
}

// ---------------------------------------------------------------------------------------
// Seeding: plain CreateSecret, 16 in flight; every 100th secret blocked

function smClient(endpoint) {
  return new SecretsManagerClient({
    region: REGION,
    endpoint,
    maxAttempts: 3,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

/** Blocked in one of two ways: a failed RotateSecret (placeholder) or a scripted AWSPENDING. */
async function block(sm, name, i) {
  if ((i / BLOCKED_EVERY) % 2 === 0) {
    await sm
      .send(
        new RotateSecretCommand({
          SecretId: name,
          RotationLambdaARN: MISSING_LAMBDA,
          RotationRules: { AutomaticallyAfterDays: 30 },
        }),
      )
      .catch((err) => {
        if (err?.name !== 'ResourceNotFoundException') throw err;
      });
    return;
  }
  await sm.send(
    new PutSecretValueCommand({
      SecretId: name,
      ClientRequestToken: randomUUID(),
      SecretString: 'pending',
      VersionStages: ['AWSPENDING'],
    }),
  );
}

/** Secrets from..to-1 (names bench/00000…); returns how many of them were blocked. */
async function seed(endpoint, from, to) {
  const sm = smClient(endpoint);
  let next = from;
  let blocked = 0;
  const worker = async () => {
    while (next < to) {
      const i = next++;
      const name = `bench/${String(i).padStart(5, '0')}`;
      await sm.send(new CreateSecretCommand({ Name: name, SecretString: `value-${i}` }));
      if (i % BLOCKED_EVERY === 0) {
        await block(sm, name, i);
        blocked += 1;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
  } finally {
    sm.destroy();
  }
  return blocked;
}

// ---------------------------------------------------------------------------------------
// A request-counting proxy (per X-Amz-Target operation)

async function startCounter(upstream) {
  const url = new URL(upstream);
  const counts = new Map();
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const op =
      String(req.headers['x-amz-target'] ?? '')
        .split('.')
        .pop() || 'other';
    counts.set(op, (counts.get(op) ?? 0) + 1);
    const out = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(out);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    counts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------
// The two tools

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: CHILD_ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({
        code,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

const rotctlScan = (endpoint) =>
  run(process.execPath, [
    BIN,
    'scan',
    '--region',
    REGION,
    '--endpoint-url',
    endpoint,
    '--output',
    'json',
    '-v',
  ]);

const awsJq = (endpoint) =>
  run('bash', [
    '-c',
    'set -o pipefail; aws secretsmanager list-secrets --endpoint-url "$0" --region "$1" ' +
      '--output json | jq "$2"',
    endpoint,
    REGION,
    JQ_FILTER,
  ]);

/** rotctl: blocked count from its JSON; exit 8 means "something is blocked". */
function rotctlFound(r) {
  if (r.code !== 0 && r.code !== 8) throw new Error(`rotctl scan exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout).result.blocked;
}

function awsFound(r) {
  if (r.code !== 0) throw new Error(`aws | jq exit ${r.code}: ${r.stderr}`);
  return Number(r.stdout.trim());
}

/** One line per AWS call on stderr with -v: "aws <Operation> …". */
function verboseCalls(stderr) {
  return stderr.split('\n').filter((l) => /\baws [A-Z][A-Za-z]+ /.test(l)).length;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(label, once, found) {
  const times = [];
  let hits;
  for (let i = 0; i < RUNS; i++) {
    const r = await once();
    hits = found(r);
    times.push(r.ms);
    log(`  ${label} run ${i + 1}: ${r.ms.toFixed(0)} ms, found ${hits}`);
  }
  return { ms: median(times), hits };
}

async function counted(moto, once) {
  const counter = await startCounter(moto.endpoint);
  try {
    const r = await once(counter.endpoint);
    return { counts: new Map(counter.counts), result: r };
  } finally {
    await counter.close();
  }
}

// ---------------------------------------------------------------------------------------
// Measuring one size

async function measure(moto, n, blocked, haveAws) {
  log(`N=${n}: ${blocked} blocked`);
  const rotctl = await timed('rotctl scan', () => rotctlScan(moto.endpoint), rotctlFound);
  const rc = await counted(moto, rotctlScan);
  const row = {
    n,
    blocked,
    rotctl,
    rotctlCounts: rc.counts,
    rotctlVerbose: verboseCalls(rc.result.stderr),
  };
  if (haveAws) {
    row.aws = await timed('aws | jq', () => awsJq(moto.endpoint), awsFound);
    row.awsCounts = (await counted(moto, awsJq)).counts;
  }
  return row;
}

function total(counts) {
  return [...counts.values()].reduce((a, b) => a + b, 0);
}

function rotctlRequests(row) {
  const c = (op) => row.rotctlCounts.get(op) ?? 0;
  const parts = `${c('ListSecrets')} + ${c('DescribeSecret')} + ${c('ListSecretVersionIds')}`;
  const other =
    total(row.rotctlCounts) - c('ListSecrets') - c('DescribeSecret') - c('ListSecretVersionIds');
  return `${parts} = ${total(row.rotctlCounts)}${other ? ` (+${other} other!)` : ''}`;
}

const secs = (ms) => `${(ms / 1000).toFixed(2)} s`;

function tableRow(row) {
  const cells = [
    row.n,
    row.blocked,
    secs(row.rotctl.ms),
    rotctlRequests(row),
    String(row.rotctl.hits),
  ];
  if (row.aws) cells.push(secs(row.aws.ms), String(total(row.awsCounts)), String(row.aws.hits));
  else cells.push('n/a', 'n/a', 'n/a');
  return `| ${cells.join(' | ')} |`;
}

// ---------------------------------------------------------------------------------------
// Report

function versionOf(cmd, args) {
  const r = spawnSync(cmd, args, { env: CHILD_ENV, encoding: 'utf8' });
  return r.status === 0 ? `${r.stdout}${r.stderr}`.trim().split('\n')[0] : undefined;
}

function machine() {
  const nproc = versionOf('nproc', []) ?? String(os.availableParallelism());
  const gib = (os.totalmem() / 2 ** 30).toFixed(1);
  const moto = versionOf('python3', ['-c', 'import moto; print(moto.__version__)']) ?? '?';
  const aws = versionOf('aws', ['--version']) ?? 'not installed';
  return (
    `${new Date().toISOString().slice(0, 10)}, ${os.platform()} ${os.arch()}, ` +
    `nproc ${nproc}, ${gib} GiB RAM, Node ${process.version}, moto ${moto} ` +
    `(moto_server on 127.0.0.1), ${aws.split(' ')[0]}`
  );
}

function printTable(rows) {
  const out = [
    `Measured ${machine()}; median of ${RUNS} runs; about 1% of secrets blocked.`,
    '',
    '| secrets | blocked | `rotctl scan` | rotctl requests (List + Describe + Versions) ' +
      '| rotctl found | `aws list-secrets \\| jq` | aws requests | jq found |',
    '|---:|---:|---:|---|---:|---:|---:|---:|',
    ...rows.map(tableRow),
    '',
    'rotctl re-confirms each hit with DescribeSecret and reads its version dates; the jq ' +
      'one-liner trusts ListSecrets as it is (it can lag) and gives no pending age.',
    '',
    `Command: npm run build && node scripts/scan-bench.mjs ${rows.map((r) => r.n).join(' ')}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

function checkRows(rows) {
  for (const r of rows) {
    if (r.rotctl.hits !== r.blocked) log(`WARNING: N=${r.n}: rotctl found ${r.rotctl.hits}`);
    if (r.aws && r.aws.hits !== r.blocked) log(`WARNING: N=${r.n}: jq found ${r.aws.hits}`);
    if (r.rotctlVerbose !== total(r.rotctlCounts)) {
      log(
        `WARNING: N=${r.n}: -v logged ${r.rotctlVerbose} calls, proxy saw ` +
          `${total(r.rotctlCounts)} requests`,
      );
    }
  }
}

function sizesFromArgs() {
  const sizes = process.argv.slice(2).map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error('usage: node scripts/scan-bench.mjs [N ...] (whole numbers)');
  }
  return sizes.length > 0 ? [...sizes].sort((a, b) => a - b) : [1000, 5000];
}

function haveTools() {
  const ok = (t) => spawnSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' }).status === 0;
  if (!ok('moto_server')) {
    throw new Error('moto_server is not on PATH (pip install "moto[server]")');
  }
  const aws = ok('aws') && ok('jq');
  if (!aws) log('aws or jq missing: the aws | jq columns are skipped (apt-get install -y jq)');
  return aws;
}

async function main() {
  isolateSelf();
  const sizes = sizesFromArgs();
  const haveAws = haveTools();
  const moto = await startMoto();
  const stop = () => {
    stopMoto(moto).finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  log(`moto_server pid ${moto.pid} at ${moto.endpoint}`);
  try {
    const rows = [];
    let seeded = 0;
    let blocked = 0;
    for (const n of sizes) {
      const t0 = Date.now();
      blocked += await seed(moto.endpoint, seeded, n);
      seeded = n;
      log(`seeded ${n} secrets in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      rows.push(await measure(moto, n, blocked, haveAws));
    }
    checkRows(rows);
    printTable(rows);
  } finally {
    await stopMoto(moto);
    log(`moto_server pid ${moto.pid} stopped`);
  }
}

main().catch((err) => {
  log(`scan-bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
