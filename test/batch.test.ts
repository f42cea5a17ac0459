// Batch cancel: `rotctl cancel a b c` and `--from-file FILE|-`. Each secret is handled with the
// single-secret rules and one failure does not stop the others; blank lines and # comments
// are not secrets; the end shows one line per secret and a summary; the exit code is the most
// severe one (0, 8, 2, 3, 4, 6, 7, 5, 1, 130, least to most); --output json is one document.
// End states are read back from moto; writes are counted at the proxy.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import {
  assertExit,
  assertNoSentinels,
  describeRun,
  labelsOf,
  parseJsonDoc,
  rotationEnabled,
  runCli,
  spawnCli,
  writesOf,
} from './helpers/cli.js';
import type { CliResult, Labels } from './helpers/cli.js';
import { useRecordingProxy } from './helpers/fault-proxy.js';
import type { Fault, FaultProxy } from './helpers/fault-proxy.js';
import { client, useMoto } from './helpers/moto.js';
import { CASES, CUSTOM_LABELS, VERSION_IDS } from './helpers/seed.js';
import type { Seeded } from './helpers/seed.js';

const moto = useMoto();
const useProxy = useRecordingProxy(moto);
let tmp = '';

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rotctl-batch-'));
});
after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const CUR = 'AWSCURRENT';
const PREV = 'AWSPREVIOUS';
const PEND = 'AWSPENDING';
const { A, B, P } = VERSION_IDS;

// ---------------------------------------------------------------------------------------
// Seeding and reading back

async function seedCases(cases: Record<string, string>): Promise<Map<string, Seeded>> {
  const seeded = new Map<string, Seeded>();
  for (const [name, id] of Object.entries(cases)) {
    const seed = CASES[id]?.seed;
    assert.ok(seed, `no seed ${id}`);
    seeded.set(name, await seed(moto().endpoint, { name }));
  }
  return seeded;
}

function get(seeded: Map<string, Seeded>, name: string): Seeded {
  const s = seeded.get(name);
  assert.ok(s, `not seeded: ${name}`);
  return s;
}

const sentinelsOf = (m: Map<string, Seeded>): string[] =>
  [...m.values()].flatMap((s) => s.sentinels);

async function assertEnd(s: Seeded, labels: Labels, rotation: boolean): Promise<void> {
  const now = await labelsOf(moto().endpoint, s.arn);
  for (const [id, want] of Object.entries(labels)) {
    assert.deepEqual(now[id], [...want].sort(), `${s.name}: labels of ${id}`);
  }
  assert.equal(await rotationEnabled(moto().endpoint, s.arn), rotation, `${s.name}: rotation`);
}

const STUCK: Labels = { [A]: [CUR], [B]: [PREV], [P]: [PEND] };
const ROLLED_BACK: Labels = { [A]: [CUR], [B]: [PREV], [P]: [] };

/** Target ARN of every write the proxy saw. */
function writtenArns(p: FaultProxy): string[] {
  return p.log.filter((e) => writesOf([e]).length > 0).map((e) => String(e.body['SecretId']));
}

// ---------------------------------------------------------------------------------------
// Reading the output

interface SecretReport {
  secret: { id: string; name?: string; arn?: string };
  result: { status: string; exitCode: number };
}
interface BatchDoc {
  schemaVersion: number;
  command: string;
  secrets: SecretReport[];
  notStarted: string[];
  result: { exitCode: number };
}

function batchDoc(r: CliResult): BatchDoc {
  const doc = parseJsonDoc(r);
  assert.ok(Array.isArray(doc['secrets']), `no secrets list\n${describeRun(r)}`);
  assert.ok(Array.isArray(doc['notStarted']), `no notStarted list\n${describeRun(r)}`);
  assert.equal(doc['schemaVersion'], 1);
  assert.equal(doc['command'], 'cancel');
  return doc as unknown as BatchDoc;
}

/** [id, exit code, status] per secret, in order. */
const outcomes = (doc: BatchDoc): [string, number, string][] =>
  doc.secrets.map((s) => [s.secret.id, s.result.exitCode, s.result.status]);

/** The summary's line for one secret: name, exit code, status. */
function assertSummaryLine(r: CliResult, name: string, code: number, status: string): void {
  const esc = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const re = new RegExp(`^\\s+${esc}\\s+${code}\\s+${status}$`, 'm');
  assert.match(summaryOf(r), re, `summary line for ${name}\n${describeRun(r)}`);
}

function summaryOf(r: CliResult): string {
  const at = r.stdout.lastIndexOf('\nSummary\n');
  assert.ok(at >= 0, `no Summary block\n${describeRun(r)}`);
  return r.stdout.slice(at);
}

// ---------------------------------------------------------------------------------------
// A mixed list: fixed, needs a decision, missing; comments and blank lines skipped

const MIXED_FILE = [
  '# stuck rotations found by rotctl scan',
  'batch/placeholder',
  '',
  '   ',
  '# batch/value would be here, but this line is a comment',
  'batch/value',
  'batch/missing',
  '',
].join('\n');

async function seedMixed(): Promise<Map<string, Seeded>> {
  return seedCases({ 'batch/placeholder': 'C02', 'batch/value': 'C01' });
}

async function assertMixedEnd(p: FaultProxy, seeded: Map<string, Seeded>): Promise<void> {
  const fixed = get(seeded, 'batch/placeholder');
  await assertEnd(fixed, ROLLED_BACK, false);
  await assertEnd(get(seeded, 'batch/value'), STUCK, true);
  assert.deepEqual(writtenArns(p), [fixed.arn, fixed.arn], 'only the placeholder is written');
  const described = p.log
    .filter((e) => e.target === 'DescribeSecret')
    .map((e) => e.body['SecretId']);
  assert.deepEqual(
    described,
    ['batch/placeholder', 'batch/value', 'batch/missing'],
    'comments and blank lines must never be sent as secret ids',
  );
}

test(
  '--from-file mixed list --yes: each secret on its own, summary, most severe exit (6)',
  moto.options,
  async () => {
    const seeded = await seedMixed();
    const file = path.join(tmp, 'mixed.txt');
    await writeFile(file, MIXED_FILE);
    const p = await useProxy();
    const r = await runCli(['cancel', '--from-file', file, '--yes'], { endpoint: p.endpoint });
    assertExit(r, 6);
    for (const [i, name] of ['batch/placeholder', 'batch/value', 'batch/missing'].entries()) {
      assert.match(r.stdout, new RegExp(`^== \\[${i + 1}/3\\] ${name}$`, 'm'), describeRun(r));
    }
    assert.ok(!/\[4\/|^== .*#/m.test(r.stdout), `a comment or blank line became a secret`);
    assertSummaryLine(r, 'batch/placeholder', 0, 'done');
    assertSummaryLine(r, 'batch/value', 3, 'decision-needed');
    assertSummaryLine(r, 'batch/missing', 6, 'failed');
    assert.match(summaryOf(r), /^1 of 3 secret\(s\) finished with exit 0\.$/m);
    assert.match(r.stderr, /batch\/value needs a decision/, describeRun(r));
    assert.match(r.stderr, /batch\/missing not found/i, describeRun(r));
    await assertMixedEnd(p, seeded);
    assertNoSentinels(r, sentinelsOf(seeded));
  },
);

test(
  '--from-file - (stdin) --output json: one document, per-secret reports, exit 6',
  moto.options,
  async () => {
    const seeded = await seedMixed();
    const p = await useProxy();
    const r = await runCli(['cancel', '--from-file', '-', '--yes', '--output', 'json'], {
      endpoint: p.endpoint,
      input: MIXED_FILE,
    });
    assertExit(r, 6);
    const doc = batchDoc(r);
    assert.deepEqual(outcomes(doc), [
      ['batch/placeholder', 0, 'done'],
      ['batch/value', 3, 'decision-needed'],
      ['batch/missing', 6, 'failed'],
    ]);
    assert.equal(doc.secrets[0]?.secret.arn, get(seeded, 'batch/placeholder').arn);
    assert.deepEqual(doc.notStarted, []);
    assert.equal(doc.result.exitCode, 6);
    await assertMixedEnd(p, seeded);
    assertNoSentinels(r, sentinelsOf(seeded));
  },
);

// ---------------------------------------------------------------------------------------
// The runbook: --yes --rollback on several

const SEVERAL: Record<string, string> = {
  'fix/value': 'C01',
  'fix/placeholder': 'C02',
  'fix/on-previous': 'C07',
  'fix/custom': 'S11',
};

async function assertAllRolledBack(seeded: Map<string, Seeded>): Promise<void> {
  await assertEnd(get(seeded, 'fix/value'), ROLLED_BACK, false);
  await assertEnd(get(seeded, 'fix/placeholder'), ROLLED_BACK, false);
  await assertEnd(get(seeded, 'fix/on-previous'), { [A]: [CUR], [P]: [PREV] }, false);
  // Custom labels stay where they were; only AWSPENDING leaves P.
  await assertEnd(
    get(seeded, 'fix/custom'),
    {
      [A]: [CUR, CUSTOM_LABELS.A],
      [B]: [PREV, CUSTOM_LABELS.B],
      [P]: [CUSTOM_LABELS.P],
    },
    false,
  );
}

test(
  'cancel a b c d --yes --rollback fixes every one; a scan then finds nothing',
  moto.options,
  async () => {
    const seeded = await seedCases(SEVERAL);
    const p = await useProxy();
    const ids = Object.keys(SEVERAL);
    const r = await runCli(['cancel', ...ids, '--yes', '--rollback'], { endpoint: p.endpoint });
    assertExit(r, 0);
    for (const id of ids) assertSummaryLine(r, id, 0, 'done');
    assert.match(summaryOf(r), /^4 of 4 secret\(s\) finished with exit 0\.$/m);
    await assertAllRolledBack(seeded);
    // One CancelRotateSecret and one AWSPENDING removal each, nothing else.
    assert.equal(writesOf(p.log).length, 8, writesOf(p.log).join(', '));
    assertNoSentinels(r, sentinelsOf(seeded));
    const scan = await runCli(['scan', '--region', 'us-east-1'], { endpoint: p.endpoint });
    assertExit(scan, 0);
  },
);

// ---------------------------------------------------------------------------------------
// The most severe exit code wins: 0 < 8 < 2 < 3 < 4 < 6 < 7 < 5 < 1 < 130

/** A second writer moves AWSPENDING to a new version while rotctl cancels the rotation. */
function movePendingOnCancel(s: Seeded): Fault {
  return {
    target: 'CancelRotateSecret',
    mode: 'hook',
    match: (body) => body['SecretId'] === s.arn,
    hook: async () => {
      const sm = client(moto().endpoint);
      try {
        await sm.send(
          new PutSecretValueCommand({
            SecretId: s.arn,
            ClientRequestToken: randomUUID(),
            SecretString: 'other-writer',
            VersionStages: [PEND],
          }),
        );
      } finally {
        sm.destroy();
      }
    },
  };
}

const throttled = (id: string): Fault => ({
  target: 'DescribeSecret',
  mode: 'throttle',
  times: Infinity,
  match: (body) => body['SecretId'] === id,
});

interface SeverityRow {
  ids: string[];
  /** Each secret's own exit code, in order. */
  each: number[];
  exit: number;
  faults?: (seeded: Map<string, Seeded>) => Fault[];
}

const BAD_ARN = 'arn:aws:secretsmanager:us-east-1:123:secret:bad';

const SEVERITY_ROWS: SeverityRow[] = [
  { ids: [BAD_ARN, 'sev/value'], each: [2, 3], exit: 3 },
  { ids: ['sev/deleted', 'sev/value'], each: [4, 3], exit: 4 },
  { ids: ['sev/value', 'sev/deleted', 'sev/missing', BAD_ARN], each: [3, 4, 6, 2], exit: 6 },
  {
    ids: ['sev/missing', 'sev/throttled'],
    each: [6, 7],
    exit: 7,
    faults: () => [throttled('sev/throttled')],
  },
  {
    ids: ['sev/throttled', 'sev/changed', 'sev/value'],
    each: [7, 5, 3],
    exit: 5,
    faults: (m) => [throttled('sev/throttled'), movePendingOnCancel(get(m, 'sev/changed'))],
  },
];

test('a batch exits with its most severe code (2<3<4<6<7<5)', moto.options, async () => {
  const seeded = await seedCases({
    'sev/value': 'C01',
    'sev/deleted': 'C17',
    'sev/changed': 'C02',
  });
  const p = await useProxy();
  const written: string[] = [];
  for (const row of SEVERITY_ROWS) {
    p.clear();
    p.add(...(row.faults?.(seeded) ?? []));
    const r = await runCli(['cancel', ...row.ids, '--yes', '--output', 'json'], {
      endpoint: p.endpoint,
      env: { ROTCTL_MAX_ATTEMPTS: '1' },
    });
    assertExit(r, row.exit);
    const doc = batchDoc(r);
    assert.deepEqual(
      doc.secrets.map((s) => s.result.exitCode),
      row.each,
      describeRun(r),
    );
    assert.equal(doc.result.exitCode, row.exit);
    written.push(...writtenArns(p));
  }
  // Nothing but the "changed" secret's cancel was written; no label was moved.
  await assertEnd(get(seeded, 'sev/value'), STUCK, true);
  assert.deepEqual(written, [get(seeded, 'sev/changed').arn]);
});

// ---------------------------------------------------------------------------------------
// Ctrl-C in a batch: the secret in flight stops, the rest are not started, exit 130

test(
  'Ctrl-C during a batch: nothing written, the rest not started, exit 130',
  moto.options,
  async () => {
    const seeded = await seedCases({ 'int/a': 'C02', 'int/b': 'C02', 'int/c': 'C02' });
    const p = await useProxy();
    let pid = 0;
    p.add({
      target: 'DescribeSecret',
      mode: 'hook',
      match: (body) => body['SecretId'] === 'int/a',
      hook: async () => {
        process.kill(pid, 'SIGINT');
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
    });
    const run = spawnCli(['cancel', 'int/a', 'int/b', 'int/c', '--yes', '--output', 'json'], {
      endpoint: p.endpoint,
    });
    pid = run.pid;
    const r = await run.done;
    assertExit(r, 130);
    const doc = batchDoc(r);
    assert.deepEqual(
      outcomes(doc).map(([id, code]) => [id, code]),
      [['int/a', 130]],
    );
    assert.deepEqual(doc.notStarted, ['int/b', 'int/c']);
    assert.equal(doc.result.exitCode, 130);
    assert.deepEqual(writesOf(p.log), []);
    for (const name of ['int/a', 'int/b', 'int/c']) {
      await assertEnd(get(seeded, name), STUCK, true);
    }
  },
);

// ---------------------------------------------------------------------------------------
// Usage

test(
  'batch usage errors: no secret, unreadable file, empty file: exit 2, no request',
  moto.options,
  async () => {
    const p = await useProxy();
    const empty = path.join(tmp, 'only-comments.txt');
    await writeFile(empty, '# nothing here\n\n');
    const missing = path.join(tmp, 'nope.txt');
    const argvs = [
      ['cancel', '--yes'],
      ['cancel', '--from-file', missing],
      ['cancel', '--from-file', empty, '--yes'],
      ['cancel', 'a', 'b', '--rollback', '--promote'],
    ];
    for (const args of argvs) assertExit(await runCli(args, { endpoint: p.endpoint }), 2);
    assert.equal(p.count(), 0);
  },
);

test('--from-file that cannot be read: exit 2, and --output json still prints one document', async () => {
  const r = await runCli(['cancel', '--from-file', '/nonexistent/stuck.txt', '--output', 'json']);
  assertExit(r, 2);
  const doc = parseJsonDoc(r) as { schemaVersion: number; result: { exitCode: number } };
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.result.exitCode, 2);
  assert.match(r.stderr, /^error: Cannot read --from-file \/nonexistent\/stuck\.txt \(ENOENT\)/m);
});
