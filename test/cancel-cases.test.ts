// One integration test per field case (field-cases.md C01–C23, rotation-domain §2.4 S-codes):
// seed moto, run the built CLI the way the case's "Operator intent" says, through a fault
// proxy that records every request, then assert the exit code, the key words of the output,
// the end state read back from moto, which writes were sent, and that no value leaked.
// Expectations come from the spec and field-cases.md, never from moto's own errors
// (test-infra §3); each place where moto differs from AWS carries a NOTE.
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
import type { CliResult, Labels } from './helpers/cli.js';
import { useRecordingProxy } from './helpers/fault-proxy.js';
import type { Fault, LogEntry } from './helpers/fault-proxy.js';
import { client, useMoto } from './helpers/moto.js';
import {
  CASES,
  CUSTOM_LABELS,
  MISSING_LAMBDA_ARN,
  PRIMARY_REGION,
  VERSION_IDS,
} from './helpers/seed.js';
import type { Letter, Seeded } from './helpers/seed.js';

const moto = useMoto();
/** The recording proxy in front of this file's moto, started on first use. */
const useProxy = useRecordingProxy(moto);

const CUR = 'AWSCURRENT';
const PREV = 'AWSPREVIOUS';
const PEND = 'AWSPENDING';
const CANCEL = 'CancelRotateSecret';
const STAGE = 'UpdateSecretVersionStage';
const { A, B, P, Q } = VERSION_IDS;

// ---------------------------------------------------------------------------------------
// The table

/** What the run may see and change besides the seed. */
interface Ctx {
  endpoint: string;
  seeded: Seeded;
  result: CliResult;
  log: LogEntry[];
}

interface Row {
  /** Key in CASES. */
  id: string;
  /** The operator's intent, as the test title. */
  intent: string;
  /** Flags after `cancel <secret name>`. */
  args: string[];
  /** Pass the full ARN instead of the name. */
  byArn?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Faults armed on the proxy after seeding; may act on the seeded secret. */
  faults?: (s: Seeded, endpoint: string) => Fault[];
  /** Extra set-up after seeding (directly on moto); returns sentinels it stored. */
  prepare?: (s: Seeded, endpoint: string) => Promise<string[]>;
  exit: number | readonly number[];
  /** Each must match stdout + stderr. */
  says: RegExp[];
  saysNot?: RegExp[];
  /** End state: 'unchanged' or the labels per version letter (others must not change). */
  labels: 'unchanged' | Partial<Record<Letter, string[]>>;
  /** RotationEnabled read back after the run. */
  rotation: boolean;
  /** The exact write operations that reached the endpoint, in order. */
  writes?: string[];
  /** What the VALUE column shows for the AWSPENDING version (P). */
  value?: 'present' | 'absent' | 'unknown';
  check?: (c: Ctx) => void | Promise<void>;
}

const NOTHING: string[] = [];
const CANCEL_ONLY = [CANCEL];
const ROLLBACK = [CANCEL, STAGE];
const PROMOTE = [CANCEL, STAGE, STAGE];
const DECISION = [/needs a decision/, /nothing was written/];
const BOTH_FLAGS = [/--rollback/, /--promote/];
const ROLLED_BACK = { A: [CUR], B: [PREV], P: [] };
const PROMOTED = { P: [CUR], A: [PREV], B: [] };

const ROWS: Row[] = [
  // C01: stale pending with a value; the right choice depends on the database.
  {
    id: 'C01',
    intent: 'bare --yes stops: two choices, names both flags',
    args: ['--yes'],
    exit: 3,
    says: [/S6/, /Blocks rotation\s+yes/, ...DECISION, ...BOTH_FLAGS],
    labels: 'unchanged',
    rotation: true,
    writes: NOTHING,
    value: 'present',
  },
  {
    id: 'C01',
    intent: '--dry-run without a choice shows both plans, exit 3',
    args: ['--dry-run'],
    exit: 3,
    says: [
      /S6/,
      /needs a decision/,
      ...BOTH_FLAGS,
      new RegExp(`VersionStage=AWSPENDING RemoveFromVersionId=${P}`),
      new RegExp(`VersionStage=AWSCURRENT MoveToVersionId=${P} RemoveFromVersionId=${A}`),
      new RegExp(
        `--version-stage AWSCURRENT --move-to-version-id ${P} ` + `--remove-from-version-id ${A}`,
      ),
    ],
    labels: 'unchanged',
    rotation: true,
    writes: NOTHING,
    value: 'present',
  },
  {
    id: 'C01',
    intent: '--yes --rollback restores the labels as before the rotation',
    args: ['--yes', '--rollback'],
    exit: 0,
    says: [/Rolled back/],
    labels: ROLLED_BACK,
    rotation: false,
    writes: ROLLBACK,
    value: 'present',
  },
  {
    id: 'C01-binary',
    intent: 'a SecretBinary value counts: --yes --promote works',
    args: ['--yes', '--promote'],
    exit: 0,
    says: [/Promoted/],
    labels: PROMOTED,
    rotation: false,
    writes: PROMOTE,
    value: 'present',
  },
  // C02: value-less placeholder: roll back is the only safe choice.
  {
    id: 'C02',
    intent: 'bare --yes rolls back the placeholder',
    args: ['--yes'],
    exit: 0,
    says: [/S3/, /no value/, /Rolled back/],
    labels: ROLLED_BACK,
    rotation: false,
    writes: ROLLBACK,
    value: 'absent',
  },
  // C03: AWSPENDING on the AWSCURRENT version: finished, not stuck.
  {
    id: 'C03',
    intent: 'bare --yes only turns rotation off; no label moves',
    args: ['--yes'],
    exit: 0,
    says: [/S2/, /Blocks rotation\s+no/, /labels needed no change/],
    saysNot: [/Promoted|Rolled back/],
    labels: 'unchanged',
    rotation: false,
    writes: CANCEL_ONLY,
  },
  // C04: no AWSCURRENT anywhere; P holds a value.
  {
    id: 'C04',
    intent: 'bare --yes stops and names --promote',
    args: ['--yes'],
    exit: 3,
    says: [/S8/, /no AWSCURRENT/, ...DECISION, /--promote/],
    labels: 'unchanged',
    rotation: true,
    writes: NOTHING,
    value: 'present',
  },
  {
    id: 'C04',
    intent: '--yes --rollback is refused: no usable version would remain',
    args: ['--yes', '--rollback'],
    exit: 4,
    says: [/Refusing to roll back/, /AWSCURRENT/],
    labels: 'unchanged',
    rotation: true,
    writes: NOTHING,
  },
  {
    id: 'C04',
    intent: '--yes --promote sends AWSCURRENT with no RemoveFromVersionId',
    args: ['--yes', '--promote'],
    // NOTE: moto (issue #9451) crashes with an HTML 500 on the correct request shape, so
    // the promote cannot succeed here; AWS accepts it. Assert the request rotctl sent, that
    // it reports a service failure (6 rejected / 7 transient) and claims no success.
    exit: [6, 7],
    says: [/Not applied/],
    saysNot: [/Promoted/],
    labels: 'unchanged',
    rotation: false,
    value: 'present',
    check: ({ log }) => {
      const stages = log.filter((e) => e.target === STAGE);
      assert.ok(stages.length >= 1, 'no UpdateSecretVersionStage was sent');
      for (const e of stages) {
        assert.equal(e.body['VersionStage'], CUR, 'only the AWSCURRENT move may be sent');
        assert.equal(e.body['MoveToVersionId'], P);
        assert.ok(
          !('RemoveFromVersionId' in e.body),
          `RemoveFromVersionId must be left out: ${JSON.stringify(e.body)}`,
        );
      }
    },
  },
  // C05: the promote's check-and-set guard comes from the live labels.
  {
    id: 'C05',
    intent: '--yes --promote names the live AWSCURRENT holder',
    args: ['--yes', '--promote'],
    byArn: true,
    exit: 0,
    says: [/Promoted/],
    labels: PROMOTED,
    rotation: false,
    writes: PROMOTE,
    check: ({ log }) => {
      const bodies = log.filter((e) => e.target === STAGE).map((e) => e.body);
      assert.deepEqual(bodies.map(stageShape), [
        `${CUR} move=${P} remove=${A}`,
        `${PEND} move=- remove=${P}`,
      ]);
    },
  },
  // C06: "discard the partial version", which is in fact AWSCURRENT.
  {
    id: 'C06',
    intent: '--yes --rollback on a finished rotation moves no label',
    args: ['--yes', '--rollback'],
    // NOTE: rotctl has no --discard; --rollback is the closest request. It must never
    // remove AWSCURRENT (moto would accept that, AWS refuses it); turning rotation off is
    // what `cancel` itself asks for.
    exit: 0,
    says: [/S2/, /--rollback has nothing to do/],
    saysNot: [/Rolled back/],
    labels: 'unchanged',
    rotation: false,
    writes: CANCEL_ONLY,
  },
  // C07 / S7: AWSPENDING on the AWSPREVIOUS version.
  {
    id: 'C07',
    intent: 'bare --yes removes the stale AWSPENDING only',
    args: ['--yes'],
    exit: 0,
    says: [/S7/, /Rolled back/],
    labels: { A: [CUR], P: [PREV] },
    rotation: false,
    writes: ROLLBACK,
    value: 'present',
  },
  {
    id: 'C07',
    intent: '--yes --promote is refused (would undo a deliberate roll back)',
    args: ['--yes', '--promote'],
    exit: 4,
    says: [/Refusing to promote/, /--rollback/],
    labels: 'unchanged',
    rotation: true,
    writes: NOTHING,
  },
  // C08: another writer finishes the rotation between rotctl's read and its write.
  {
    id: 'C08',
    intent: 'labels change after the first read: exit 5, no label written',
    args: ['--yes', '--rollback'],
    faults: (s, endpoint) => [
      {
        target: 'ListSecretVersionIds',
        mode: 'hook',
        match: afterCancel,
        hook: () => stage(endpoint, s.arn, CUR, P, A),
      },
    ],
    exit: 5,
    says: [/changed/],
    // The other writer's labels, untouched: P finished (current+pending), A previous.
    labels: { A: [PREV], P: [CUR, PEND] },
    rotation: false,
    writes: CANCEL_ONLY,
  },
  // C10: a write that succeeds but has a side effect (injected after rotctl's write).
  {
    id: 'C10',
    intent: 'the check after writing catches a lost AWSPREVIOUS: exit 5',
    args: ['--yes'],
    faults: (s, endpoint) => [
      {
        target: 'ListSecretVersionIds',
        mode: 'hook',
        match: afterStageWrite,
        hook: () => stage(endpoint, s.arn, PREV, undefined, B),
      },
    ],
    exit: 5,
    says: [/check after writing failed/, new RegExp(B)],
    labels: { A: [CUR], B: [], P: [] },
    rotation: false,
    writes: ROLLBACK,
  },
  // C11: nothing pending; a promote request has nothing to act on.
  {
    id: 'C11',
    intent: '--yes --promote with no pending version writes nothing',
    args: ['--yes', '--promote'],
    // NOTE: the field case's --pending-version flag does not exist in rotctl; a runbook's
    // re-run must end 0 (idempotent), so "nothing to act on" is the right answer.
    exit: 0,
    says: [/S1/, /--promote has nothing to do/, /nothing to do\./],
    labels: 'unchanged',
    rotation: false,
    writes: NOTHING,
  },
  // C13: 130 versions, 127 deprecated.
  {
    id: 'C13',
    intent: 'bare --yes finds P among 130 versions and rolls it back',
    args: ['--yes'],
    // NOTE: moto ignores MaxResults and never pages (test-infra §3.3), so this shows that
    // the deprecated versions are counted and left alone, not that pagination works.
    exit: 0,
    says: [/\+127 version/, /S3/, /Rolled back/],
    labels: { A: [CUR], B: [PREV], P: [] },
    rotation: false,
    writes: ROLLBACK,
    value: 'absent',
  },
  // C15: pointed at the replica region.
  {
    id: 'C15',
    intent: 'AWS_REGION=us-west-2 on a replica: refused, names the primary',
    args: ['--yes'],
    env: { AWS_REGION: 'us-west-2' },
    // NOTE: moto would let UpdateSecretVersionStage through on a replica (and change the
    // primary); the assertion is that rotctl sends no write at all.
    exit: 4,
    says: [/S14/, /replica/, /rotctl cancel arn:aws:secretsmanager:us-east-1:/],
    labels: 'unchanged',
    rotation: true,
    writes: NOTHING,
    check: namesArn,
  },
  // C16: service-managed secret.
  {
    id: 'C16',
    intent: 'managed, nothing pending: CancelRotateSecret is tried, rejection reported',
    args: ['--yes'],
    // NOTE: moto rejects CancelRotateSecret on a secret without a rotation Lambda
    // (InvalidRequestException); AWS accepts it for managed rotation. Against moto the
    // right outcome is a clearly reported AWS rejection (exit 6), no label write.
    exit: 6,
    says: [/Managed by\s+rds/, /CancelRotateSecret/, /would not cancel/, /turn it off there/],
    saysNot: [/Unexpected error/, /configuredand|you didn't include/],
    labels: 'unchanged',
    rotation: true,
    writes: CANCEL_ONLY,
  },
  {
    id: 'C16',
    intent: 'managed with a pending version: refused before any write',
    args: ['--yes', '--rollback'],
    prepare: addPendingQ,
    exit: 4,
    says: [/S13/, /managed by rds/, /rotate-master-user-password/],
    labels: 'unchanged',
    rotation: true,
    writes: NOTHING,
  },
  // C17: scheduled for deletion.
  {
    id: 'C17',
    intent: 'bare --yes: refused, names the secret and the restore command',
    args: ['--yes'],
    // NOTE: moto accepts UpdateSecretVersionStage on a deleted secret; assert none is sent.
    exit: 4,
    says: [/S15/, /scheduled for deletion/, /app\/db-credentials/, /restore-secret/],
    labels: 'unchanged',
    rotation: true,
    writes: NOTHING,
    check: namesArn,
  },
  {
    id: 'C17',
    intent: '--yes --rollback: refused the same way',
    args: ['--yes', '--rollback'],
    exit: 4,
    says: [/scheduled for deletion/],
    labels: 'unchanged',
    rotation: true,
    writes: NOTHING,
  },
  // C18: GetSecretValue denied by KMS: the value is unknown, never "absent".
  {
    id: 'C18',
    intent: 'KMS denied, bare --yes: needs a decision',
    args: ['--yes'],
    faults: kmsDenied,
    exit: 3,
    says: [/S6/, ...DECISION, /--rollback/],
    labels: 'unchanged',
    rotation: true,
    writes: NOTHING,
    value: 'unknown',
  },
  {
    id: 'C18',
    intent: 'KMS denied, --yes --promote: refused',
    args: ['--yes', '--promote'],
    faults: kmsDenied,
    exit: 4,
    says: [/Refusing to promote/, /--rollback/],
    labels: 'unchanged',
    rotation: true,
    writes: NOTHING,
    value: 'unknown',
  },
  {
    id: 'C18',
    intent: 'KMS denied, --yes --rollback: done',
    args: ['--yes', '--rollback'],
    faults: kmsDenied,
    exit: 0,
    says: [/Rolled back/],
    labels: { A: [CUR], P: [] },
    rotation: false,
    writes: ROLLBACK,
    value: 'unknown',
  },
  // C19: throttling in a scripted runbook.
  {
    id: 'C19',
    intent: 'throttled twice, then through: done',
    args: ['--yes'],
    // NOTE: moto never throttles; the proxy answers ThrottlingException "Rate exceeded".
    faults: () => [
      { target: CANCEL, mode: 'throttle', times: 2 },
      { target: STAGE, mode: 'throttle', times: 1 },
    ],
    exit: 0,
    says: [/Rolled back/],
    labels: { A: [CUR], P: [] },
    rotation: false,
    writes: [CANCEL, CANCEL, CANCEL, STAGE, STAGE],
  },
  {
    id: 'C19',
    intent: 'throttled until retries run out: exit 7, says what was applied',
    args: ['--yes'],
    faults: () => [{ target: STAGE, mode: 'throttle', times: Infinity }],
    exit: 7,
    says: [
      /ThrottlingException|Rate exceeded/,
      /safe to (re-?run|run the same command again)/,
      /Applied: CancelRotateSecret/,
      /Not applied: UpdateSecretVersionStage/,
    ],
    saysNot: [/Rolled back/],
    labels: 'unchanged',
    rotation: false,
    check: async ({ endpoint, seeded }) => {
      // The runbook runs again once the throttling is over, and finishes the job.
      const again = await runCli(['cancel', seeded.name, '--yes'], { endpoint });
      assertExit(again, 0);
      assert.deepEqual(pick(await labelsOf(endpoint, seeded.arn)), { [A]: [CUR], [P]: [] });
    },
  },
  // C22: the rotation Lambda does not exist.
  {
    id: 'C22',
    intent: 'bare --yes rolls back the placeholder, shows the Lambda ARN',
    args: ['--yes'],
    exit: 0,
    says: [new RegExp(MISSING_LAMBDA_ARN), /S3/, /Rolled back/],
    labels: { A: [CUR], P: [] },
    rotation: false,
    writes: ROLLBACK,
    value: 'absent',
  },
  {
    id: 'C22',
    intent: '--yes --promote onto the placeholder is refused',
    args: ['--yes', '--promote'],
    exit: 4,
    says: [/Refusing to promote/, /no value/],
    labels: 'unchanged',
    rotation: true,
    writes: NOTHING,
    value: 'absent',
  },
  // C23: rotation never configured, already cancelled, or a script's AWSPENDING.
  {
    id: 'C23',
    intent: 'never configured: nothing to do, no raw service error',
    args: ['--yes'],
    exit: 0,
    says: [/S1/, /rotation is not configured; nothing to cancel/, /Rotation is not configured/],
    saysNot: [
      /InvalidRequestException|configuredand|Lambda function ARN/,
      /To turn rotation back on/,
    ],
    labels: 'unchanged',
    rotation: false,
    writes: NOTHING,
  },
  {
    id: 'C23-cancelled',
    intent: 'second run of the runbook: nothing to do',
    args: ['--yes'],
    exit: 0,
    says: [/S1/, /nothing to do/],
    labels: 'unchanged',
    rotation: false,
    writes: NOTHING,
  },
  {
    id: 'C23-script-pending',
    intent: 'script-written AWSPENDING with a value: like C01',
    args: ['--yes'],
    exit: 3,
    says: [/S6/, ...DECISION, ...BOTH_FLAGS],
    labels: 'unchanged',
    rotation: false,
    writes: NOTHING,
    value: 'present',
  },
  // S9: rotation already off, pending left behind.
  {
    id: 'S9',
    intent: 'bare --yes needs a decision',
    args: ['--yes'],
    exit: 3,
    says: [/S6/, /Rotation is already off|already off/, ...BOTH_FLAGS],
    labels: 'unchanged',
    rotation: false,
    writes: NOTHING,
  },
  {
    id: 'S9',
    intent: '--yes --rollback does not call CancelRotateSecret again',
    args: ['--yes', '--rollback'],
    exit: 0,
    says: [/Rolled back/],
    labels: ROLLED_BACK,
    rotation: false,
    writes: [STAGE],
  },
  // S11: custom labels are never moved.
  {
    id: 'S11',
    intent: '--yes --rollback keeps every custom label',
    args: ['--yes', '--rollback'],
    exit: 0,
    says: [/Custom staging labels/, /Rolled back/],
    labels: {
      A: [CUR, CUSTOM_LABELS.A],
      B: [PREV, CUSTOM_LABELS.B],
      P: [CUSTOM_LABELS.P],
    },
    rotation: false,
    writes: ROLLBACK,
  },
  {
    id: 'S11',
    intent: '--yes --promote keeps every custom label',
    args: ['--yes', '--promote'],
    exit: 0,
    says: [/Promoted/],
    labels: {
      P: [CUR, CUSTOM_LABELS.P],
      A: [PREV, CUSTOM_LABELS.A],
      B: [CUSTOM_LABELS.B],
    },
    rotation: false,
    writes: PROMOTE,
  },
  // S1 with rotation on: only the schedule is turned off.
  {
    id: 'healthy',
    intent: 'bare --yes cancels the schedule, labels untouched',
    args: ['--yes'],
    exit: 0,
    says: [/S1/, /Rotation is now off/],
    labels: 'unchanged',
    rotation: false,
    writes: CANCEL_ONLY,
  },
];

// ---------------------------------------------------------------------------------------
// Fault and set-up helpers used by the table

/** A refusal names the secret by its full ARN, on stderr with the error. */
function namesArn({ result, seeded }: Ctx): void {
  assert.ok(result.stderr.includes(seeded.arn), `the error does not name ${seeded.arn}`);
}

function kmsDenied(): Fault[] {
  return [
    {
      target: 'GetSecretValue',
      mode: 'deny',
      message: 'Access to KMS is not allowed',
      times: Infinity,
    },
  ];
}

/** Matches requests sent once rotctl's CancelRotateSecret went out (the re-read). */
function afterCancel(): boolean {
  return useProxy.current().count(CANCEL) > 0;
}

/** Matches requests sent once rotctl wrote a label (the check after writing). */
function afterStageWrite(): boolean {
  return useProxy.current().count(STAGE) > 0;
}

/** Another writer's UpdateSecretVersionStage, straight to moto (not through the proxy). */
async function stage(
  endpoint: string,
  arn: string,
  label: string,
  moveTo?: string,
  removeFrom?: string,
): Promise<void> {
  const sm = client(endpoint, PRIMARY_REGION);
  try {
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: arn,
        VersionStage: label,
        ...(moveTo ? { MoveToVersionId: moveTo } : {}),
        ...(removeFrom ? { RemoveFromVersionId: removeFrom } : {}),
      }),
    );
  } finally {
    sm.destroy();
  }
}

/** C16 variant: a pending version Q with a value on the managed secret. */
async function addPendingQ(s: Seeded, endpoint: string): Promise<string[]> {
  const value = `SENTINEL-C16-Q-${Date.now().toString(16)}`;
  const sm = client(endpoint, PRIMARY_REGION);
  try {
    await sm.send(
      new PutSecretValueCommand({
        SecretId: s.arn,
        ClientRequestToken: Q,
        SecretString: value,
        VersionStages: [PEND],
      }),
    );
  } finally {
    sm.destroy();
  }
  return [value];
}

function stageShape(body: Record<string, unknown>): string {
  const move = typeof body['MoveToVersionId'] === 'string' ? body['MoveToVersionId'] : '-';
  const remove =
    typeof body['RemoveFromVersionId'] === 'string' ? body['RemoveFromVersionId'] : '-';
  return `${String(body['VersionStage'])} move=${move} remove=${remove}`;
}

/** Only the fixed versions A, B, P, Q of a label map (C13 has 127 more). */
function pick(labels: Labels): Labels {
  const ids: string[] = [A, B, P, Q];
  return Object.fromEntries(Object.entries(labels).filter(([id]) => ids.includes(id)));
}

// ---------------------------------------------------------------------------------------
// The checks every row gets

function expectedLabels(row: Row, s: Seeded, beforeRun: Labels): Labels {
  if (row.labels === 'unchanged') return beforeRun;
  const want: Labels = { ...beforeRun };
  for (const [letter, labels] of Object.entries(row.labels)) {
    const id = s.versions[letter as Letter] ?? VERSION_IDS[letter as Letter];
    want[id] = [...labels].sort();
  }
  return want;
}

function assertSays(row: Row, r: CliResult): void {
  const all = `${r.stdout}\n${r.stderr}`;
  for (const re of row.says) assert.match(all, re, `output lacks ${re}\n${describeRun(r)}`);
  for (const re of row.saysNot ?? []) {
    assert.doesNotMatch(all, re, `output has ${re}\n${describeRun(r)}`);
  }
  assert.doesNotMatch(r.stderr, /^\s+at .+:\d+:\d+\)?$/m, `stack trace\n${describeRun(r)}`);
}

/** A finished repair prints before -> after, undo commands and how to re-enable rotation. */
function assertFinish(writes: string[], r: CliResult): void {
  if (r.code !== 0) return;
  if (writes.includes(STAGE)) {
    assert.match(r.stdout, /before -> after/, describeRun(r));
    assert.match(
      r.stdout,
      /To undo[\s\S]*aws secretsmanager update-secret-version-stage/,
      describeRun(r),
    );
  }
  if (writes.includes(CANCEL) || writes.includes(STAGE)) {
    assert.match(r.stdout, /aws secretsmanager rotate-secret/, describeRun(r));
    assert.match(r.stdout, /starts a rotation/, describeRun(r));
  }
}

/** The first call resolves what was typed; every later call uses the full ARN. */
function assertFullArn(log: LogEntry[], s: Seeded, typed: string): void {
  assert.ok(log.length > 0, 'rotctl made no request');
  assert.equal(log[0]?.target, 'DescribeSecret');
  assert.equal(log[0]?.body['SecretId'], typed);
  for (const e of log.slice(1)) {
    assert.equal(e.body['SecretId'], s.arn, `${e.target} did not use the full ARN`);
  }
}

/** The version rotctl should probe: AWSPENDING on a version that is not AWSCURRENT. */
function pendingOf(labels: Labels): string | undefined {
  return Object.keys(labels).find((id) => {
    const l = labels[id] ?? [];
    return l.includes(PEND) && !l.includes(CUR);
  });
}

/**
 * Only the AWSPENDING version is probed: once, or twice when a roll back of an empty
 * placeholder looks again just before writing. The table shows "-" for the others.
 */
function assertProbe(row: Row, pending: string | undefined, log: LogEntry[], r: CliResult) {
  const probes = log.filter((e) => e.target === 'GetSecretValue');
  const pendingEmpty =
    pending !== undefined && new RegExp(`^${pending} .*\\babsent\\b`, 'm').test(r.stdout);
  const recheck = pendingEmpty && log.some((e) => e.target === 'UpdateSecretVersionStage');
  assert.ok(probes.length <= (recheck ? 2 : 1), `probed ${probes.length} times`);
  for (const e of probes) assert.equal(e.body['VersionId'], pending, 'probed the wrong version');
  if (!row.value || !pending) return;
  const rows = r.stdout.split('\n').filter((l) => /^[0-9a-f]{8}-[0-9a-f-]{27} /.test(l));
  const line = rows.find((l) => l.startsWith(pending));
  assert.ok(line, `no table row for ${pending}\n${describeRun(r)}`);
  assert.match(line, new RegExp(`\\b${row.value}\\b`), `pending VALUE cell\n${describeRun(r)}`);
  for (const other of rows.filter((l) => !l.startsWith(pending))) {
    assert.match(other, /\s-$/, `a non-pending version shows a value status: ${other}`);
  }
}

async function runRow(row: Row): Promise<void> {
  const { endpoint } = moto();
  const px = await useProxy();
  const seeded = await CASES[row.id]?.seed(endpoint);
  assert.ok(seeded, `no seed for ${row.id}`);
  const sentinels = [...seeded.sentinels, ...((await row.prepare?.(seeded, endpoint)) ?? [])];
  const beforeRun = await labelsOf(endpoint, seeded.arn, seeded.region);
  px.add(...(row.faults?.(seeded, endpoint) ?? []));

  const typed = row.byArn ? seeded.arn : seeded.name;
  const args = ['cancel', typed, ...row.args];
  const result = await runCli(args, { endpoint: px.endpoint, env: row.env ?? {} });
  const log = [...px.log];

  const codes: readonly number[] = typeof row.exit === 'number' ? [row.exit] : row.exit;
  assert.ok(
    result.code !== null && codes.includes(result.code),
    `expected exit ${codes.join(' or ')}\n${describeRun(result)}`,
  );
  assertSays(row, result);
  const labels = await labelsOf(endpoint, seeded.arn, seeded.region);
  assert.deepEqual(
    labels,
    expectedLabels(row, seeded, beforeRun),
    `end labels\n${describeRun(result)}`,
  );
  assert.equal(
    await rotationEnabled(endpoint, seeded.arn, seeded.region),
    row.rotation,
    'RotationEnabled after the run',
  );
  if (row.writes) {
    assert.deepEqual(writesOf(log), row.writes, `writes sent: ${opsOf(log).join(' ')}`);
    assertFinish(row.writes, result);
  }
  assertFullArn(log, seeded, typed);
  assertProbe(row, pendingOf(beforeRun), log, result);
  assertNoSentinels(result, sentinels);
  await row.check?.({ endpoint, seeded, result, log });
}

describe('rotctl cancel, one field case at a time', () => {
  test('every seedable case has at least one row', () => {
    const covered = new Set(ROWS.map((r) => r.id));
    assert.deepEqual(
      Object.keys(CASES).filter((id) => !covered.has(id)),
      [],
    );
  });
  for (const row of ROWS) {
    test(`${row.id}: ${row.intent} (${row.args.join(' ')})`, () => runRow(row));
  }
});

// ---------------------------------------------------------------------------------------
// -v never prints a value: every seedable case, in text and in JSON

describe('-v leak sweep over every seedable case', () => {
  for (const id of Object.keys(CASES)) {
    test(`${id}: -v --yes and -v --dry-run --rollback --output json leak nothing`, async () => {
      const { endpoint } = moto();
      const px = await useProxy();
      const seeded = await CASES[id]?.seed(endpoint);
      assert.ok(seeded);
      const env = { AWS_REGION: seeded.region };
      for (const flags of [
        ['--yes', '-v'],
        ['--dry-run', '--rollback', '-v', '-o', 'json'],
      ]) {
        px.clear();
        const r = await runCli(['cancel', seeded.name, ...flags], { endpoint: px.endpoint, env });
        assertNoSentinels(r, seeded.sentinels);
        // One -v line per AWS call: the same operations, in the order the endpoint saw them.
        assert.deepEqual(verboseOps(r.stderr), opsOf(px.log), describeRun(r));
        if (flags.includes('json')) assert.equal(parseJsonDoc(r)['schemaVersion'], 1);
      }
    });
  }
});
