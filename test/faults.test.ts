// rotctl cancel under transport faults, races with another writer, reads that lag behind
// writes, access denial and Ctrl-C. Path: the built CLI -> fault proxy (helpers/fault-proxy)
// -> a private moto_server, all on 127.0.0.1. Every test reads the labels back from moto and
// checks the end state, and counts the requests the proxy saw. Needs `npm run build` first.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, describe, test } from 'node:test';
import { UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { describeRun, labelsOf, parseJsonDoc, runCli, spawnCli } from './helpers/cli.js';
import type { CliResult, Labels, Spawned } from './helpers/cli.js';
import { startFaultProxy } from './helpers/fault-proxy.js';
import type { Fault, FaultProxy } from './helpers/fault-proxy.js';
import { client, useMoto } from './helpers/moto.js';
import { seedC01, seedC02, seedC19, VERSION_IDS } from './helpers/seed.js';
import type { SeedFn, Seeded } from './helpers/seed.js';
import { tally, tallyEndState } from './helpers/tally.js';

const { A, B, P } = VERSION_IDS;
const USVS = 'UpdateSecretVersionStage';
const LSVI = 'ListSecretVersionIds';
const GSV = 'GetSecretValue';
const CANCEL = 'CancelRotateSecret';
const TEST_TIMEOUT_MS = 60_000;

/** Small budgets keep the suite fast; one test below runs with rotctl's defaults. */
const FAST: NodeJS.ProcessEnv = {
  ROTCTL_MAX_ATTEMPTS: '3',
  ROTCTL_REQUEST_TIMEOUT_MS: '1500',
  ROTCTL_CONNECT_TIMEOUT_MS: '1000',
  AWS_EC2_METADATA_DISABLED: 'true',
};
const DEFAULTS: NodeJS.ProcessEnv = {
  ROTCTL_MAX_ATTEMPTS: undefined,
  ROTCTL_REQUEST_TIMEOUT_MS: undefined,
  ROTCTL_CONNECT_TIMEOUT_MS: undefined,
  AWS_EC2_METADATA_DISABLED: 'true',
};

// C01: A current, B previous, P pending with a value. C02/C19: P is a placeholder.
const BEFORE: Labels = { [A]: ['AWSCURRENT'], [B]: ['AWSPREVIOUS'], [P]: ['AWSPENDING'] };
const PROMOTED: Labels = { [A]: ['AWSPREVIOUS'], [B]: [], [P]: ['AWSCURRENT'] };
/** A promote stopped between its two moves. */
const HALF_PROMOTED: Labels = { [A]: ['AWSPREVIOUS'], [B]: [], [P]: ['AWSCURRENT', 'AWSPENDING'] };
const ROLLED_BACK: Labels = { [A]: ['AWSCURRENT'], [B]: ['AWSPREVIOUS'], [P]: [] };
const C19_ROLLED_BACK: Labels = { [A]: ['AWSCURRENT'], [P]: [] };

const moto = useMoto();
const skip = moto.options.skip ?? false;
// Started on first use: root-level before() hooks run per suite on Node 20.
let proxy: FaultProxy;
let proxyStarted: FaultProxy | undefined;
after(async () => {
  await proxyStarted?.close();
});

/** Seeds one case in a freshly reset moto and empties the proxy's faults and log. */
async function fresh(seed: SeedFn): Promise<Seeded> {
  proxyStarted ??= await startFaultProxy(moto().endpoint);
  proxy = proxyStarted;
  proxy.clear();
  return seed(moto().endpoint);
}

// ---------------------------------------------------------------------------------------
// Running rotctl and reading the result back

function rotctl(args: string[], env: NodeJS.ProcessEnv = {}, endpoint = proxy.endpoint) {
  return runCli(['cancel', ...args], { endpoint, env: { ...FAST, ...env } });
}

async function timed(run: Promise<CliResult>): Promise<{ r: CliResult; ms: number }> {
  const started = Date.now();
  const r = await run;
  return { r, ms: Date.now() - started };
}

function expectExit(r: CliResult, code: number): void {
  assert.equal(r.code, code, `expected exit ${code}\n${describeRun(r)}\n${proxyLog()}`);
}

function proxyLog(): string {
  return `--- proxy log ---\n${proxy.log.map((e) => `${e.target} ${e.fault ?? ''}`).join('\n')}`;
}

/** One clear line first, and no stack trace without -v. */
function expectPlainError(r: CliResult, pattern?: RegExp): void {
  const first = r.stderr.split('\n').find((l) => l.trim() !== '') ?? '';
  assert.match(first, /^error: /, `first stderr line is not an error line\n${describeRun(r)}`);
  if (pattern) assert.match(first, pattern, `error line lacks ${pattern}\n${describeRun(r)}`);
  assert.doesNotMatch(r.stderr, /^\s{4}at /m, `stack trace without -v\n${describeRun(r)}`);
}

function expectNoError(r: CliResult): void {
  assert.doesNotMatch(r.stderr, /^error:/m, `unexpected error output\n${describeRun(r)}`);
}

/** Reads the labels, records how many versions hold AWSCURRENT, and insists on one. */
async function oneCurrent(s: Seeded, id: string): Promise<Labels> {
  const labels = await labelsOf(moto().endpoint, s.arn, s.region);
  const currents = tallyEndState(id, labels);
  assert.equal(currents, 1, `${id}: ${currents} hold AWSCURRENT: ${JSON.stringify(labels)}`);
  return labels;
}

async function expectLabels(s: Seeded, want: Labels, id: string, r?: CliResult) {
  const run = r ? `\nafter ${describeRun(r)}` : '';
  assert.deepEqual(await oneCurrent(s, id), want, `${id}: labels in moto${run}`);
}

/** Records the armed fault with the number of requests it actually hit; it must have fired. */
function injected(id: string, f: Fault): void {
  const requests = proxy.log.filter((e) => e.fault !== null).length;
  tally({ kind: 'fault-injected', id, op: f.target ?? 'any', mode: f.mode, requests });
  assert.ok(requests > 0, `${id}: the ${f.mode} fault on ${f.target ?? 'any'} never fired`);
}

const survived = (id: string): void => tally({ kind: 'fault-survived', id });

const stage =
  (label: string) =>
  (body: Record<string, unknown>): boolean =>
    body['VersionStage'] === label;

/** Matches the n-th request of its target and every later one. */
function fromNth(n: number): () => boolean {
  let seen = 0;
  return () => ++seen >= n;
}

/** Another writer, straight to moto (not through the proxy rotctl uses). */
async function otherWriter(s: Seeded, label: string, to?: string, from?: string) {
  const sm = client(moto().endpoint, s.region);
  try {
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: s.arn,
        VersionStage: label,
        ...(to ? { MoveToVersionId: to } : {}),
        ...(from ? { RemoveFromVersionId: from } : {}),
      }),
    );
  } finally {
    sm.destroy();
  }
}

// ---------------------------------------------------------------------------------------
// "Which steps were applied and which were not"

type Step = 'cancel' | 'current' | 'pending';
const STEP_TEXT: Record<Step, string> = {
  cancel: 'CancelRotateSecret',
  current: 'VersionStage=AWSCURRENT',
  pending: 'VersionStage=AWSPENDING',
};

function lineStarting(text: string, re: RegExp): string {
  return text.split('\n').find((l) => re.test(l)) ?? '';
}

/**
 * The failure output says plainly what was written: nothing, or an Applied: line naming each
 * applied step and a Not applied: line naming each step left out.
 */
function expectSteps(r: CliResult, applied: Step[], notApplied: Step[]): void {
  const done = lineStarting(r.stderr, /^(Already )?applied:/i);
  const left = lineStarting(r.stderr, /^Not applied:/i);
  if (applied.length === 0) {
    assert.match(
      r.stderr,
      // A write whose answer never came cannot be called unwritten: rotctl says it may apply.
      /nothing (was|has been) (written|applied|changed)|may have been applied/i,
      `no statement that nothing was written\n${describeRun(r)}`,
    );
    assert.equal(done, '', `an Applied: line although nothing was applied\n${describeRun(r)}`);
    return;
  }
  for (const s of applied) {
    assert.ok(done.includes(STEP_TEXT[s]), `Applied: does not name ${s}\n${describeRun(r)}`);
  }
  for (const s of notApplied) {
    assert.ok(left.includes(STEP_TEXT[s]), `Not applied: does not name ${s}\n${describeRun(r)}`);
    assert.ok(!done.includes(STEP_TEXT[s]), `Applied: names ${s}\n${describeRun(r)}`);
  }
}

function writesSeen(): number {
  return proxy.count(CANCEL) + proxy.count(USVS);
}

// ---------------------------------------------------------------------------------------

describe('transient faults within the retry budget', { timeout: TEST_TIMEOUT_MS }, () => {
  interface Within {
    id: string;
    fault: Fault;
    env?: NodeJS.ProcessEnv;
    maxMs?: number;
    /** Extra requests the fault causes (default: one retry per faulted request). */
    extra?: number;
  }
  /** Requests per operation in a clean promote of C01 (the check reads the labels once). */
  const CLEAN: Record<string, number> = {
    DescribeSecret: 1,
    [LSVI]: 3,
    [GSV]: 1,
    [CANCEL]: 1,
    [USVS]: 2,
  };
  const cases: Within[] = [
    { id: 'describe-500x2', fault: { target: 'DescribeSecret', mode: 'http500', times: 2 } },
    { id: 'list-503x2', fault: { target: LSVI, mode: '503', times: 2 } },
    { id: 'get-reset-x2', fault: { target: GSV, mode: 'reset', times: 2 } },
    { id: 'cancel-reset-after', fault: { target: CANCEL, mode: 'reset-after' } },
    {
      id: 'move-current-503x2',
      fault: { target: USVS, mode: '503', times: 2, match: stage('AWSCURRENT') },
    },
    {
      id: 'move-pending-reset',
      fault: { target: USVS, mode: 'reset', match: stage('AWSPENDING') },
    },
    { id: 'move-delay-200ms', fault: { target: USVS, mode: 'delay', delayMs: 200 }, extra: 0 },
    {
      id: 'list-hang-once',
      fault: { target: LSVI, mode: 'hang' },
      env: { ROTCTL_REQUEST_TIMEOUT_MS: '600' },
      maxMs: 10_000,
    },
  ];
  for (const c of cases) {
    test(`${c.id}: promote still succeeds, retries bounded`, { skip }, async () => {
      const s = await fresh(seedC01);
      proxy.add(c.fault);
      const { r, ms } = await timed(rotctl([s.arn, '--yes', '--promote'], c.env));
      injected(c.id, c.fault);
      expectExit(r, 0);
      expectNoError(r);
      await expectLabels(s, PROMOTED, c.id);
      const op = c.fault.target ?? '';
      const want = (CLEAN[op] ?? 0) + (c.extra ?? c.fault.times ?? 1);
      assert.equal(proxy.count(op), want, `${op}: one retry per fault expected\n${proxyLog()}`);
      if (c.maxMs) assert.ok(ms < c.maxMs, `${c.id}: took ${ms} ms`);
      survived(c.id);
    });
  }

  test("a throttle with rotctl's default settings is retried and succeeds", { skip }, async () => {
    const s = await fresh(seedC01);
    const fault: Fault = { target: USVS, mode: 'throttle', match: stage('AWSCURRENT') };
    proxy.add(fault);
    const r = await rotctl([s.arn, '--yes', '--promote'], DEFAULTS);
    injected('defaults-throttle', fault);
    expectExit(r, 0);
    await expectLabels(s, PROMOTED, 'defaults-throttle');
    assert.equal(proxy.count(USVS), 3, proxyLog());
    survived('defaults-throttle');
  });

  test('a write applied late after its request timed out changes nothing', { skip }, async () => {
    const s = await fresh(seedC01);
    const fault: Fault = {
      target: USVS,
      mode: 'delay',
      delayMs: 1500,
      match: stage('AWSCURRENT'),
    };
    proxy.add(fault);
    const started = Date.now();
    const r = await rotctl([s.arn, '--yes', '--promote'], { ROTCTL_REQUEST_TIMEOUT_MS: '400' });
    injected('late-write', fault);
    expectExit(r, 0);
    // Let the held request reach moto, then look again: the guard must have refused it.
    await new Promise((res) => setTimeout(res, Math.max(0, 1800 - (Date.now() - started))));
    await expectLabels(s, PROMOTED, 'late-write');
    survived('late-write');
  });
});

describe('C19: throttling during a scripted runbook', { timeout: TEST_TIMEOUT_MS }, () => {
  test('one throttle on each write: bare --yes still rolls back', { skip }, async () => {
    const s = await fresh(seedC19);
    const faults: Fault[] = [
      { target: CANCEL, mode: 'throttle' },
      { target: USVS, mode: 'throttle' },
    ];
    proxy.add(...faults);
    const r = await rotctl([s.arn, '--yes']);
    injected('c19-throttle-once', faults[0] as Fault);
    expectExit(r, 0);
    expectNoError(r);
    await expectLabels(s, C19_ROLLED_BACK, 'c19-throttle-once');
    assert.equal(proxy.count(USVS), 2, proxyLog());
    survived('c19-throttle-once');
  });

  test(
    'throttled on every attempt: exit 7, says what applied, re-run converges',
    { skip },
    async () => {
      const s = await fresh(seedC19);
      const fault: Fault = { target: USVS, mode: 'throttle', times: Infinity };
      proxy.add(fault);
      const r = await rotctl([s.arn, '--yes'], { ROTCTL_MAX_ATTEMPTS: '2' });
      injected('c19-throttle-always', fault);
      expectExit(r, 7);
      expectPlainError(r, /app\/db-credentials/);
      assert.match(r.stderr, /(run|safe).*again/i, describeRun(r));
      expectSteps(r, ['cancel'], ['pending']);
      assert.equal(proxy.count(USVS), 2, `retries beyond ROTCTL_MAX_ATTEMPTS\n${proxyLog()}`);
      await expectLabels(s, { [A]: ['AWSCURRENT'], [P]: ['AWSPENDING'] }, 'c19-throttle-always');
      proxy.clear();
      expectExit(await rotctl([s.arn, '--yes']), 0);
      await expectLabels(s, C19_ROLLED_BACK, 'c19-throttle-always/rerun');
      survived('c19-throttle-always');
    },
  );
});

describe(
  'faults that persist: exit 7, a plain account, one AWSCURRENT, re-run converges',
  { timeout: TEST_TIMEOUT_MS },
  () => {
    interface Persistent {
      id: string;
      fault: Fault;
      applied: Step[];
      notApplied: Step[];
      left: Labels;
    }
    const all: Step[] = ['cancel', 'current', 'pending'];
    const cases: Persistent[] = [
      {
        id: 'describe-503',
        fault: { target: 'DescribeSecret', mode: '503' },
        applied: [],
        notApplied: all,
        left: BEFORE,
      },
      {
        id: 'list-500',
        fault: { target: LSVI, mode: 'http500' },
        applied: [],
        notApplied: all,
        left: BEFORE,
      },
      {
        id: 'cancel-reset',
        fault: { target: CANCEL, mode: 'reset' },
        applied: [],
        notApplied: all,
        left: BEFORE,
      },
      {
        id: 'reread-before-moves-500',
        fault: { target: LSVI, mode: 'http500', match: fromNth(2) },
        applied: ['cancel'],
        notApplied: ['current', 'pending'],
        left: BEFORE,
      },
      {
        id: 'move-current-500',
        fault: { target: USVS, mode: 'http500', match: stage('AWSCURRENT') },
        applied: ['cancel'],
        notApplied: ['current', 'pending'],
        left: BEFORE,
      },
      {
        id: 'move-pending-503',
        fault: { target: USVS, mode: '503', match: stage('AWSPENDING') },
        applied: ['cancel', 'current'],
        notApplied: ['pending'],
        left: HALF_PROMOTED,
      },
      {
        id: 'verify-read-500',
        fault: { target: LSVI, mode: 'http500', match: fromNth(3) },
        applied: all,
        notApplied: [],
        left: PROMOTED,
      },
    ];
    for (const c of cases) {
      test(c.id, { skip }, async () => {
        const s = await fresh(seedC01);
        const fault: Fault = { ...c.fault, times: Infinity };
        proxy.add(fault);
        const r = await rotctl([s.arn, '--yes', '--promote']);
        injected(c.id, fault);
        expectExit(r, 7);
        expectPlainError(r);
        expectSteps(r, c.applied, c.notApplied);
        await expectLabels(s, c.left, c.id);
        await rerunConverges(s, c.id);
      });
    }

    test('retries stop at ROTCTL_MAX_ATTEMPTS', { skip }, async () => {
      const s = await fresh(seedC01);
      const fault: Fault = { target: 'DescribeSecret', mode: 'http500', times: Infinity };
      proxy.add(fault);
      const r = await rotctl([s.arn, '--yes', '--promote'], { ROTCTL_MAX_ATTEMPTS: '5' });
      injected('bounded-5', fault);
      expectExit(r, 7);
      assert.equal(proxy.count('DescribeSecret'), 5, proxyLog());
      assert.equal(writesSeen(), 0, proxyLog());
      await rerunConverges(s, 'bounded-5');
    });

    test('a hung endpoint mid-write: the request timeout ends the run', { skip }, async () => {
      const s = await fresh(seedC01);
      const fault: Fault = { target: USVS, mode: 'hang', times: Infinity };
      proxy.add(fault);
      const env = { ROTCTL_REQUEST_TIMEOUT_MS: '400', ROTCTL_MAX_ATTEMPTS: '2' };
      const { r, ms } = await timed(rotctl([s.arn, '--yes', '--promote'], env));
      injected('write-hang', fault);
      expectExit(r, 7);
      assert.ok(ms < 15_000, `took ${ms} ms`);
      expectSteps(r, ['cancel'], ['current', 'pending']);
      await expectLabels(s, BEFORE, 'write-hang');
      await rerunConverges(s, 'write-hang');
    });

    test(
      'JSON: the document lists what was applied on a failed second move',
      { skip },
      async () => {
        const s = await fresh(seedC01);
        const fault: Fault = {
          target: USVS,
          mode: '503',
          times: Infinity,
          match: stage('AWSPENDING'),
        };
        proxy.add(fault);
        const r = await rotctl([s.arn, '--yes', '--promote', '-o', 'json']);
        injected('json-move-pending-503', fault);
        expectExit(r, 7);
        const doc = parseJsonDoc(r);
        const applied = doc['applied'] as string[];
        assert.equal(applied.length, 2, describeRun(r));
        assert.ok(applied[1]?.includes(STEP_TEXT.current), describeRun(r));
        const result = doc['result'] as Record<string, unknown>;
        assert.equal(result['exitCode'], 7, describeRun(r));
        assert.equal(result['status'], 'failed', describeRun(r));
        await expectLabels(s, HALF_PROMOTED, 'json-move-pending-503');
        await rerunConverges(s, 'json-move-pending-503');
      },
    );
  },
);

/** After the outage: the same command ends in the promoted state. */
async function rerunConverges(s: Seeded, id: string): Promise<void> {
  proxy.clear();
  const again = await rotctl([s.arn, '--yes', '--promote']);
  expectExit(again, 0);
  await expectLabels(s, PROMOTED, `${id}/rerun`, again);
  survived(id);
}

describe(
  'GetSecretValue failures make the value "unknown", never "absent"',
  { timeout: TEST_TIMEOUT_MS },
  () => {
    const kms = 'Access to KMS is not allowed';
    const cases: Array<{ id: string; fault: Fault }> = [
      { id: 'get-500', fault: { target: GSV, mode: 'http500' } },
      { id: 'get-denied', fault: { target: GSV, mode: 'deny' } },
      { id: 'get-kms-denied', fault: { target: GSV, mode: 'deny', message: kms } },
    ];
    for (const c of cases) {
      test(
        `${c.id}: promote refused (4), bare --yes 3, then promote after the outage`,
        { skip },
        async () => {
          const s = await fresh(seedC01);
          const fault: Fault = { ...c.fault, times: Infinity };
          proxy.add(fault);
          const promote = await rotctl([s.arn, '--yes', '--promote', '-o', 'json']);
          injected(c.id, fault);
          expectExit(promote, 4);
          assert.equal(pendingValue(promote), 'unknown', describeRun(promote));
          const bare = await rotctl([s.arn, '--yes']);
          expectExit(bare, 3);
          assert.match(bare.stdout, /unknown/, describeRun(bare));
          assert.equal(writesSeen(), 0, `a write despite the refusal\n${proxyLog()}`);
          await expectLabels(s, BEFORE, c.id);
          await rerunConverges(s, c.id);
        },
      );
    }

    test('KMS denial: rollback still works and the note names kms:Decrypt', { skip }, async () => {
      const s = await fresh(seedC01);
      const fault: Fault = { target: GSV, mode: 'deny', message: kms, times: Infinity };
      proxy.add(fault);
      const dry = await rotctl([s.arn, '--dry-run']);
      injected('get-kms-rollback', fault);
      assert.match(dry.stdout + dry.stderr, /kms:Decrypt/, describeRun(dry));
      const r = await rotctl([s.arn, '--yes', '--rollback']);
      expectExit(r, 0);
      await expectLabels(s, ROLLED_BACK, 'get-kms-rollback');
      survived('get-kms-rollback');
    });
  },
);

function pendingValue(r: CliResult): unknown {
  const before = parseJsonDoc(r)['before'] as { versions?: Array<Record<string, unknown>> };
  return before.versions?.find((v) => v['id'] === P)?.['value'];
}

describe(
  'lost answers: a write that was applied is not reported as failed',
  { timeout: TEST_TIMEOUT_MS },
  () => {
    const cases: Array<{ id: string; fault: Fault; attempts: string; writes?: number }> = [
      {
        id: 'lost-current',
        attempts: '3',
        fault: { target: USVS, mode: 'reset-after', match: stage('AWSCURRENT') },
      },
      {
        id: 'lost-current-no-retry',
        attempts: '1',
        writes: 2,
        fault: { target: USVS, mode: 'reset-after', match: stage('AWSCURRENT') },
      },
      {
        id: 'lost-pending-no-retry',
        attempts: '1',
        writes: 2,
        fault: { target: USVS, mode: 'reset-after', match: stage('AWSPENDING') },
      },
    ];
    for (const c of cases) {
      test(c.id, { skip }, async () => {
        const s = await fresh(seedC01);
        proxy.add(c.fault);
        const r = await rotctl([s.arn, '--yes', '--promote'], { ROTCTL_MAX_ATTEMPTS: c.attempts });
        injected(c.id, c.fault);
        expectExit(r, 0);
        expectNoError(r);
        await expectLabels(s, PROMOTED, c.id);
        if (c.writes) assert.equal(proxy.count(USVS), c.writes, `move re-sent\n${proxyLog()}`);
        survived(c.id);
      });
    }

    test('lost answer to a roll back', { skip }, async () => {
      const s = await fresh(seedC02);
      const fault: Fault = { target: USVS, mode: 'reset-after' };
      proxy.add(fault);
      const r = await rotctl([s.arn, '--yes', '--rollback'], { ROTCTL_MAX_ATTEMPTS: '1' });
      injected('lost-rollback', fault);
      expectExit(r, 0);
      await expectLabels(s, ROLLED_BACK, 'lost-rollback');
      assert.equal(proxy.count(USVS), 1, proxyLog());
      survived('lost-rollback');
    });
  },
);

describe(
  "another writer moves a label between rotctl's read and its write",
  { timeout: TEST_TIMEOUT_MS },
  () => {
    interface Race {
      id: string;
      /** The request the other writer races: the pre-write re-read or one of the moves. */
      on: Fault;
      theirs: (s: Seeded) => Promise<void>;
      /** The labels the other writer left, which rotctl must not overwrite. */
      left: Labels;
      /** UpdateSecretVersionStage requests rotctl may send at most. */
      writes: number;
    }
    const cases: Race[] = [
      {
        id: 'pending-removed-before-reread',
        on: { target: LSVI, mode: 'hook', match: fromNth(2) },
        theirs: (s) => otherWriter(s, 'AWSPENDING', undefined, P),
        left: ROLLED_BACK,
        writes: 0,
      },
      {
        id: 'current-moved-before-reread',
        on: { target: LSVI, mode: 'hook', match: fromNth(2) },
        theirs: (s) => otherWriter(s, 'AWSCURRENT', B, A),
        left: { [A]: ['AWSPREVIOUS'], [B]: ['AWSCURRENT'], [P]: ['AWSPENDING'] },
        writes: 0,
      },
      {
        id: 'current-moved-before-move',
        on: { target: USVS, mode: 'hook' },
        theirs: (s) => otherWriter(s, 'AWSCURRENT', B, A),
        left: { [A]: ['AWSPREVIOUS'], [B]: ['AWSCURRENT'], [P]: ['AWSPENDING'] },
        writes: 1,
      },
      {
        id: 'pending-moved-before-second-move',
        on: { target: USVS, mode: 'hook', match: stage('AWSPENDING') },
        theirs: (s) => otherWriter(s, 'AWSPENDING', B, P),
        left: { [A]: ['AWSPREVIOUS'], [B]: ['AWSPENDING'], [P]: ['AWSCURRENT'] },
        writes: 2,
      },
      {
        id: 'current-moved-back-before-second-move',
        on: { target: USVS, mode: 'hook', match: stage('AWSPENDING') },
        theirs: (s) => otherWriter(s, 'AWSCURRENT', A, P),
        left: { [A]: ['AWSCURRENT'], [B]: [], [P]: ['AWSPREVIOUS'] },
        writes: 2,
      },
    ];
    for (const c of cases) {
      test(`${c.id}: exit 5, their labels stay`, { skip }, async () => {
        const s = await fresh(seedC01);
        const fault: Fault = { ...c.on, hook: () => c.theirs(s) };
        proxy.add(fault);
        const r = await rotctl([s.arn, '--yes', '--promote']);
        injected(c.id, fault);
        expectExit(r, 5);
        expectPlainError(r);
        assert.ok(proxy.count(USVS) <= c.writes, `rotctl wrote after the race\n${proxyLog()}`);
        await expectLabels(s, c.left, c.id);
        survived(c.id);
      });
    }
  },
);

// ---------------------------------------------------------------------------------------
// Reads that lag behind writes: a second proxy in front of the fault proxy answers the next
// `lag` ListSecretVersionIds requests after a label write with the answer from before it.

interface Answer {
  status: number;
  headers: http.OutgoingHttpHeaders;
  body: Buffer;
}

class LagProxy {
  endpoint = '';
  lag = 0;
  reads = 0;
  staleServed = 0;
  private staleLeft = 0;
  private last: Answer | undefined;
  private frozen: Answer | undefined;
  private readonly server = http.createServer((q, s) => {
    this.handle(q, s).catch(() => q.socket.destroy());
  });

  constructor(private readonly upstream: URL) {}

  reset(): void {
    this.lag = 0;
    this.reads = 0;
    this.staleServed = 0;
    this.staleLeft = 0;
    this.frozen = undefined;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('lag proxy: no address');
    this.endpoint = `http://127.0.0.1:${addr.port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readAll(req);
    const op =
      String(req.headers['x-amz-target'] ?? '')
        .split('.')
        .pop() ?? '';
    if (op === LSVI) this.reads += 1;
    if (op === LSVI && this.staleLeft > 0 && this.frozen) {
      this.staleLeft -= 1;
      this.staleServed += 1;
      return send(res, this.frozen);
    }
    if (op === USVS && this.lag > 0) {
      if (this.staleLeft === 0) this.frozen = this.last;
      this.staleLeft = this.lag;
    }
    const answer = await forward(this.upstream, req, raw).catch(() => undefined);
    if (!answer) return void req.socket.destroy();
    if (op === LSVI) this.last = answer;
    send(res, answer);
  }
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function send(res: ServerResponse, a: Answer): void {
  res.writeHead(a.status, { ...a.headers, 'content-length': a.body.length });
  res.end(a.body);
}

function forward(upstream: URL, req: IncomingMessage, raw: Buffer): Promise<Answer> {
  const headers = { ...req.headers, 'content-length': String(raw.length) };
  delete headers.connection;
  return new Promise((resolve, reject) => {
    const out = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
        agent: false,
      },
      (answer) => {
        readAll(answer).then((body) => {
          const h: http.OutgoingHttpHeaders = { ...answer.headers };
          delete h['transfer-encoding'];
          delete h.connection;
          resolve({ status: answer.statusCode ?? 502, headers: h, body });
        }, reject);
      },
    );
    out.on('error', reject);
    out.end(raw);
  });
}

let lagStarted: LagProxy | undefined;
after(async () => {
  await lagStarted?.close();
});

/** The lagging proxy in front of the fault proxy, with no lag and zeroed counters. */
async function lagProxy(): Promise<LagProxy> {
  if (!lagStarted) {
    lagStarted = new LagProxy(new URL(proxy.endpoint));
    await lagStarted.listen();
  }
  lagStarted.reset();
  return lagStarted;
}

describe('reads that lag behind writes', { timeout: TEST_TIMEOUT_MS }, () => {
  test('two stale reads: bounded re-reads, success, no second write', { skip }, async () => {
    const s = await fresh(seedC01);
    const lag = await lagProxy();
    lag.lag = 2;
    const r = await rotctl([s.arn, '--yes', '--promote'], {}, lag.endpoint);
    tally({
      kind: 'fault-injected',
      id: 'lag-2',
      op: LSVI,
      mode: 'stale',
      requests: lag.staleServed,
    });
    assert.ok(lag.staleServed > 0, 'no stale read was served');
    expectExit(r, 0);
    assert.equal(proxy.count(USVS), 2, `a move was sent twice\n${proxyLog()}`);
    await expectLabels(s, PROMOTED, 'lag-2');
    survived('lag-2');
  });

  test(
    'reads stale for longer than the check waits: exit 5, bounded, no re-write',
    { skip },
    async () => {
      const s = await fresh(seedC01);
      const lag = await lagProxy();
      lag.lag = 1000;
      const { r, ms } = await timed(rotctl([s.arn, '--yes', '--promote'], {}, lag.endpoint));
      tally({
        kind: 'fault-injected',
        id: 'lag-long',
        op: LSVI,
        mode: 'stale',
        requests: lag.staleServed,
      });
      expectExit(r, 5);
      expectPlainError(r);
      assert.equal(proxy.count(USVS), 2, `a move was re-sent\n${proxyLog()}`);
      assert.ok(lag.reads <= 10, `unbounded re-reads: ${lag.reads}`);
      assert.ok(ms < 20_000, `took ${ms} ms`);
      expectSteps(r, ['cancel', 'current', 'pending'], []);
      await expectLabels(s, PROMOTED, 'lag-long');
      proxy.clear();
      lag.reset();
      const again = await rotctl([s.arn, '--yes', '--promote'], {}, lag.endpoint);
      expectExit(again, 0);
      assert.equal(proxy.count(USVS), 0, `re-run wrote again\n${proxyLog()}`);
      await expectLabels(s, PROMOTED, 'lag-long/rerun');
      survived('lag-long');
    },
  );

  test('a lost answer read back stale is not written a second time', { skip }, async () => {
    const s = await fresh(seedC02);
    const fault: Fault = { target: USVS, mode: 'reset-after' };
    proxy.add(fault);
    const lag = await lagProxy();
    lag.lag = 3;
    const r = await rotctl(
      [s.arn, '--yes', '--rollback'],
      { ROTCTL_MAX_ATTEMPTS: '1' },
      lag.endpoint,
    );
    injected('lag-lost-write', fault);
    assert.ok(r.code === 0 || r.code === 7, `expected exit 0 or 7\n${describeRun(r)}`);
    assert.equal(proxy.count(USVS), 1, `written twice because of a stale read\n${proxyLog()}`);
    await expectLabels(s, ROLLED_BACK, 'lag-lost-write');
    proxy.clear();
    lag.reset();
    expectExit(await rotctl([s.arn, '--yes', '--rollback'], {}, lag.endpoint), 0);
    await expectLabels(s, ROLLED_BACK, 'lag-lost-write/rerun');
    survived('lag-lost-write');
  });
});

// ---------------------------------------------------------------------------------------

describe(
  'AccessDeniedException: exit 6 naming the IAM action',
  { timeout: TEST_TIMEOUT_MS },
  () => {
    const scp = 'Explicit deny in a service control policy';
    interface Denied {
      id: string;
      fault: Fault;
      action: string;
      applied: Step[];
      left: Labels;
    }
    const cases: Denied[] = [
      {
        id: 'deny-describe',
        fault: { target: 'DescribeSecret', mode: 'deny' },
        action: 'secretsmanager:DescribeSecret',
        applied: [],
        left: BEFORE,
      },
      {
        id: 'deny-list',
        fault: { target: LSVI, mode: 'deny' },
        action: 'secretsmanager:ListSecretVersionIds',
        applied: [],
        left: BEFORE,
      },
      {
        id: 'deny-cancel',
        fault: { target: CANCEL, mode: 'deny', message: scp },
        action: 'secretsmanager:CancelRotateSecret',
        applied: [],
        left: BEFORE,
      },
      {
        id: 'deny-move-current',
        fault: { target: USVS, mode: 'deny', match: stage('AWSCURRENT') },
        action: 'secretsmanager:UpdateSecretVersionStage',
        applied: ['cancel'],
        left: BEFORE,
      },
      {
        id: 'deny-move-pending',
        fault: { target: USVS, mode: 'deny', message: scp, match: stage('AWSPENDING') },
        action: 'secretsmanager:UpdateSecretVersionStage',
        applied: ['cancel', 'current'],
        left: HALF_PROMOTED,
      },
    ];
    for (const c of cases) {
      test(c.id, { skip }, async () => {
        const s = await fresh(seedC01);
        const fault: Fault = { ...c.fault, times: Infinity };
        proxy.add(fault);
        const r = await rotctl([s.arn, '--yes', '--promote']);
        injected(c.id, fault);
        expectExit(r, 6);
        expectPlainError(r, new RegExp(c.action));
        const notApplied = (['cancel', 'current', 'pending'] as Step[]).filter(
          (x) => !c.applied.includes(x),
        );
        if (c.applied.length > 0) expectSteps(r, c.applied, notApplied);
        else assert.doesNotMatch(r.stderr, /^Applied:/m, describeRun(r));
        await expectLabels(s, c.left, c.id);
        await rerunConverges(s, c.id);
      });
    }
  },
);

// ---------------------------------------------------------------------------------------
// Ctrl-C: rotctl gets SIGINT (from this test, by its PID) while a request is held.

function startRotctl(args: string[]): Spawned {
  return spawnCli(['cancel', ...args], { endpoint: proxy.endpoint, env: FAST });
}

async function waitFor(what: string, ok: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${proxyLog()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Ctrl-C', { timeout: TEST_TIMEOUT_MS }, () => {
  test(
    'during the first move of a promote: 130, no write after it, a summary',
    { skip },
    async () => {
      const s = await fresh(seedC01);
      // Held for less than the request timeout, so the SDK does not retry it meanwhile.
      proxy.add({ target: USVS, mode: 'delay', delayMs: 800, match: stage('AWSCURRENT') });
      const { pid, done } = startRotctl([s.arn, '--yes', '--promote']);
      await waitFor('the first move', () => proxy.count(USVS) >= 1);
      process.kill(pid, 'SIGINT');
      const r = await done;
      await new Promise((res) => setTimeout(res, 300));
      expectExit(r, 130);
      assert.equal(proxy.count(USVS), 1, `a write reached AWS after Ctrl-C\n${proxyLog()}`);
      expectSteps(r, ['cancel', 'current'], ['pending']);
      await expectLabels(s, HALF_PROMOTED, 'sigint-writes');
    },
  );

  test('during the reads: 130 at once, nothing written', { skip }, async () => {
    const s = await fresh(seedC01);
    proxy.add({ target: GSV, mode: 'delay', delayMs: 3000 });
    const { pid, done } = startRotctl([s.arn, '--yes', '--promote']);
    await waitFor('the value probe', () => proxy.count(GSV) >= 1);
    const signalled = Date.now();
    process.kill(pid, 'SIGINT');
    const r = await done;
    expectExit(r, 130);
    assert.ok(Date.now() - signalled < 2000, 'rotctl waited for the read to finish');
    assert.match(r.stderr, /nothing was written/i, describeRun(r));
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(writesSeen(), 0, proxyLog());
    await expectLabels(s, BEFORE, 'sigint-reads');
  });
});
