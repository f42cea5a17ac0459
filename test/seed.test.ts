// Proves the moto fixtures: every seed is read back through the SDK and compared with the
// State of its field case (field-cases.md), written out independently below. Also covers
// the harness itself (env isolation, moto start/stop, behaviour without moto_server).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type {
  DescribeSecretCommandOutput,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { MISSING_AWS_FILE, testEnv } from './helpers/env.js';
import { client, MOTO_MISSING, startMoto, useMoto } from './helpers/moto.js';
import {
  ACCOUNT,
  C13_DEPRECATED_COUNT,
  CASES,
  CUSTOM_LABELS,
  DEFAULT_NAME,
  KMS_KEY_ARN,
  LAMBDA_ARN,
  lambdaExists,
  MANAGED_NAME,
  MANAGED_ROTATION_DAYS,
  MISSING_LAMBDA_ARN,
  PRIMARY_REGION,
  REPLICA_REGION,
  VERSION_IDS,
} from './helpers/seed.js';
import type { Letter, Seeded } from './helpers/seed.js';

// ---------------------------------------------------------------------------------------
// Expected states, transcribed from the "State" blocks of field-cases.md

const CUR = 'AWSCURRENT';
const PREV = 'AWSPREVIOUS';
const PEND = 'AWSPENDING';
const LETTERS: readonly Letter[] = ['A', 'B', 'P', 'Q'];

type ValueKind = 'string' | 'binary' | 'none';
interface VersionExpect {
  labels: string[];
  value: ValueKind;
}

interface Expect {
  /** `undefined`: DescribeSecret must not have the key at all. */
  rotationEnabled: boolean | undefined;
  lambdaArn: string | undefined;
  versions: Partial<Record<Letter, VersionExpect>>;
  region?: string;
  defaultName?: string;
  /** Unlabelled extra versions, each with a value (C13). */
  deprecated?: number;
  /** Scheduled for deletion: moto (like AWS) refuses GetSecretValue on it. */
  deleted?: boolean;
  /** Letter GetSecretValue without VersionId/Stage returns; default: AWSCURRENT holder. */
  defaultVersion?: Letter;
  extra?: (d: DescribeSecretCommandOutput, ctx: CheckCtx) => Promise<void>;
}

interface CheckCtx {
  endpoint: string;
  seeded: Seeded;
  sm: SecretsManagerClient;
}

const v = (value: ValueKind, ...labels: string[]): VersionExpect => ({ labels, value });
const ENABLED = { rotationEnabled: true, lambdaArn: LAMBDA_ARN } as const;
const CANCELLED = { rotationEnabled: false, lambdaArn: LAMBDA_ARN } as const;
const NEVER = { rotationEnabled: undefined, lambdaArn: undefined } as const;

function abp(p: ValueKind, ...pLabels: string[]): Expect['versions'] {
  return { A: v('string', CUR), B: v('string', PREV), P: v(p, PEND, ...pLabels) };
}
const FINISHED = { P: v('string', CUR, PEND), A: v('string', PREV) };
const A_AND_P = (p: ValueKind): Expect['versions'] => ({ A: v('string', CUR), P: v(p, PEND) });
const A_AND_B = { A: v('string', CUR), B: v('string', PREV) };

const EXPECTED: Readonly<Record<string, Expect>> = {
  C01: { ...ENABLED, versions: abp('string') },
  'C01-binary': { ...ENABLED, versions: abp('binary') },
  C02: { ...ENABLED, versions: abp('none') },
  C03: { ...ENABLED, versions: FINISHED },
  // moto keeps its default on P, which holds no AWSCURRENT (AWS would fail the read).
  C04: { ...ENABLED, versions: { P: v('string', PEND) }, defaultVersion: 'P' },
  C05: { ...ENABLED, versions: abp('string') },
  C06: { ...ENABLED, versions: FINISHED },
  C07: { ...ENABLED, versions: { A: v('string', CUR), P: v('string', PEND, PREV) } },
  C08: { ...ENABLED, versions: A_AND_P('string') },
  C10: { ...ENABLED, versions: abp('none') },
  C11: { ...CANCELLED, versions: A_AND_B },
  C13: { ...ENABLED, versions: abp('none'), deprecated: C13_DEPRECATED_COUNT },
  C15: { ...ENABLED, versions: A_AND_P('none'), region: REPLICA_REGION, extra: checkReplica },
  // moto reports RotationLambdaARN "" where AWS leaves the key out.
  C16: {
    rotationEnabled: true,
    lambdaArn: '',
    versions: A_AND_B,
    defaultName: MANAGED_NAME,
    extra: checkManaged,
  },
  C17: { ...ENABLED, versions: A_AND_P('none'), deleted: true, extra: checkDeleted },
  C18: { ...ENABLED, versions: A_AND_P('string'), extra: checkKms },
  C19: { ...ENABLED, versions: A_AND_P('none') },
  C22: { ...ENABLED, lambdaArn: MISSING_LAMBDA_ARN, versions: A_AND_P('none') },
  C23: { ...NEVER, versions: A_AND_B },
  'C23-cancelled': { ...CANCELLED, versions: { ...A_AND_B, P: v('string') } },
  'C23-script-pending': { ...NEVER, versions: abp('string') },
  S9: { ...CANCELLED, versions: abp('string') },
  S11: {
    ...ENABLED,
    versions: {
      A: v('string', CUR, CUSTOM_LABELS.A),
      B: v('string', PREV, CUSTOM_LABELS.B),
      P: v('string', PEND, CUSTOM_LABELS.P),
    },
  },
  healthy: { ...ENABLED, versions: A_AND_B },
};

// ---------------------------------------------------------------------------------------
// Per-case extra checks

async function checkReplica(d: DescribeSecretCommandOutput, c: CheckCtx): Promise<void> {
  assert.equal(d.PrimaryRegion, PRIMARY_REGION, 'replica must name its primary region');
  assert.match(d.ARN ?? '', new RegExp(`^arn:aws:secretsmanager:${REPLICA_REGION}:`));
  const primary = client(c.endpoint, PRIMARY_REGION);
  try {
    const p = await primary.send(new DescribeSecretCommand({ SecretId: c.seeded.name }));
    assert.equal(p.PrimaryRegion, undefined, 'the primary has no PrimaryRegion');
    assert.deepEqual(
      p.ReplicationStatus?.map((r) => r.Region),
      [REPLICA_REGION],
    );
  } finally {
    primary.destroy();
  }
}

async function checkManaged(d: DescribeSecretCommandOutput): Promise<void> {
  assert.equal(d.OwningService, 'rds');
  assert.equal(d.RotationRules?.AutomaticallyAfterDays, MANAGED_ROTATION_DAYS);
}

async function checkDeleted(d: DescribeSecretCommandOutput): Promise<void> {
  assert.ok(d.DeletedDate instanceof Date, 'DeletedDate must be set');
  assert.ok(d.DeletedDate.getTime() > Date.now(), 'deletion is scheduled in the future');
}

async function checkKms(d: DescribeSecretCommandOutput): Promise<void> {
  assert.equal(d.KmsKeyId, KMS_KEY_ARN);
}

// ---------------------------------------------------------------------------------------
// The checker

type LabelMap = Record<string, string[]>;

function sortedMap(input: Record<string, string[] | undefined>): LabelMap {
  const out: LabelMap = {};
  for (const id of Object.keys(input).sort()) out[id] = [...(input[id] ?? [])].sort();
  return out;
}

function expectedLabels(exp: Expect, seeded: Seeded): LabelMap {
  const map: Record<string, string[]> = {};
  for (const l of LETTERS) {
    const ve = exp.versions[l];
    if (ve) map[VERSION_IDS[l]] = ve.labels;
  }
  for (const id of seeded.deprecated ?? []) map[id] = [];
  return sortedMap(map);
}

function checkSeededShape(id: string, s: Seeded, exp: Expect, name: string): void {
  assert.equal(s.name, name);
  assert.equal(s.region, exp.region ?? PRIMARY_REGION);
  for (const l of LETTERS) {
    assert.equal(
      s.versions[l],
      exp.versions[l] ? VERSION_IDS[l] : undefined,
      `${id}: seeded version ${l}`,
    );
  }
  assert.equal(s.deprecated?.length, exp.deprecated, `${id}: deprecated version count`);
  assert.equal(new Set(s.sentinels).size, s.sentinels.length, 'sentinels must be unique');
  const prefix = `arn:aws:secretsmanager:${s.region}:${ACCOUNT}:secret:${s.name}-`;
  assert.ok(s.arn.startsWith(prefix), `${id}: ARN ${s.arn} (region, account, name)`);
}

function checkDescribe(d: DescribeSecretCommandOutput, s: Seeded, exp: Expect): void {
  assert.equal(d.ARN, s.arn);
  assert.equal(d.Name, s.name);
  assert.equal(d.RotationEnabled, exp.rotationEnabled, 'RotationEnabled');
  assert.equal(
    'RotationEnabled' in d,
    exp.rotationEnabled !== undefined,
    'RotationEnabled key presence',
  );
  assert.equal(d.RotationLambdaARN, exp.lambdaArn, 'RotationLambdaARN');
  assert.equal(d.DeletedDate !== undefined, exp.deleted === true, 'DeletedDate presence');
}

type ReadResult = { kind: 'string' | 'binary'; text: string } | { error: string };

async function readVersion(
  sm: SecretsManagerClient,
  name: string,
  id: string,
): Promise<ReadResult> {
  try {
    const r = await sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: id }));
    assert.equal(r.VersionId, id);
    if (r.SecretString !== undefined) return { kind: 'string', text: r.SecretString };
    if (r.SecretBinary !== undefined) {
      return { kind: 'binary', text: Buffer.from(r.SecretBinary).toString() };
    }
    return { error: 'NoValueInResponse' };
  } catch (err) {
    return { error: err instanceof Error ? err.name : String(err) };
  }
}

/** Every stored value holds exactly its own sentinel; every raw sentinel is stored once. */
async function checkValues(caseId: string, c: CheckCtx, exp: Expect): Promise<void> {
  const { seeded: s, sm } = c;
  const raw = s.sentinels.filter((x) => x.startsWith('SENTINEL-'));
  const found: string[] = [];
  const versions: Array<[string, string, ValueKind]> = [];
  for (const l of LETTERS) {
    const ve = exp.versions[l];
    if (ve) versions.push([VERSION_IDS[l], l, ve.value]);
  }
  (s.deprecated ?? []).forEach((id, i) => versions.push([id, `D${i + 1}`, 'string']));
  for (const [id, tag, want] of versions) {
    const got = await readVersion(sm, s.name, id);
    if (exp.deleted) {
      assert.deepEqual(got, { error: 'InvalidRequestException' }, `${tag}: deleted secret`);
      continue;
    }
    if (want === 'none') {
      assert.deepEqual(got, { error: 'ResourceNotFoundException' }, `${tag}: no value`);
      continue;
    }
    assert.ok('kind' in got, `${tag}: expected a value, got ${JSON.stringify(got)}`);
    assert.equal(got.kind, want, `${tag}: value kind`);
    const mine = raw.filter((x) => got.text.includes(x));
    assert.equal(mine.length, 1, `${tag}: exactly one sentinel in its value`);
    assert.ok(mine[0]?.startsWith(`SENTINEL-${caseId}-${tag}-`), `${tag}: sentinel tag`);
    if (want === 'binary') {
      assert.ok(
        s.sentinels.includes(Buffer.from(got.text).toString('base64')),
        `${tag}: base64 form of the binary value is listed`,
      );
    }
    found.push(...mine);
  }
  const stored = versions.filter(([, , k]) => k !== 'none').length;
  assert.equal(raw.length, stored, 'one sentinel per stored value');
  if (!exp.deleted) assert.deepEqual([...found].sort(), [...raw].sort());
}

function currentHolder(exp: Expect): Letter | undefined {
  return LETTERS.find((l) => exp.versions[l]?.labels.includes(CUR));
}

/** moto's internal default must sit on the AWSCURRENT holder (test-infra §2.4 traps). */
async function checkDefaultVersion(c: CheckCtx, exp: Expect): Promise<void> {
  if (exp.deleted) return;
  const want = exp.defaultVersion ?? currentHolder(exp);
  assert.ok(want, 'the expectation must name a default version');
  const r = await c.sm
    .send(new GetSecretValueCommand({ SecretId: c.seeded.name }))
    .catch((err: unknown) => {
      const why = err instanceof Error ? err.name : String(err);
      assert.fail(`moto default version unreadable (${why}): the §2.4 trap`);
    });
  assert.equal(r.VersionId, VERSION_IDS[want], 'moto default version');
}

async function checkLambda(c: CheckCtx, exp: Expect): Promise<void> {
  if (exp.lambdaArn === LAMBDA_ARN) {
    assert.ok(await lambdaExists(c.endpoint), 'the recorded rotation function exists');
  }
  if (exp.lambdaArn === MISSING_LAMBDA_ARN) {
    const name = MISSING_LAMBDA_ARN.split(':').pop() ?? '';
    assert.equal(await lambdaExists(c.endpoint, name), false, 'C22 function must not exist');
  }
}

async function verifyCase(
  endpoint: string,
  caseId: string,
  s: Seeded,
  exp: Expect,
  name?: string,
): Promise<void> {
  checkSeededShape(caseId, s, exp, name ?? exp.defaultName ?? DEFAULT_NAME);
  const sm = client(endpoint, s.region);
  const c: CheckCtx = { endpoint, seeded: s, sm };
  try {
    const d = await sm.send(new DescribeSecretCommand({ SecretId: s.name }));
    checkDescribe(d, s, exp);
    const want = expectedLabels(exp, s);
    assert.deepEqual(sortedMap(d.VersionIdsToStages ?? {}), want, 'DescribeSecret labels');
    const list = await sm.send(
      new ListSecretVersionIdsCommand({ SecretId: s.name, IncludeDeprecated: true }),
    );
    const listed = Object.fromEntries(
      (list.Versions ?? []).map((x) => [x.VersionId ?? '?', x.VersionStages ?? []]),
    );
    assert.deepEqual(sortedMap(listed), want, 'ListSecretVersionIds labels');
    await checkValues(caseId, c, exp);
    await checkDefaultVersion(c, exp);
    await checkLambda(c, exp);
    await exp.extra?.(d, c);
  } finally {
    sm.destroy();
  }
}

function expectationFor(id: string): Expect {
  const exp = EXPECTED[id];
  if (!exp) throw new Error(`no expectation for case ${id}`);
  return exp;
}

// ---------------------------------------------------------------------------------------
// Fixture tests

// One moto for all tests below, reset before each; skipped or failed (CI) without it.
describe('against moto', () => {
  const moto = useMoto();

  describe('seed fixtures', () => {
    for (const [id, entry] of Object.entries(CASES)) {
      test(`${id}: ${entry.description}`, moto.options, async () => {
        const m = moto();
        const seeded = await entry.seed(m.endpoint);
        await verifyCase(m.endpoint, id, seeded, expectationFor(id));
      });
    }

    test('all cases coexist in one moto under their own names', moto.options, async () => {
      const m = moto();
      const seeded: Array<[string, Seeded, string]> = [];
      for (const [id, entry] of Object.entries(CASES)) {
        const name = `fixture/${id}`;
        seeded.push([id, await entry.seed(m.endpoint, { name }), name]);
      }
      // Checked only after all seeding: later seeds must not disturb earlier ones.
      for (const [id, s, name] of seeded) {
        await verifyCase(m.endpoint, id, s, expectationFor(id), name);
      }
    });
  });

  describe('the checker can fail', () => {
    test('C01 state does not pass as C02 or C03', moto.options, async () => {
      const m = moto();
      const s = await CASES['C01']?.seed(m.endpoint);
      assert.ok(s);
      await assert.rejects(verifyCase(m.endpoint, 'C01', s, expectationFor('C02')));
      await assert.rejects(verifyCase(m.endpoint, 'C01', s, expectationFor('C03')));
      await assert.rejects(verifyCase(m.endpoint, 'C02', s, expectationFor('C01')), /sentinel tag/);
      await verifyCase(m.endpoint, 'C01', s, expectationFor('C01'));
    });

    test('a label removed after seeding is detected', moto.options, async () => {
      const m = moto();
      const s = await CASES['C01']?.seed(m.endpoint);
      assert.ok(s);
      const sm = client(m.endpoint);
      try {
        await sm.send(
          new UpdateSecretVersionStageCommand({
            SecretId: s.name,
            VersionStage: PEND,
            RemoveFromVersionId: VERSION_IDS.P,
          }),
        );
      } finally {
        sm.destroy();
      }
      await assert.rejects(
        verifyCase(m.endpoint, 'C01', s, expectationFor('C01')),
        /DescribeSecret labels/,
      );
    });

    test('a leaked extra sentinel or a missing one is detected', moto.options, async () => {
      const m = moto();
      const s = await CASES['C02']?.seed(m.endpoint);
      assert.ok(s);
      const extra = { ...s, sentinels: [...s.sentinels, 'SENTINEL-C02-P-000000000000'] };
      await assert.rejects(
        verifyCase(m.endpoint, 'C02', extra, expectationFor('C02')),
        /one sentinel per stored value/,
      );
      const fewer = { ...s, sentinels: s.sentinels.slice(1) };
      await assert.rejects(verifyCase(m.endpoint, 'C02', fewer, expectationFor('C02')));
    });
  });

  describe('harness: moto process', () => {
    test('startMoto serves on loopback and stop() ends that PID', moto.options, async () => {
      moto(); // fail under CI like the other tests when moto_server is missing
      const m2 = await startMoto();
      try {
        assert.match(m2.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
        const cfg = await fetch(`${m2.endpoint}/moto-api/config`);
        const body = (await cfg.json()) as { lambda?: { use_docker?: boolean } };
        assert.equal(body.lambda?.use_docker, false);
        await m2.reset();
      } finally {
        await m2.stop();
      }
      assert.throws(() => process.kill(m2.pid, 0), { code: 'ESRCH' });
      await m2.stop(); // idempotent
    });
  });
});

test('every case in CASES has an expectation here, and no more', () => {
  assert.deepEqual(Object.keys(CASES).sort(), Object.keys(EXPECTED).sort());
});

// ---------------------------------------------------------------------------------------
// Harness tests

describe('harness: env', () => {
  test('testEnv drops real-AWS variables and sets test ones', () => {
    const planted: Record<string, string> = {
      AWS_PROFILE: 'real-profile',
      AWS_SESSION_TOKEN: 'real-token',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: 'http://192.0.2.1',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://192.0.2.2',
    };
    const saved = Object.keys(planted).map((k) => [k, process.env[k]] as const);
    Object.assign(process.env, planted);
    try {
      const env = testEnv({ EXTRA_VAR: 'x', NO_COLOR: undefined });
      for (const k of Object.keys(planted)) assert.equal(env[k], undefined, k);
      assert.equal(env['AWS_ACCESS_KEY_ID'], 'test');
      assert.equal(env['AWS_SECRET_ACCESS_KEY'], 'test');
      assert.equal(env['AWS_REGION'], 'us-east-1');
      assert.equal(env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'], 'true');
      assert.equal(env['AWS_CONFIG_FILE'], MISSING_AWS_FILE);
      assert.equal(env['AWS_SHARED_CREDENTIALS_FILE'], MISSING_AWS_FILE);
      assert.equal(env['EXTRA_VAR'], 'x');
      assert.equal(env['NO_COLOR'], undefined, 'extra undefined removes a variable');
      assert.equal(testEnv()['NO_COLOR'], '1');
      assert.ok(MISSING_AWS_FILE.startsWith(os.tmpdir()));
      assert.equal(existsSync(MISSING_AWS_FILE), false);
    } finally {
      for (const [k, val] of saved) {
        if (val === undefined) delete process.env[k];
        else process.env[k] = val;
      }
    }
  });

  test('useMoto applied the test env to this process', () => {
    assert.equal(process.env['AWS_ACCESS_KEY_ID'], 'test');
    assert.equal(process.env['AWS_CONFIG_FILE'], MISSING_AWS_FILE);
    assert.equal(process.env['AWS_PROFILE'], undefined);
  });
});

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PROJECT = path.resolve(HERE, '..');

interface RunResult {
  code: number | null;
  out: string;
}

function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: PROJECT, env, stdio: 'pipe' });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** PATH without any directory that provides moto_server. */
function pathWithoutMoto(): string {
  const dirs = (process.env['PATH'] ?? '').split(path.delimiter);
  return dirs.filter((d) => d && !existsSync(path.join(d, 'moto_server'))).join(path.delimiter);
}

describe('harness: without moto_server on PATH', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rotctl-usemoto-'));
  const file = path.join(dir, 'needs-moto.test.mts');
  const motoTs = pathToFileURL(path.join(HERE, 'helpers', 'moto.ts')).href;
  writeFileSync(
    file,
    [
      "import { test } from 'node:test';",
      `import { useMoto } from '${motoTs}';`,
      'const moto = useMoto();',
      "test('needs moto', moto.options, () => { console.log('BODY RAN'); moto(); });",
      '',
    ].join('\n'),
  );
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (ci: string | undefined): Promise<RunResult> =>
    runNode(
      ['--import', 'tsx', '--test', file],
      testEnv({
        PATH: pathWithoutMoto(),
        CI: ci,
        // We run inside the test runner; a nested run must report on its own.
        NODE_TEST_CONTEXT: undefined,
      }),
    );

  test('under CI the tests fail and name the missing tool', async () => {
    const r = await run('1');
    assert.equal(r.code, 1, r.out);
    assert.ok(r.out.includes(MOTO_MISSING), r.out);
    assert.match(r.out, /# fail 1/);
  });

  test('locally the tests are skipped with the reason', async () => {
    const r = await run(undefined);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /# SKIP moto_server not found on PATH/);
    assert.match(r.out, /# skipped 1/);
    assert.match(r.out, /# pass 0/);
    assert.ok(!r.out.includes('BODY RAN'), 'a skipped test body must not run');
  });
});
