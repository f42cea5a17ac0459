// rotctl status: for every seedable field case, the exit code (0 not blocked, 8 blocked), the
// state it names, the exact `rotctl cancel …` command it prints (text and JSON), and that it
// never writes: the proxy sees only reads, the labels and RotationEnabled read back unchanged,
// and no sentinel value appears in any output. Then the error exits (2, 6, 7) and a check that
// the printed command really repairs the secret.
import assert from 'node:assert/strict';
import { test } from 'node:test';
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
} from './helpers/cli.js';
import type { CliResult } from './helpers/cli.js';
import { useRecordingProxy } from './helpers/fault-proxy.js';
import type { Fault, FaultProxy } from './helpers/fault-proxy.js';
import { useMoto } from './helpers/moto.js';
import { CASES, PRIMARY_REGION } from './helpers/seed.js';
import type { Seeded } from './helpers/seed.js';

const moto = useMoto();
/** The recording proxy in front of this file's moto, started on first use. */
const useProxy = useRecordingProxy(moto);

/** The only operations status may send: the reads cancel makes before deciding. */
const READS = ['DescribeSecret', 'ListSecretVersionIds', 'GetSecretValue'];
const WRITES = ['CancelRotateSecret', 'UpdateSecretVersionStage', 'PutSecretValue', 'RotateSecret'];

// ---------------------------------------------------------------------------------------
// Expectations per case

type CommandCheck = (command: string | undefined, s: Seeded) => void;

interface Expect {
  exit: 0 | 8;
  state: string;
  /** What the printed command must be (or satisfy); `none` when nothing is to be done. */
  command: CommandCheck;
}

const exactly =
  (suffix: string): CommandCheck =>
  (command, s) => {
    assert.equal(command, `rotctl cancel ${s.arn}${suffix}`, `advised command for ${s.name}`);
  };
const none: CommandCheck = (command) => {
  assert.equal(command, undefined, 'nothing to repair, so no command may be advised');
};
const bare = exactly('');
const yes = exactly(' --yes');
const promote = exactly(' --promote');

/** C17: no rotctl command can work until the secret is restored; that command comes first. */
const restoreFirst: CommandCheck = (command, s) => {
  assert.ok(
    command?.includes(`aws secretsmanager restore-secret --secret-id ${s.arn}`),
    `expected the restore command, got ${String(command)}`,
  );
};

/** The region a `rotctl cancel <target> [--region R]` command would act in. */
function commandRegion(command: string): string | undefined {
  const words = command.split(/\s+/);
  const flag = words.indexOf('--region');
  const arnRegion = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):/.exec(words[2] ?? '')?.[1];
  const flagRegion = flag >= 0 ? words[flag + 1] : undefined;
  if (arnRegion && flagRegion && arnRegion !== flagRegion) return undefined;
  return flagRegion ?? arnRegion;
}

/** C15: the advice must be a rotctl cancel command that acts in the primary region. */
const inPrimary: CommandCheck = (command = '') => {
  assert.ok(
    command.startsWith('rotctl cancel '),
    `a replica needs the exact rotctl cancel command for its primary, got: ${command}`,
  );
  assert.equal(
    commandRegion(command),
    PRIMARY_REGION,
    `the advised command must act in ${PRIMARY_REGION}: ${command}`,
  );
};

const EXPECT: Readonly<Record<string, Expect>> = {
  C01: { exit: 8, state: 'S6', command: bare },
  'C01-binary': { exit: 8, state: 'S6', command: bare },
  C02: { exit: 8, state: 'S3', command: yes },
  C03: { exit: 0, state: 'S2', command: none },
  C04: { exit: 8, state: 'S8', command: promote },
  C05: { exit: 8, state: 'S6', command: bare },
  C06: { exit: 0, state: 'S2', command: none },
  C07: { exit: 8, state: 'S7', command: yes },
  C08: { exit: 8, state: 'S6', command: bare },
  C10: { exit: 8, state: 'S3', command: yes },
  C11: { exit: 0, state: 'S1', command: none },
  C13: { exit: 8, state: 'S3', command: yes },
  C15: { exit: 8, state: 'S14', command: inPrimary },
  C16: { exit: 0, state: 'S1', command: none },
  C17: { exit: 8, state: 'S15', command: restoreFirst },
  C18: { exit: 8, state: 'S6', command: bare },
  C19: { exit: 8, state: 'S3', command: yes },
  C22: { exit: 8, state: 'S3', command: yes },
  C23: { exit: 0, state: 'S1', command: none },
  'C23-cancelled': { exit: 0, state: 'S1', command: none },
  'C23-script-pending': { exit: 8, state: 'S6', command: bare },
  S9: { exit: 8, state: 'S6', command: bare },
  S11: { exit: 8, state: 'S6', command: bare },
  healthy: { exit: 0, state: 'S1', command: none },
};

test('every seedable case has a status expectation', () => {
  assert.deepEqual(Object.keys(EXPECT).sort(), Object.keys(CASES).sort());
});

// ---------------------------------------------------------------------------------------
// Reading the output

interface StatusDoc {
  schemaVersion: unknown;
  command: unknown;
  state: { code: unknown; blocking: unknown };
  advice: { action: unknown; command?: unknown };
  result: { status: unknown; exitCode: unknown };
}

function statusDoc(r: CliResult): StatusDoc {
  const doc = parseJsonDoc(r);
  for (const key of ['state', 'advice', 'result']) {
    assert.equal(typeof doc[key], 'object', `JSON has no ${key}\n${describeRun(r)}`);
  }
  return doc as unknown as StatusDoc;
}

/** The text after "Next": the action line and, when there is one, the command line. */
function nextBlock(r: CliResult): string[] {
  const lines = r.stdout.split('\n');
  // "Next rotation" in the secret's table is a different line.
  const at = lines.findIndex((l) => /^Next {3,}/.test(l));
  assert.ok(at >= 0, `no "Next" line\n${describeRun(r)}`);
  return lines
    .slice(at)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** The line under the action, where status prints the command; undefined when there is none. */
function printedCommand(r: CliResult): string | undefined {
  return nextBlock(r)[1];
}

// ---------------------------------------------------------------------------------------
// One test per case

interface Target {
  args: string[];
  region: string;
}

/** A replica (C15) is looked at where it lives; everything else in us-east-1. */
function targetOf(s: Seeded): Target {
  return { args: [s.name, '--region', s.region], region: s.region };
}

async function readState(endpoint: string, s: Seeded): Promise<string> {
  const labels = await labelsOf(endpoint, s.arn, s.region);
  const on = await rotationEnabled(endpoint, s.arn, s.region);
  return JSON.stringify({ labels, on });
}

function assertReadsOnly(p: FaultProxy, what: string): void {
  const ops = opsOf(p.log);
  assert.ok(ops.length > 0, `${what}: no request reached the endpoint`);
  for (const op of ops) {
    assert.ok(READS.includes(op), `${what}: status sent ${op} (all: ${ops.join(', ')})`);
  }
  for (const op of WRITES) assert.equal(p.count(op), 0, `${what}: ${op} was sent`);
}

function assertText(r: CliResult, e: Expect, s: Seeded): void {
  assertExit(r, e.exit);
  assert.match(r.stdout, new RegExp(`^State\\s+${e.state}: `, 'm'), describeRun(r));
  const blocks = e.exit === 8 ? 'yes' : 'no';
  assert.match(r.stdout, new RegExp(`^Blocks rotation\\s+${blocks}$`, 'm'), describeRun(r));
  e.command(printedCommand(r), s);
  // -v: one line per AWS call, and only reads.
  for (const op of verboseOps(r.stderr)) assert.ok(READS.includes(op), `-v logged ${op}`);
}

function assertJson(r: CliResult, e: Expect, s: Seeded): void {
  assertExit(r, e.exit);
  const doc = statusDoc(r);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'status');
  assert.equal(doc.state.code, e.state);
  assert.equal(doc.state.blocking, e.exit === 8);
  assert.equal(doc.result.exitCode, e.exit);
  assert.equal(doc.result.status, e.exit === 8 ? 'blocked' : 'not-blocked');
  assert.equal(typeof doc.advice.action, 'string');
  const command = doc.advice.command;
  e.command(typeof command === 'string' ? command : undefined, s);
}

for (const [id, e] of Object.entries(EXPECT)) {
  test(
    `status ${id} (${CASES[id]?.description ?? '?'}): exit ${e.exit}, ${e.state}, reads only`,
    moto.options,
    async () => {
      const entry = CASES[id];
      assert.ok(entry, `no seed for ${id}`);
      const s = await entry.seed(moto().endpoint);
      const p = await useProxy();
      p.clear();
      const before = await readState(moto().endpoint, s);
      const { args } = targetOf(s);
      const text = await runCli(['status', ...args, '-v'], { endpoint: p.endpoint });
      const json = await runCli(['status', ...args, '--output', 'json'], { endpoint: p.endpoint });
      assertReadsOnly(p, id);
      assert.equal(await readState(moto().endpoint, s), before, `${id}: state changed`);
      for (const r of [text, json]) assertNoSentinels(r, s.sentinels);
      assertJson(json, e, s);
      assertText(text, e, s);
    },
  );
}

// ---------------------------------------------------------------------------------------
// The printed command is the repair

function commandArgs(command = ''): string[] {
  assert.ok(command.startsWith('rotctl cancel '), `not a rotctl command: ${command}`);
  return command.split(/\s+/).slice(1);
}

for (const id of ['C02', 'C07']) {
  test(
    `status ${id}: running the printed command unblocks it; status then exits 0`,
    moto.options,
    async () => {
      const s = await CASES[id]?.seed(moto().endpoint);
      assert.ok(s);
      const endpoint = moto().endpoint;
      const first = await runCli(['status', s.name], { endpoint });
      assertExit(first, 8);
      const fix = await runCli(commandArgs(printedCommand(first)), { endpoint });
      assertExit(fix, 0);
      const again = await runCli(['status', s.name], { endpoint });
      assertExit(again, 0);
      assert.match(again.stdout, /^State\s+S1: /m, describeRun(again));
      assert.match(again.stdout, /^Blocks rotation\s+no$/m);
      for (const r of [first, fix, again]) assertNoSentinels(r, s.sentinels);
    },
  );
}

// ---------------------------------------------------------------------------------------
// Errors: 6 not found / denied, 7 transient, 2 usage; each as one JSON document too

interface ErrorDoc {
  schemaVersion: unknown;
  command: unknown;
  result: Record<string, unknown>;
}

function assertErrorDoc(r: CliResult, code: number): void {
  assertExit(r, code);
  const doc = parseJsonDoc(r) as unknown as ErrorDoc;
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'status');
  assert.equal(doc.result['exitCode'], code, describeRun(r));
  assert.equal(doc.result['status'], 'failed');
}

async function statusWithFaults(
  faults: Fault[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ text: CliResult; json: CliResult; p: FaultProxy }> {
  const s = await CASES['C02']?.seed(moto().endpoint, { name: 'app/faulted' });
  assert.ok(s);
  const p = await useProxy();
  p.clear();
  p.add(...faults);
  const opts = { endpoint: p.endpoint, env };
  const text = await runCli(['status', s.name], opts);
  const json = await runCli(['status', s.name, '--output', 'json'], opts);
  assertReadsOnly(p, 'faulted status');
  return { text, json, p };
}

test('status of a missing secret: exit 6, says not found, no write', moto.options, async () => {
  const p = await useProxy();
  p.clear();
  const text = await runCli(['status', 'app/no-such-secret'], { endpoint: p.endpoint });
  assertExit(text, 6);
  assert.match(text.stderr, /not found/i, describeRun(text));
  const json = await runCli(['status', 'app/no-such-secret', '--output', 'json'], {
    endpoint: p.endpoint,
  });
  assertErrorDoc(json, 6);
  assertReadsOnly(p, 'missing');
});

test('status when DescribeSecret is denied: exit 6, names the action', moto.options, async () => {
  const { text, json } = await statusWithFaults([
    { target: 'DescribeSecret', mode: 'deny', times: Infinity },
  ]);
  assertExit(text, 6);
  assert.match(text.stderr, /secretsmanager:DescribeSecret/, describeRun(text));
  assertErrorDoc(json, 6);
});

test(
  'status when every read is throttled: exit 7 (transient, safe to rerun)',
  moto.options,
  async () => {
    const { text, json } = await statusWithFaults(
      [{ target: 'DescribeSecret', mode: 'throttle', times: Infinity }],
      { ROTCTL_MAX_ATTEMPTS: '1' },
    );
    assertExit(text, 7);
    assertErrorDoc(json, 7);
  },
);

test('status throttled once is retried and still answers 8', moto.options, async () => {
  const { text, p } = await statusWithFaults([
    { target: 'ListSecretVersionIds', mode: 'throttle', times: 1 },
  ]);
  assertExit(text, 8);
  assert.ok(p.count('ListSecretVersionIds') >= 3, 'the throttled read was not retried');
});

const USAGE: readonly (readonly string[])[] = [
  ['status'],
  ['status', 'app/a', 'app/b'],
  ['status', 'app/a', '--region', 'nowhere'],
  ['status', 'arn:aws:secretsmanager:us-east-1:123:secret:x'],
  ['status', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x', '--region', 'eu-west-1'],
  ['status', ' app/a'],
];

test('status usage errors exit 2 before any request', moto.options, async () => {
  const p = await useProxy();
  p.clear();
  for (const args of USAGE) {
    const r = await runCli(args, { endpoint: p.endpoint });
    assertExit(r, 2);
    assert.match(r.stderr, /error/, describeRun(r));
  }
  const json = await runCli(['status', 'app/a', '--region', 'nowhere', '--output', 'json'], {
    endpoint: p.endpoint,
  });
  assertErrorDoc(json, 2);
  assert.equal(p.count(), 0, `usage errors sent ${opsOf(p.log).join(', ')}`);
});
