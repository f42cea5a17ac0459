// Behaviours of `rotctl cancel` that are not one field case: both choices end to end, the
// idempotent runbook, --dry-run, --output json, drift between read and write, the request
// budget, -v, runs without a terminal, usage errors, AWS rejections and Ctrl-C. Every run
// spawns the built CLI against this file's moto_server, through a recording fault proxy.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  assertExit,
  assertNoSentinels,
  describeRun,
  labelsOf,
  opsOf,
  parseJsonDoc,
  rotationEnabled,
  runCli,
  verboseOps,
  writesOf,
} from './helpers/cli.js';
import type { CliResult, Labels, RunOptions } from './helpers/cli.js';
import { useRecordingProxy } from './helpers/fault-proxy.js';
import type { FaultProxy } from './helpers/fault-proxy.js';
import { client, useMoto } from './helpers/moto.js';
import { CASES, PRIMARY_REGION, VERSION_IDS } from './helpers/seed.js';
import type { Seeded } from './helpers/seed.js';

const moto = useMoto();
/** The recording proxy in front of this file's moto, started on first use. */
const useProxy = useRecordingProxy(moto);

const CUR = 'AWSCURRENT';
const PREV = 'AWSPREVIOUS';
const PEND = 'AWSPENDING';
const CANCEL = 'CancelRotateSecret';
const STAGE = 'UpdateSecretVersionStage';
const LIST = 'ListSecretVersionIds';
const { A, B, P, Q } = VERSION_IDS;

/** C01's labels as seeded. */
const C01_LABELS: Labels = { [A]: [CUR], [B]: [PREV], [P]: [PEND] };

interface Setup {
  seeded: Seeded;
  px: FaultProxy;
  endpoint: string;
  run: (args: string[], opts?: RunOptions) => Promise<CliResult>;
}

/** Seed one case and return a runner that goes through the (cleared) proxy. */
async function setup(id: string): Promise<Setup> {
  const { endpoint } = moto();
  const px = await useProxy();
  const seeded = await CASES[id]?.seed(endpoint);
  assert.ok(seeded, `no seed for ${id}`);
  px.clear();
  const run = (args: string[], opts: RunOptions = {}): Promise<CliResult> =>
    runCli(args, { endpoint: px.endpoint, ...opts });
  return { seeded, px, endpoint, run };
}

async function labels(s: Setup): Promise<Labels> {
  return labelsOf(s.endpoint, s.seeded.arn);
}

/** Another writer's calls, straight to moto (never through the proxy). */
async function otherWriter(
  endpoint: string,
  work: (sm: ReturnType<typeof client>) => Promise<unknown>,
): Promise<void> {
  const sm = client(endpoint, PRIMARY_REGION);
  try {
    await work(sm);
  } finally {
    sm.destroy();
  }
}

/** A colleague starts a new rotation by hand: Q gets AWSPENDING (moto moves it off P). */
function colleagueMovesPendingToQ(endpoint: string, arn: string): () => Promise<void> {
  return () =>
    otherWriter(endpoint, (sm) =>
      sm.send(
        new PutSecretValueCommand({
          SecretId: arn,
          ClientRequestToken: Q,
          SecretString: 'colleague-value',
          VersionStages: [PEND],
        }),
      ),
    );
}

/** Q=[AWSPENDING], P unlabelled: what the colleague leaves on C01. */
const COLLEAGUE_LABELS: Labels = { [A]: [CUR], [B]: [PREV], [P]: [], [Q]: [PEND] };

// ---------------------------------------------------------------------------------------
// Undo commands: parse the printed `aws secretsmanager update-secret-version-stage` lines

interface UndoMove {
  stage: string;
  moveTo?: string;
  removeFrom?: string;
}

function undoMoves(stdout: string): UndoMove[] {
  const block = stdout.split('To undo')[1]?.split('To turn rotation back on')[0] ?? '';
  const lines = block.split('\n').filter((l) => l.includes('update-secret-version-stage'));
  return lines.map((line) => {
    const flag = (name: string): string | undefined =>
      new RegExp(`--${name} (\\S+)`).exec(line)?.[1];
    const stage = flag('version-stage');
    assert.ok(stage, `undo line without --version-stage: ${line}`);
    const move: UndoMove = { stage };
    const moveTo = flag('move-to-version-id');
    const removeFrom = flag('remove-from-version-id');
    if (moveTo) move.moveTo = moveTo;
    if (removeFrom) move.removeFrom = removeFrom;
    return move;
  });
}

async function applyUndo(s: Setup, moves: UndoMove[]): Promise<void> {
  await otherWriter(s.endpoint, async (sm) => {
    for (const m of moves) {
      await sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: s.seeded.arn,
          VersionStage: m.stage,
          ...(m.moveTo ? { MoveToVersionId: m.moveTo } : {}),
          ...(m.removeFrom ? { RemoveFromVersionId: m.removeFrom } : {}),
        }),
      );
    }
  });
}

// ---------------------------------------------------------------------------------------

describe('both choices end to end on C01', () => {
  const choices = [
    { flag: '--rollback', want: { [A]: [CUR], [B]: [PREV], [P]: [] }, says: /Rolled back/ },
    { flag: '--promote', want: { [A]: [PREV], [B]: [], [P]: [CUR] }, says: /Promoted/ },
  ];
  for (const { flag, want, says } of choices) {
    test(`--yes ${flag}: end state, rotation off, and the printed undo restores C01`, async () => {
      const s = await setup('C01');
      const r = await s.run(['cancel', s.seeded.arn, '--yes', flag]);
      assertExit(r, 0);
      assert.match(r.stdout, says);
      assert.deepEqual(await labels(s), want, describeRun(r));
      assert.equal(await rotationEnabled(s.endpoint, s.seeded.arn), false);
      assertNoSentinels(r, s.seeded.sentinels);

      const undo = undoMoves(r.stdout);
      assert.ok(undo.length > 0, `no undo commands printed\n${describeRun(r)}`);
      await applyUndo(s, undo);
      assert.deepEqual(await labels(s), C01_LABELS, 'the undo commands did not restore C01');
    });
  }

  test('--yes --promote sends the two documented shapes, guarded by the live holder', async () => {
    const s = await setup('C01');
    const r = await s.run(['cancel', s.seeded.arn, '--yes', '--promote']);
    assertExit(r, 0);
    const bodies = s.px.log.filter((e) => e.target === STAGE).map((e) => e.body);
    assert.deepEqual(bodies, [
      { SecretId: s.seeded.arn, VersionStage: CUR, MoveToVersionId: P, RemoveFromVersionId: A },
      { SecretId: s.seeded.arn, VersionStage: PEND, RemoveFromVersionId: P },
    ]);
  });
});

describe('idempotent runbook: the same command again exits 0 with nothing to do', () => {
  const runbooks: { id: string; flags: string[] }[] = [
    { id: 'C01', flags: ['--yes', '--rollback'] },
    { id: 'C01', flags: ['--yes', '--promote'] },
    { id: 'C02', flags: ['--yes'] },
  ];
  for (const { id, flags } of runbooks) {
    test(`${id} ${flags.join(' ')}, twice`, async () => {
      const s = await setup(id);
      const first = await s.run(['cancel', s.seeded.name, ...flags]);
      assertExit(first, 0);
      const afterFirst = await labels(s);

      s.px.clear();
      const second = await s.run(['cancel', s.seeded.name, ...flags, '-o', 'json']);
      assertExit(second, 0);
      const doc = parseJsonDoc(second);
      assert.deepEqual(doc['result'], {
        status: 'nothing-to-do',
        exitCode: 0,
        message: resultMessage(doc),
      });
      assert.match(resultMessage(doc), /nothing to do/);
      assert.deepEqual(writesOf(s.px.log), [], 'the second run wrote');
      assert.deepEqual(await labels(s), afterFirst);
    });
  }
});

function resultMessage(doc: Record<string, unknown>): string {
  const result = doc['result'] as { message?: unknown } | undefined;
  return typeof result?.message === 'string' ? result.message : '';
}

describe('--dry-run reads only and prints the API calls and the aws commands', () => {
  test('C02 --dry-run: the roll back plan, exit 0, nothing written', async () => {
    const s = await setup('C02');
    const arn = s.seeded.arn;
    const r = await s.run(['cancel', s.seeded.name, '--dry-run']);
    assertExit(r, 0);
    for (const line of [
      `CancelRotateSecret SecretId=${arn}`,
      `UpdateSecretVersionStage SecretId=${arn} VersionStage=AWSPENDING RemoveFromVersionId=${P}`,
      `aws secretsmanager cancel-rotate-secret --secret-id ${arn} --region us-east-1`,
      `aws secretsmanager update-secret-version-stage --secret-id ${arn} ` +
        `--version-stage AWSPENDING --remove-from-version-id ${P} --region us-east-1`,
    ]) {
      assert.ok(r.stdout.includes(line), `missing: ${line}\n${describeRun(r)}`);
    }
    assert.deepEqual(writesOf(s.px.log), []);
    assert.deepEqual(await labels(s), { [A]: [CUR], [B]: [PREV], [P]: [PEND] });
    assert.equal(await rotationEnabled(s.endpoint, arn), true);
  });

  test('C01 --dry-run --promote: the promote plan names the live holder', async () => {
    const s = await setup('C01');
    const arn = s.seeded.arn;
    const r = await s.run(['cancel', s.seeded.name, '--dry-run', '--promote']);
    assertExit(r, 0);
    for (const line of [
      `UpdateSecretVersionStage SecretId=${arn} VersionStage=AWSCURRENT ` +
        `MoveToVersionId=${P} RemoveFromVersionId=${A}`,
      `aws secretsmanager update-secret-version-stage --secret-id ${arn} --version-stage ` +
        `AWSCURRENT --move-to-version-id ${P} --remove-from-version-id ${A} --region us-east-1`,
    ]) {
      assert.ok(r.stdout.includes(line), `missing: ${line}\n${describeRun(r)}`);
    }
    assert.deepEqual(writesOf(s.px.log), []);
    assert.deepEqual(await labels(s), C01_LABELS);
  });

  test('C01 --dry-run --rollback -o json: plan in the document, status dry-run', async () => {
    const s = await setup('C01');
    const r = await s.run(['cancel', s.seeded.name, '--dry-run', '--rollback', '-o', 'json']);
    assertExit(r, 0);
    const doc = parseJsonDoc(r);
    const plan = doc['plan'] as { calls?: unknown; awsCli?: unknown } | undefined;
    assert.ok(Array.isArray(plan?.calls) && plan.calls.length === 2, describeRun(r));
    assert.ok(Array.isArray(plan?.awsCli) && plan.awsCli.length === 2, describeRun(r));
    assert.deepEqual(doc['applied'], []);
    assert.equal((doc['result'] as { status?: unknown }).status, 'dry-run');
    assert.deepEqual(writesOf(s.px.log), []);
    assert.deepEqual(await labels(s), C01_LABELS);
  });
});

describe('--output json: exactly one document, result.exitCode = the exit code', () => {
  const runs = [
    { id: 'C02', flags: ['--yes'], code: 0, status: 'done' },
    { id: 'C23', flags: ['--yes'], code: 0, status: 'nothing-to-do' },
    { id: 'C01', flags: ['--yes'], code: 3, status: 'decision-needed' },
    { id: 'C17', flags: ['--yes'], code: 4, status: 'refused' },
    { id: 'C02', flags: ['--yes', '--promote'], code: 4, status: 'refused' },
  ];
  for (const { id, flags, code, status } of runs) {
    test(`${id} ${flags.join(' ')} -o json -> ${code} ${status}`, async () => {
      const s = await setup(id);
      const r = await s.run(['cancel', s.seeded.name, ...flags, '--output', 'json']);
      assertExit(r, code);
      const doc = parseJsonDoc(r);
      assert.equal(doc['schemaVersion'], 1);
      const result = doc['result'] as { exitCode?: unknown; status?: unknown };
      assert.equal(result.exitCode, r.code, 'result.exitCode differs from the exit code');
      assert.equal(result.status, status);
      assert.equal((doc['secret'] as { arn?: unknown }).arn, s.seeded.arn);
      for (const key of ['before', 'state', 'applied']) assert.ok(key in doc, `no ${key}`);
      if (code === 0 && status === 'done') {
        const afterDoc = doc['after'] as { labels?: unknown };
        assert.deepEqual(afterDoc.labels, await labels(s), 'after.labels differ from moto');
      }
      assert.ok(!r.stderr.trimStart().startsWith('{'), 'a JSON document went to stderr');
      assertNoSentinels(r, s.seeded.sentinels);
    });
  }
});

describe('drift: another writer moves a label between the read and the write', () => {
  test('on the re-read after CancelRotateSecret: exit 5, no label written', async () => {
    const s = await setup('C01');
    s.px.add({
      target: LIST,
      mode: 'hook',
      match: () => s.px.count(CANCEL) > 0,
      hook: colleagueMovesPendingToQ(s.endpoint, s.seeded.arn),
    });
    const r = await s.run(['cancel', s.seeded.name, '--yes', '--rollback']);
    assertExit(r, 5);
    assert.match(r.stderr, /changed/);
    assert.match(r.stderr, /no label was written/);
    assert.deepEqual(writesOf(s.px.log), [CANCEL], `ops: ${opsOf(s.px.log).join(' ')}`);
    assert.deepEqual(await labels(s), COLLEAGUE_LABELS, "the other writer's labels moved");
  });

  test('S3 under bare --yes: the placeholder gets a value mid-run -> exit 5, no label', async () => {
    const s = await setup('C02');
    // The rotation function's createSecret step lands while rotctl cancels.
    s.px.add({
      target: CANCEL,
      mode: 'hook',
      hook: () =>
        otherWriter(s.endpoint, (sm) =>
          sm.send(
            new PutSecretValueCommand({
              SecretId: s.seeded.arn,
              ClientRequestToken: P,
              SecretString: 'late-createSecret-value',
              VersionStages: [PEND],
            }),
          ),
        ),
    });
    const r = await s.run(['cancel', s.seeded.name, '--yes']);
    assertExit(r, 5);
    assert.match(r.stderr, /now holds a value/);
    assert.match(r.stderr, /No label was written/);
    assert.deepEqual(writesOf(s.px.log), [CANCEL], `ops: ${opsOf(s.px.log).join(' ')}`);
    assert.deepEqual((await labels(s))[P], [PEND]);
  });

  test('on the first UpdateSecretVersionStage: exit 5, never re-aimed at Q', async () => {
    const s = await setup('C01');
    s.px.add({
      target: STAGE,
      mode: 'hook',
      hook: colleagueMovesPendingToQ(s.endpoint, s.seeded.arn),
    });
    const r = await s.run(['cancel', s.seeded.name, '--yes', '--rollback']);
    assertExit(r, 5);
    assert.match(r.stderr, /changed/);
    const stages = s.px.log.filter((e) => e.target === STAGE);
    // NOTE: moto rejects the guarded removal (P no longer holds AWSPENDING), as AWS does;
    // rotctl must judge by the labels and must not retry with a recomputed version id.
    for (const e of stages) assert.equal(e.body['RemoveFromVersionId'], P);
    assert.deepEqual(await labels(s), COLLEAGUE_LABELS, "the other writer's labels moved");
  });

  test('--promote, pending moved on the re-read: exit 5, AWSCURRENT not moved', async () => {
    const s = await setup('C01');
    s.px.add({
      target: LIST,
      mode: 'hook',
      match: () => s.px.count(CANCEL) > 0,
      hook: colleagueMovesPendingToQ(s.endpoint, s.seeded.arn),
    });
    const r = await s.run(['cancel', s.seeded.name, '--yes', '--promote']);
    assertExit(r, 5);
    assert.deepEqual(writesOf(s.px.log), [CANCEL]);
    assert.deepEqual(await labels(s), COLLEAGUE_LABELS);
  });
});

describe('request budget and -v', () => {
  const ROLLBACK_OPS = ['DescribeSecret', LIST, 'GetSecretValue', CANCEL, LIST, STAGE, LIST];

  test('C01 --yes --rollback makes exactly these 7 requests', async () => {
    const s = await setup('C01');
    const r = await s.run(['cancel', s.seeded.name, '--yes', '--rollback']);
    assertExit(r, 0);
    assert.ok(s.px.count() <= 7, `${s.px.count()} requests: ${opsOf(s.px.log).join(' ')}`);
    assert.deepEqual(opsOf(s.px.log), ROLLBACK_OPS);
  });

  test('-v: one stderr line per AWS call, the same calls, no value', async () => {
    const s = await setup('C01');
    const r = await s.run(['cancel', s.seeded.name, '--yes', '--rollback', '-v']);
    assertExit(r, 0);
    assert.deepEqual(verboseOps(r.stderr), opsOf(s.px.log), describeRun(r));
    assert.deepEqual(verboseOps(r.stdout), [], '-v lines belong on stderr');
    assertNoSentinels(r, s.seeded.sentinels);
  });
});

describe('no terminal and no --yes', () => {
  const runs = [
    { id: 'C02', flags: [] as string[], code: 3, why: 'a safe roll back still needs consent' },
    { id: 'C02', flags: [], code: 3, why: 'piped "y" is not a terminal', input: 'y\n' },
    { id: 'C01', flags: ['--rollback'], code: 3, why: 'a chosen roll back needs --yes' },
    { id: 'healthy', flags: [], code: 3, why: 'turning rotation off is a write' },
    { id: 'C23', flags: [], code: 0, why: 'nothing needs writing' },
  ];
  for (const { id, flags, code, why, input } of runs) {
    test(`${id} ${flags.join(' ') || '(no flags)'} -> ${code}: ${why}`, async () => {
      const s = await setup(id);
      const before = await labels(s);
      const enabled = await rotationEnabled(s.endpoint, s.seeded.arn);
      const opts: RunOptions = input === undefined ? {} : { input };
      const r = await s.run(['cancel', s.seeded.name, ...flags], opts);
      assertExit(r, code);
      if (code === 3) assert.match(r.stderr, /--yes/, describeRun(r));
      assert.deepEqual(writesOf(s.px.log), [], 'wrote without a terminal or --yes');
      assert.deepEqual(await labels(s), before);
      assert.equal(await rotationEnabled(s.endpoint, s.seeded.arn), enabled);
    });
  }
});

test('C02 --yes --promote onto the value-less placeholder: exit 4, nothing written', async () => {
  const s = await setup('C02');
  const r = await s.run(['cancel', s.seeded.name, '--yes', '--promote']);
  assertExit(r, 4);
  assert.match(r.stderr, /Refusing to promote/);
  assert.match(r.stderr, /no value/);
  assert.match(r.stderr, /--rollback/);
  assert.deepEqual(writesOf(s.px.log), []);
  assert.deepEqual(await labels(s), { [A]: [CUR], [B]: [PREV], [P]: [PEND] });
  assert.equal(await rotationEnabled(s.endpoint, s.seeded.arn), true);
});

test('a partial ARN: --yes refuses (exit 4, nothing written); a dry run warns', async () => {
  const s = await setup('C02');
  const partial = s.seeded.arn.replace(/-[A-Za-z0-9]{6}$/, '');
  assert.notEqual(partial, s.seeded.arn);

  const r = await s.run(['cancel', partial, '--yes']);
  assertExit(r, 4);
  assert.match(r.stderr, /not the exact name or ARN/);
  assert.ok(r.stderr.includes(`rotctl cancel ${s.seeded.arn} --yes`), describeRun(r));
  assert.deepEqual(writesOf(s.px.log), []);
  assert.equal(await rotationEnabled(s.endpoint, s.seeded.arn), true);

  const dry = await s.run(['cancel', partial, '--dry-run']);
  assertExit(dry, 0);
  assert.match(dry.stderr, /warning: .*not the exact name or ARN/);
});

test('a reserved label on two versions: exit 4 before any write', async () => {
  const s = await setup('C01');
  // NOTE: AWS refuses to put AWSPENDING on a second version without RemoveFromVersionId;
  // moto duplicates it (test-infra §3.5 F3), which gives the state the spec refuses.
  await otherWriter(s.endpoint, (sm) =>
    sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: s.seeded.arn,
        VersionStage: PEND,
        MoveToVersionId: B,
      }),
    ),
  );
  const before = await labels(s);
  assert.deepEqual(before[B], [PEND, PREV].sort(), 'moto did not duplicate the label');
  for (const flags of [['--yes'], ['--yes', '--rollback'], ['--yes', '--promote']]) {
    s.px.clear();
    const r = await s.run(['cancel', s.seeded.name, ...flags]);
    assertExit(r, 4);
    assert.match(r.stderr, /AWSPENDING/);
    assert.match(r.stderr, /more than one version/);
    assert.deepEqual(writesOf(s.px.log), []);
    assert.deepEqual(await labels(s), before);
    assert.equal(await rotationEnabled(s.endpoint, s.seeded.arn), true);
  }
});

test('S11: a custom label lost after the write fails the check after writing', async () => {
  const s = await setup('S11');
  s.px.add({
    target: LIST,
    mode: 'hook',
    match: () => s.px.count(STAGE) > 0,
    hook: () =>
      otherWriter(s.endpoint, (sm) =>
        sm.send(
          new UpdateSecretVersionStageCommand({
            SecretId: s.seeded.arn,
            VersionStage: 'pinned-prod',
            RemoveFromVersionId: A,
          }),
        ),
      ),
  });
  const r = await s.run(['cancel', s.seeded.name, '--yes', '--rollback']);
  assertExit(r, 5);
  assert.match(r.stderr, /check after writing failed/);
  assert.match(r.stderr, /pinned-prod/);
  assert.doesNotMatch(r.stdout, /Rolled back/);
});

// ---------------------------------------------------------------------------------------
// Usage errors: exit 2 before any request, one error line, no stack trace

const GOOD_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbC123';

const USAGE: { name: string; args: string[]; says: RegExp }[] = [
  { name: 'empty secret id', args: ['cancel', ''], says: /empty/ },
  { name: 'blank secret id', args: ['cancel', '   '], says: /empty/ },
  {
    name: 'missing secret id',
    args: ['cancel'],
    says: /missing required argument|No secret given/,
  },
  {
    name: 'both --rollback and --promote',
    args: ['cancel', 'app/db', '--yes', '--rollback', '--promote'],
    says: /cannot be used with/,
  },
  { name: '--output xml', args: ['cancel', 'app/db', '--output', 'xml'], says: /xml/ },
  {
    name: 'malformed ARN',
    args: ['cancel', 'arn:aws:secretsmanager:us-east-1:123:secret'],
    says: /Not a Secrets Manager ARN/,
  },
  {
    name: 'ARN region differs from --region',
    args: ['cancel', GOOD_ARN, '--region', 'us-west-2'],
    says: /us-east-1.*us-west-2/,
  },
  { name: 'not a region', args: ['cancel', 'app/db', '--region', 'moon-1'], says: /region/ },
  { name: 'unknown command', args: ['uncancel', 'app/db'], says: /unknown command/ },
];

describe('usage errors: exit 2, one-line error, no stack trace, no request', () => {
  for (const { name, args, says } of USAGE) {
    test(name, async () => {
      const px = await useProxy();
      px.clear();
      for (const extra of [[], ['-o', 'json']]) {
        const r = await runCli([...args, ...extra], { endpoint: px.endpoint });
        assertExit(r, 2);
        const errors = r.stderr.split('\n').filter((l) => /^error:/.test(l));
        assert.equal(errors.length, 1, `one error line\n${describeRun(r)}`);
        assert.match(errors[0] ?? '', says);
        assert.ok(r.stderr.trim().split('\n').length <= 3, `too long\n${describeRun(r)}`);
        assert.doesNotMatch(r.stderr, /^\s+at /m, `stack trace\n${describeRun(r)}`);
        assertUsageStdout(r, extra.length > 0);
      }
      assert.equal(px.count(), 0, 'a usage error reached the endpoint');
    });
  }
});

/** Text mode: nothing on stdout. JSON mode: nothing, or one document saying exit 2. */
function assertUsageStdout(r: CliResult, json: boolean): void {
  if (!json || r.stdout.trim() === '') {
    assert.equal(r.stdout.trim(), '', describeRun(r));
    return;
  }
  const doc = parseJsonDoc(r);
  assert.equal(doc['schemaVersion'], 1);
  assert.equal((doc['result'] as { exitCode?: unknown }).exitCode, 2, describeRun(r));
}

test('a secret that does not exist: exit 6, names it and the region, no stack', async () => {
  const px = await useProxy();
  px.clear();
  const r = await runCli(['cancel', 'app/no-such-secret', '--yes'], { endpoint: px.endpoint });
  assertExit(r, 6);
  assert.match(r.stderr, /app\/no-such-secret/);
  assert.match(r.stderr, /not found/);
  assert.match(r.stderr, /us-east-1/);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
  assert.deepEqual(writesOf(px.log), []);
});

test('Ctrl-C before any write: exit 130, nothing written', async () => {
  const s = await setup('C01');
  s.px.add({ target: 'DescribeSecret', mode: 'hang' });
  let pid: number | undefined;
  const running = s.run(['cancel', s.seeded.name, '--yes', '--rollback'], {
    onSpawn: (p) => {
      pid = p;
    },
  });
  await waitFor(() => s.px.count('DescribeSecret') > 0, 10_000);
  assert.ok(pid !== undefined);
  process.kill(pid, 'SIGINT');
  const r = await running;
  assertExit(r, 130);
  assert.match(r.stderr, /Interrupted/);
  assert.match(r.stderr, /nothing was written/);
  assert.deepEqual(writesOf(s.px.log), []);
  assert.deepEqual(await labels(s), C01_LABELS);
});

async function waitFor(ok: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
