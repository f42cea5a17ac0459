// rotctl scan against moto with hundreds of secrets: it lists exactly the blocked rotations
// (AWSPENDING on a version other than AWSCURRENT), never their healthy look-alikes, with the
// request bound of the issue counted at the wire: ceil(N/100) ListSecrets per region, one
// DescribeSecret per candidate, one ListSecretVersionIds per confirmed hit, no value read and
// no write. Also: a stale ListSecrets hit is dropped, two regions, overdue rotations (moto
// can't produce a past NextRotationDate, so a rewriting proxy of this file does), pending
// age, region errors and usage errors.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { KNOWN_REGIONS } from '../src/scan.js';
import {
  assertExit,
  assertNoSentinels,
  describeRun,
  opsOf,
  parseJsonDoc,
  runCli,
  verboseOps,
} from './helpers/cli.js';
import type { CliResult } from './helpers/cli.js';
import { useRecordingProxy } from './helpers/fault-proxy.js';
import type { FaultProxy } from './helpers/fault-proxy.js';
import { client, useMoto } from './helpers/moto.js';
import { CASES, MISSING_LAMBDA_ARN, VERSION_IDS } from './helpers/seed.js';
import type { Seeded } from './helpers/seed.js';
import type { BlockedSecret } from '../src/commands/scan.js';

const moto = useMoto();
/** The recording proxy in front of this file's moto, started on first use. */
const useProxy = useRecordingProxy(moto);

const US = 'us-east-1';
const EU = 'eu-west-1';
const SCAN_OPS = ['ListSecrets', 'DescribeSecret', 'ListSecretVersionIds'];
const PAGE = 100;
const SEED_CONCURRENCY = 16;

// ---------------------------------------------------------------------------------------
// Seeding

/** `count` plain secrets (one AWSCURRENT version each), 16 CreateSecret calls in flight. */
async function seedPlain(region: string, count: number, prefix = 'fleet'): Promise<void> {
  const sm = client(moto().endpoint, region);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const name = `${prefix}/${String(i).padStart(5, '0')}`;
      await sm.send(new CreateSecretCommand({ Name: name, SecretString: `plain-${i}` }));
    }
  };
  try {
    await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
  } finally {
    sm.destroy();
  }
}

/** Field-case seeds, one at a time (they share the rotation Lambda), by secret name. */
async function seedCases(cases: Record<string, string>): Promise<Map<string, Seeded>> {
  const seeded = new Map<string, Seeded>();
  for (const [name, id] of Object.entries(cases)) {
    const seed = CASES[id]?.seed;
    assert.ok(seed, `no seed ${id}`);
    seeded.set(name, await seed(moto().endpoint, { name }));
  }
  return seeded;
}

function sentinelsOf(seeded: Map<string, Seeded>): string[] {
  return [...seeded.values()].flatMap((s) => s.sentinels);
}

function arnOf(seeded: Map<string, Seeded>, name: string): string {
  const s = seeded.get(name);
  assert.ok(s, `not seeded: ${name}`);
  return s.arn;
}

// ---------------------------------------------------------------------------------------
// Running scan and reading its JSON document

/** The document's entry type is rotctl's own: a renamed field fails the typecheck here. */
type Blocked = BlockedSecret;
interface Overdue {
  region: string;
  name: string;
  arn: string;
  nextRotationDate: string | null;
}
interface RegionRow {
  region: string;
  secrets: number;
  error?: { exitCode: number };
}
interface ScanDoc {
  schemaVersion: number;
  command: string;
  regions: RegionRow[];
  blocked: Blocked[];
  overdue: Overdue[];
  healthy?: { name: string; region: string }[];
  result: { exitCode: number; blocked: number };
}

function scanDoc(r: CliResult): ScanDoc {
  const doc = parseJsonDoc(r);
  for (const key of ['regions', 'blocked', 'overdue']) {
    assert.ok(Array.isArray(doc[key]), `JSON has no ${key} list\n${describeRun(r)}`);
  }
  assert.equal(doc['schemaVersion'], 1);
  assert.equal(doc['command'], 'scan');
  return doc as unknown as ScanDoc;
}

function scan(args: string[], endpoint: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli(['scan', ...args], { endpoint, env });
}

const names = (list: readonly { name: string }[]): string[] => list.map((b) => b.name).sort();

function byName(doc: ScanDoc, name: string, region = US): Blocked {
  const hit = doc.blocked.find((b) => b.name === name && b.region === region);
  assert.ok(hit, `${name} (${region}) is not reported as blocked`);
  return hit;
}

const AGE_RE = /^(\d+m|\d+h \d+m|\d+d \d+h)$/;

function assertEntry(b: Blocked, arn: string, rotation: boolean, states: string[]): void {
  assert.equal(b.arn, arn, `${b.name}: ARN`);
  assert.equal(b.rotationEnabled, rotation, `${b.name}: rotationEnabled`);
  assert.ok(states.includes(b.state), `${b.name}: state ${b.state}, expected ${states}`);
  assert.ok(
    b.pendingSince && !Number.isNaN(Date.parse(b.pendingSince)),
    `${b.name}: pendingSince ${String(b.pendingSince)}`,
  );
  assert.match(b.pendingFor, AGE_RE, `${b.name}: pendingFor`);
  assert.ok(
    b.fix?.startsWith(`rotctl cancel ${arn}`),
    `${b.name}: the fix must be the rotctl cancel command for its ARN, got ${String(b.fix)}`,
  );
}

/** The bound: pages per region, one Describe per candidate, one list per hit. */
function assertRequests(p: FaultProxy, pages: number, candidates: number, hits: number): void {
  const ops = opsOf(p.log);
  const all = ops.join(', ');
  for (const op of ops) assert.ok(SCAN_OPS.includes(op), `scan sent ${op}`);
  assert.equal(p.count('ListSecrets'), pages, `ListSecrets requests (${all})`);
  assert.equal(p.count('DescribeSecret'), candidates, 'DescribeSecret requests');
  assert.equal(p.count('ListSecretVersionIds'), hits, 'ListSecretVersionIds requests');
  assert.equal(p.count('GetSecretValue'), 0, 'scan read a secret value');
  assert.equal(ops.length, pages + candidates + hits, `total requests (${all})`);
}

/** Each candidate was described exactly once, by ARN, and nothing else was. */
function assertDescribed(p: FaultProxy, arns: string[]): void {
  const described = p.log
    .filter((e) => e.target === 'DescribeSecret')
    .map((e) => String(e.body['SecretId']))
    .sort();
  assert.deepEqual(described, [...arns].sort());
}

// ---------------------------------------------------------------------------------------
// 300 secrets, blocked in different ways, next to healthy look-alikes

const BLOCKED_CASES: Record<string, string> = {
  'stuck/value': 'C01',
  'stuck/placeholder': 'C02',
  'stuck/on-previous': 'C07',
  'stuck/custom-labels': 'S11',
  'stuck/rotation-off': 'S9',
  'stuck/missing-lambda': 'C22',
};
const LOOKALIKE_CASES: Record<string, string> = {
  'ok/finished': 'C03',
  'ok/healthy': 'healthy',
  'ok/cancelled': 'C11',
  'ok/cleaned': 'C23-cancelled',
  'ok/never-rotated': 'C23',
};

async function seedFleet(total: number): Promise<Map<string, Seeded>> {
  const seeded = await seedCases({ ...BLOCKED_CASES, ...LOOKALIKE_CASES });
  await seedPlain(US, total - seeded.size);
  return seeded;
}

function assertFleetEntries(doc: ScanDoc, seeded: Map<string, Seeded>): void {
  const arn = (n: string): string => arnOf(seeded, n);
  assertEntry(byName(doc, 'stuck/value'), arn('stuck/value'), true, ['S3/S6']);
  // Without a value probe a placeholder can't be told from S6; either class is honest.
  assertEntry(byName(doc, 'stuck/placeholder'), arn('stuck/placeholder'), true, ['S3/S6']);
  assertEntry(byName(doc, 'stuck/missing-lambda'), arn('stuck/missing-lambda'), true, ['S3/S6']);
  assertEntry(byName(doc, 'stuck/on-previous'), arn('stuck/on-previous'), true, ['S7']);
  const s7 = byName(doc, 'stuck/on-previous');
  assert.equal(s7.fix, `rotctl cancel ${arn('stuck/on-previous')} --yes`, 'S7 is safe with --yes');
  assertEntry(byName(doc, 'stuck/custom-labels'), arn('stuck/custom-labels'), true, ['S3/S6']);
  assertEntry(byName(doc, 'stuck/rotation-off'), arn('stuck/rotation-off'), false, ['S3/S6']);
}

test(
  'scan of 300 secrets: exactly the 6 blocked ones, within the request bound',
  moto.options,
  async () => {
    const seeded = await seedFleet(300);
    const p = await useProxy();
    const r = await scan(['--region', US, '--output', 'json', '-v'], p.endpoint);
    assertExit(r, 8);
    const doc = scanDoc(r);
    assert.deepEqual(names(doc.blocked), Object.keys(BLOCKED_CASES).sort());
    assertFleetEntries(doc, seeded);
    assert.deepEqual(
      doc.regions.map((g) => [g.region, g.secrets]),
      [[US, 300]],
    );
    assert.deepEqual(doc.result, { exitCode: 8, blocked: 6 });
    assert.equal(doc.healthy, undefined, 'healthy secrets are listed only with --all');
    assertRequests(p, Math.ceil(300 / PAGE), 6, 6);
    assertDescribed(
      p,
      Object.keys(BLOCKED_CASES).map((n) => arnOf(seeded, n)),
    );
    // -v: one stderr line per AWS call, the same calls the wire saw.
    assert.deepEqual(verboseOps(r.stderr).sort(), opsOf(p.log).sort());
    assertNoSentinels(r, sentinelsOf(seeded));
  },
);

test(
  'scan table: one row per blocked secret with its command; --all adds the healthy',
  moto.options,
  async () => {
    const seeded = await seedCases({
      'stuck/value': 'C01',
      'stuck/on-previous': 'C07',
      'ok/finished': 'C03',
      'ok/healthy': 'healthy',
    });
    await seedPlain(US, 96);
    const p = await useProxy();
    const r = await scan(['--region', US], p.endpoint);
    assertExit(r, 8);
    for (const name of ['stuck/value', 'stuck/on-previous']) {
      const row = r.stdout.split('\n').find((l) => l.includes(` ${name} `)) ?? '';
      assert.ok(row.includes(`rotctl cancel ${arnOf(seeded, name)}`), describeRun(r));
      assert.match(row, /^us-east-1\s/);
    }
    assert.ok(!/ok\/finished|ok\/healthy|fleet\//.test(r.stdout), describeRun(r));
    assert.match(r.stdout, /Scanned 100 secret\(s\) in 1 region\(s\): 2 blocked, 0 overdue\./);
    const all = await scan(['--region', US, '--all'], p.endpoint);
    assertExit(all, 8);
    assert.match(all.stdout, /^Healthy$/m, describeRun(all));
    assert.match(all.stdout, /^us-east-1\s+ok\/finished$/m);
    assert.match(all.stdout, /^us-east-1\s+fleet\/00095$/m);
    const json = scanDoc(await scan(['--region', US, '--all', '--output', 'json'], p.endpoint));
    assert.equal(json.healthy?.length, 98);
    assertNoSentinels(all, sentinelsOf(seeded));
  },
);

test(
  'scan with only healthy look-alikes (C03 included): exit 0, nothing described',
  moto.options,
  async () => {
    const seeded = await seedCases(LOOKALIKE_CASES);
    await seedPlain(US, 150 - seeded.size);
    const p = await useProxy();
    const r = await scan(['--region', US, '--output', 'json'], p.endpoint);
    assertExit(r, 0);
    const doc = scanDoc(r);
    assert.deepEqual(doc.blocked, []);
    assert.deepEqual(doc.result, { exitCode: 0, blocked: 0 });
    assertRequests(p, 2, 0, 0);
    const text = await scan(['--region', US], p.endpoint);
    assertExit(text, 0);
    assert.match(text.stdout, /Scanned 150 secret\(s\) in 1 region\(s\): 0 blocked/);
  },
);

// ---------------------------------------------------------------------------------------
// ListSecrets lags: a hit it reports may already be repaired

/** Proxy hook: removes AWSPENDING from P of `name` just before its DescribeSecret is served. */
function unblockOnDescribe(p: FaultProxy, s: Seeded): void {
  p.add({
    target: 'DescribeSecret',
    mode: 'hook',
    match: (body) => body['SecretId'] === s.arn,
    hook: async () => {
      const sm = client(moto().endpoint);
      try {
        await sm.send(
          new UpdateSecretVersionStageCommand({
            SecretId: s.arn,
            VersionStage: 'AWSPENDING',
            RemoveFromVersionId: VERSION_IDS.P,
          }),
        );
      } finally {
        sm.destroy();
      }
    },
  });
}

test(
  'scan drops a stale ListSecrets hit that DescribeSecret no longer confirms',
  moto.options,
  async () => {
    const seeded = await seedCases({
      'stuck/value': 'C01',
      'stuck/placeholder': 'C02',
      'stuck/on-previous': 'C07',
    });
    await seedPlain(US, 97);
    const p = await useProxy();
    const stale = seeded.get('stuck/on-previous');
    assert.ok(stale);
    unblockOnDescribe(p, stale);
    const r = await scan(['--region', US, '--output', 'json'], p.endpoint);
    assertExit(r, 8);
    assert.equal(p.log.filter((e) => e.fault === 'hook').length, 1, 'the hook did not run');
    const doc = scanDoc(r);
    assert.deepEqual(names(doc.blocked), ['stuck/placeholder', 'stuck/value']);
    assert.equal(doc.result.blocked, 2);
    assertRequests(p, 1, 3, 2);
  },
);

test('scan whose only hit is stale: exit 0, nothing reported', moto.options, async () => {
  const seeded = await seedCases({ 'stuck/placeholder': 'C02' });
  await seedPlain(US, 20);
  const p = await useProxy();
  const only = seeded.get('stuck/placeholder');
  assert.ok(only);
  unblockOnDescribe(p, only);
  const r = await scan(['--region', US], p.endpoint);
  assertExit(r, 0);
  assert.match(r.stdout, /: 0 blocked/, describeRun(r));
  assert.ok(!r.stdout.includes('stuck/placeholder'), describeRun(r));
  assertRequests(p, 1, 1, 0);
});

// ---------------------------------------------------------------------------------------
// Two regions

/** RotateSecret with a Lambda that does not exist: moto leaves a value-less AWSPENDING. */
async function placeholderIn(region: string, name: string): Promise<string> {
  const sm = client(moto().endpoint, region);
  try {
    const made = await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }));
    await sm
      .send(
        new RotateSecretCommand({
          SecretId: name,
          RotationLambdaARN: MISSING_LAMBDA_ARN,
          RotationRules: { AutomaticallyAfterDays: 30 },
        }),
      )
      .catch((err: unknown) => {
        if (!(err instanceof Error && err.name === 'ResourceNotFoundException')) throw err;
      });
    return made.ARN ?? '';
  } finally {
    sm.destroy();
  }
}

/** AWSPENDING written by a script on a new version (`stages`), rotation never configured. */
async function pendingIn(region: string, name: string, stages: string[]): Promise<string> {
  const sm = client(moto().endpoint, region);
  try {
    const made = await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }));
    await sm.send(
      new PutSecretValueCommand({
        SecretId: name,
        ClientRequestToken: randomUUID(),
        SecretString: 'v2',
        VersionStages: stages,
      }),
    );
    return made.ARN ?? '';
  } finally {
    sm.destroy();
  }
}

interface TwoRegions {
  us: Map<string, Seeded>;
  eu: Record<string, string>;
}

/** us-east-1: 50 secrets, 2 blocked. eu-west-1: 250 secrets, 2 blocked, 1 look-alike. */
async function seedTwoRegions(): Promise<TwoRegions> {
  const us = await seedCases({ 'stuck/value': 'C01', 'shared/name': 'healthy' });
  await pendingIn(US, 'us/script', ['AWSPENDING']);
  await seedPlain(US, 47);
  const eu = {
    'eu/placeholder': await placeholderIn(EU, 'eu/placeholder'),
    'shared/name': await pendingIn(EU, 'shared/name', ['AWSPENDING']),
    'eu/finished': await pendingIn(EU, 'eu/finished', ['AWSCURRENT', 'AWSPENDING']),
  };
  await seedPlain(EU, 247);
  return { us, eu };
}

function assertTwoRegionHits(doc: ScanDoc, seeded: TwoRegions): void {
  const key = (b: Blocked): string => `${b.region} ${b.name}`;
  assert.deepEqual(doc.blocked.map(key).sort(), [
    `${EU} eu/placeholder`,
    `${EU} shared/name`,
    `${US} stuck/value`,
    `${US} us/script`,
  ]);
  for (const b of doc.blocked) {
    assert.ok(b.arn.includes(`:${b.region}:`), `${b.name}: ARN ${b.arn} not in ${b.region}`);
    assert.ok(b.fix?.startsWith(`rotctl cancel ${b.arn}`), `${b.name}: fix ${String(b.fix)}`);
  }
  assert.equal(byName(doc, 'shared/name', EU).arn, seeded.eu['shared/name']);
  assert.equal(byName(doc, 'eu/placeholder', EU).rotationEnabled, true);
  assert.equal(byName(doc, 'shared/name', EU).rotationEnabled, false);
  assert.equal(byName(doc, 'stuck/value', US).arn, arnOf(seeded.us, 'stuck/value'));
}

/** One paged listing per region: a first page each, then the continuation tokens. */
function listTokens(p: FaultProxy): string[] {
  return p.log
    .filter((e) => e.target === 'ListSecrets')
    .map((e) => String(e.body['NextToken'] ?? '-'))
    .sort();
}

test(
  'scan of two regions (--region twice): hits in each, one paged list per region',
  moto.options,
  async () => {
    const seeded = await seedTwoRegions();
    const p = await useProxy();
    const r = await scan(['--region', US, '--region', EU, '--output', 'json'], p.endpoint);
    assertExit(r, 8);
    const doc = scanDoc(r);
    assert.deepEqual(
      doc.regions.map((g) => [g.region, g.secrets]),
      [
        [US, 50],
        [EU, 250],
      ],
    );
    assertTwoRegionHits(doc, seeded);
    assertRequests(p, 1 + 3, 4, 4);
    assert.deepEqual(listTokens(p), ['-', '-', '100', '200']);
    const text = await scan(['--region', US, '--region', EU], p.endpoint);
    assertExit(text, 8);
    assert.match(text.stdout, /^eu-west-1\s+shared\/name\s/m, describeRun(text));
    assert.match(text.stdout, /Scanned 300 secret\(s\) in 2 region\(s\): 4 blocked/);
  },
);

test(
  'scan --all-regions lists every known region once and finds the same hits',
  moto.options,
  async () => {
    const seeded = await seedTwoRegions();
    const p = await useProxy();
    const r = await scan(['--all-regions', '--output', 'json'], p.endpoint);
    assertExit(r, 8);
    const doc = scanDoc(r);
    assert.deepEqual(doc.regions.map((g) => g.region).sort(), [...KNOWN_REGIONS].sort());
    assertTwoRegionHits(doc, seeded);
    assertRequests(p, KNOWN_REGIONS.length + 2, 4, 4);
  },
);

// ---------------------------------------------------------------------------------------
// Overdue rotations and pending age, through a response-rewriting proxy of this file

type Json = Record<string, unknown>;
type Rewrite = (target: string, request: Json, response: Json) => void;

interface Rewriter {
  endpoint: string;
  close(): Promise<void>;
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function parse(raw: string): Json {
  try {
    const v: unknown = JSON.parse(raw);
    return typeof v === 'object' && v !== null ? (v as Json) : {};
  } catch {
    return {};
  }
}

const FORWARDED = [
  'authorization',
  'content-type',
  'x-amz-target',
  'x-amz-date',
  'x-amz-content-sha256',
  'amz-sdk-invocation-id',
  'amz-sdk-request',
  'user-agent',
];

async function relay(
  upstream: string,
  req: IncomingMessage,
  res: ServerResponse,
  rewrite: Rewrite,
): Promise<void> {
  const raw = await readBody(req);
  const headers: Record<string, string> = {};
  for (const h of FORWARDED) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  const up = await fetch(`${upstream}${req.url ?? '/'}`, {
    method: req.method ?? 'POST',
    headers,
    body: raw,
  });
  let text = await up.text();
  const target = (headers['x-amz-target'] ?? '').split('.').pop() ?? '';
  if (up.ok) {
    const doc = parse(text);
    rewrite(target, parse(raw.toString('utf8')), doc);
    text = JSON.stringify(doc);
  }
  res.writeHead(up.status, {
    'content-type': up.headers.get('content-type') ?? 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** A loopback proxy in front of moto that edits JSON answers with `rewrite`. */
async function startRewriter(upstream: string, rewrite: Rewrite): Promise<Rewriter> {
  const server = http.createServer((req, res) => {
    relay(upstream, req, res, rewrite).catch((err: unknown) => {
      res.writeHead(502);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  assert.ok(addr && typeof addr === 'object');
  return {
    endpoint: `http://127.0.0.1:${addr.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const DAY = 86_400;
const nowSec = (): number => Math.floor(Date.now() / 1000);

/** ListSecrets: the named secrets' NextRotationDate moves into the past. */
function pastNextRotation(target: string, res: Json, named: string[], at: number): void {
  if (target !== 'ListSecrets' || !Array.isArray(res['SecretList'])) return;
  for (const e of res['SecretList'] as Json[]) {
    if (named.includes(String(e['Name']))) e['NextRotationDate'] = at;
  }
}

/** ListSecretVersionIds of `arn`: the AWSPENDING version was created at `at`. */
function oldPending(target: string, req: Json, res: Json, arn: string, at: number): void {
  if (target !== 'ListSecretVersionIds' || req['SecretId'] !== arn) return;
  for (const v of (res['Versions'] ?? []) as Json[]) {
    const stages = v['VersionStages'];
    if (Array.isArray(stages) && stages.includes('AWSPENDING')) v['CreatedDate'] = at;
  }
}

test(
  'scan flags overdue rotations separately and reports the pending age',
  moto.options,
  async () => {
    // NOTE: moto 5.2.1 sets NextRotationDate = now + AutomaticallyAfterDays (>= 1 day) and
    // has no clock control, and its ListSecretVersionIds CreatedDate is the time of the call.
    // So both dates are rewritten on the way back, by this file's proxy.
    const seeded = await seedCases({
      'od/overdue': 'healthy',
      'od/rotation-off': 'C11',
      'od/future': 'healthy',
      'od/stuck': 'C02',
    });
    await seedPlain(US, 10);
    const due = nowSec() - 2 * DAY;
    const pendingAt = nowSec() - 3 * DAY - 2 * 3600 - 60;
    const stuck = arnOf(seeded, 'od/stuck');
    const rw = await startRewriter(moto().endpoint, (target, req, res) => {
      pastNextRotation(target, res, ['od/overdue', 'od/rotation-off'], due);
      oldPending(target, req, res, stuck, pendingAt);
    });
    try {
      await assertOverdueScan(rw.endpoint, seeded, due, pendingAt);
      // Once the blocked one is repaired, an overdue rotation alone still exits 0.
      await unblock(stuck);
      const r = await scan(['--region', US, '--output', 'json'], rw.endpoint);
      assertExit(r, 0);
      assert.deepEqual(names(scanDoc(r).overdue), ['od/overdue']);
    } finally {
      await rw.close();
    }
  },
);

async function assertOverdueScan(
  endpoint: string,
  seeded: Map<string, Seeded>,
  due: number,
  pendingAt: number,
): Promise<void> {
  const r = await scan(['--region', US, '--output', 'json'], endpoint);
  assertExit(r, 8);
  const doc = scanDoc(r);
  assert.deepEqual(
    doc.overdue.map((o) => [o.name, o.arn, o.nextRotationDate]),
    [['od/overdue', arnOf(seeded, 'od/overdue'), new Date(due * 1000).toISOString()]],
  );
  const stuck = byName(doc, 'od/stuck');
  assert.equal(stuck.pendingSince, new Date(pendingAt * 1000).toISOString());
  assert.equal(stuck.pendingFor, '3d 2h');
  const text = await scan(['--region', US], endpoint);
  assertExit(text, 8);
  assert.match(text.stdout, /^Rotation overdue/m, describeRun(text));
  assert.match(text.stdout, /^us-east-1\s+od\/overdue\s/m);
  assert.match(text.stdout, /^us-east-1\s+od\/stuck\s+\S+\s+on\s+3d 2h\s/m);
  assert.ok(!/od\/rotation-off|od\/future/.test(text.stdout), describeRun(text));
  assert.match(text.stdout, /: 1 blocked, 1 overdue\./);
}

async function unblock(arn: string): Promise<void> {
  const sm = client(moto().endpoint);
  try {
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: arn,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: VERSION_IDS.P,
      }),
    );
  } finally {
    sm.destroy();
  }
}

// ---------------------------------------------------------------------------------------
// States whose repair a scan can't name without reading a value

test(
  'scan names a rotctl cancel command for a blocked secret with no AWSCURRENT (S8)',
  moto.options,
  async () => {
    // status says `rotctl cancel ARN --promote` for this secret (its pending version holds a
    // value). scan reads no value, but must still point at rotctl, not tell the operator to
    // store a value the secret already has.
    const seeded = await seedCases({ 'stuck/no-current': 'C04' });
    const p = await useProxy();
    const r = await scan(['--region', US, '--output', 'json'], p.endpoint);
    assertExit(r, 8);
    const hit = byName(scanDoc(r), 'stuck/no-current');
    assert.equal(hit.state, 'S8');
    assertEntry(hit, arnOf(seeded, 'stuck/no-current'), true, ['S8']);
  },
);

// ---------------------------------------------------------------------------------------
// Errors

test(
  'scan: a region that fails is reported with its code; the other region still scans',
  moto.options,
  async () => {
    await seedTwoRegions();
    const p = await useProxy();
    // --concurrency 1: regions in order, so the one denied ListSecrets is us-east-1's.
    p.add({ target: 'ListSecrets', mode: 'deny', times: 1 });
    const r = await scan(
      ['--region', US, '--region', EU, '--concurrency', '1', '--output', 'json'],
      p.endpoint,
    );
    assertExit(r, 6);
    const doc = scanDoc(r);
    assert.equal(doc.regions[0]?.error?.exitCode, 6, describeRun(r));
    assert.deepEqual(names(doc.blocked), ['eu/placeholder', 'shared/name']);
    assert.match(r.stderr, /us-east-1/);
  },
);

test('scan when ListSecrets is throttled throughout: exit 7', moto.options, async () => {
  await seedPlain(US, 5);
  const p = await useProxy();
  p.add({ target: 'ListSecrets', mode: 'throttle', times: Infinity });
  const r = await scan(['--region', US], p.endpoint, { ROTCTL_MAX_ATTEMPTS: '1' });
  assertExit(r, 7);
});

const USAGE: readonly (readonly string[])[] = [
  ['--region', US, '--all-regions'],
  ['--region', 'nowhere'],
  ['--region', US, '--concurrency', '0'],
  ['--region', US, '--output', 'yaml'],
  ['extra-argument', '--region', US],
];

test(
  'scan usage errors exit 2 before any request, also with no region at all',
  moto.options,
  async () => {
    const p = await useProxy();
    for (const args of USAGE) assertExit(await scan([...args], p.endpoint), 2);
    const noRegion = await scan([], p.endpoint, { AWS_REGION: undefined });
    assertExit(noRegion, 2);
    assert.match(noRegion.stderr, /--region/);
    assert.equal(p.count(), 0, `usage errors sent ${opsOf(p.log).join(', ')}`);
  },
);

// ---------------------------------------------------------------------------------------
// One hit that cannot be re-read does not cost the rest of the region

test(
  'a DescribeSecret denied on one hit: it is listed as unconfirmed, the others stay, exit 6',
  moto.options,
  async () => {
    const seeded = await seedCases({ 'deny/a': 'C02', 'deny/b': 'C07' });
    const p = await useProxy();
    p.add({
      target: 'DescribeSecret',
      mode: 'deny',
      times: Infinity,
      match: (body) => body['SecretId'] === arnOf(seeded, 'deny/a'),
    });
    const r = await scan(['--region', US, '--output', 'json'], p.endpoint);
    assertExit(r, 6);
    const doc = scanDoc(r);
    const denied = byName(doc, 'deny/a');
    assert.equal(denied.state, 'unconfirmed');
    assert.match(denied.title, /not re-confirmed: Access denied/);
    assert.equal(denied.fix, `rotctl status ${arnOf(seeded, 'deny/a')}`);
    assert.equal(byName(doc, 'deny/b').state, 'S7');
    assert.equal(doc.result.exitCode, 6);
  },
);

test('usage errors in --output json still print one document', async () => {
  for (const args of [
    ['--concurrency', '0'],
    ['--region', 'us-east-1', '--all-regions'],
  ]) {
    const r = await runCli(['scan', ...args, '--output', 'json']);
    assertExit(r, 2);
    const doc = parseJsonDoc(r) as { schemaVersion: number; result: { exitCode: number } };
    assert.equal(doc.schemaVersion, 1);
    assert.equal(doc.result.exitCode, 2);
  }
});
