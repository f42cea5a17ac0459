// Seed fixtures: one function per field case (field-cases.md) that moto 5.2.1 can put
// into the state the case describes. Each seed drives moto only through its public API
// (Secrets Manager SDK calls plus plain fetch for IAM/Lambda, test-infra.md §2.5).
//
// Invariants every seed keeps:
// * Version ids are the fixed ids of field-cases.md §0, sent as ClientRequestToken.
// * Every stored value is a unique sentinel (SENTINEL-<case>-<tag>-<hex>), returned in
//   `sentinels`, so tests can grep any output for leaked secret material.
// * moto's internal "default version" (used by GetSecretValue without a stage, by
//   PutSecretValue when it moves AWSCURRENT and by CancelRotateSecret's VersionId) is
//   left on the AWSCURRENT holder, except where a case says otherwise (C04 has none).
//   That is why value-less pending versions come from a RotateSecret whose Lambda is
//   absent (test-infra §2.2), never from the "RotateImmediately:true with a Lambda"
//   route, which moves the default to P (test-infra §2.4 traps).
// * The rotation function app-db-rotation exists afterwards whenever a case records its
//   ARN. Some seeds delete and re-create it (same ARN), so run seeds against one moto one
//   at a time, never concurrently.
import { randomBytes } from 'node:crypto';
import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerClient, Tag } from '@aws-sdk/client-secrets-manager';
import { client } from './moto.js';

export type Letter = 'A' | 'B' | 'P' | 'Q';

/** field-cases.md §0: A = current before rotation, B = older, P = pending, Q = extra. */
export const VERSION_IDS: Readonly<Record<Letter, string>> = {
  A: 'aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa',
  B: 'bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb',
  P: 'cccccccc-3333-4333-8333-cccccccccccc',
  Q: 'dddddddd-4444-4444-8444-dddddddddddd',
};

export const ACCOUNT = '123456789012';
export const PRIMARY_REGION = 'us-east-1';
export const REPLICA_REGION = 'us-west-2';
export const DEFAULT_NAME = 'app/db-credentials';
export const MANAGED_NAME = 'rds!db-00000000-0000-4000-8000-000000000000';
export const LAMBDA_NAME = 'app-db-rotation';
export const LAMBDA_ARN = `arn:aws:lambda:${PRIMARY_REGION}:${ACCOUNT}:function:${LAMBDA_NAME}`;
/** C22: a rotation function that was never created in moto. */
export const MISSING_LAMBDA_ARN = `${LAMBDA_ARN}-deleted`;
export const KMS_KEY_ARN = `arn:aws:kms:${PRIMARY_REGION}:${ACCOUNT}:key/11111111-2222-4333-8444-555555555555`;
/** S11: labels apps might pin; rotctl must never move or remove them. */
export const CUSTOM_LABELS = { A: 'pinned-prod', B: 'last-known-good', P: 'canary' } as const;
/** C13: unlabelled versions seeded before B, A and P (130 versions in total). */
export const C13_DEPRECATED_COUNT = 127;
export const ROTATION_DAYS = 30;
export const MANAGED_ROTATION_DAYS = 7;

export interface SeedOptions {
  /** Secret name; default `app/db-credentials` (C16: the `rds!db-…` name). */
  name?: string;
}

export interface Seeded {
  name: string;
  /** Full ARN in `region` (for C15 the replica's ARN). */
  arn: string;
  /** Region the tool should be pointed at (C15: the replica region). */
  region: string;
  /** Version id per letter, `undefined` when the case has no such version. */
  versions: Record<Letter, string | undefined>;
  /** Every secret value stored (and, for binary values, their base64 form). */
  sentinels: string[];
  /** Unlabelled versions beyond A/B/P/Q, oldest first (C13 only). */
  deprecated?: string[];
}

export type SeedFn = (endpoint: string, opts?: SeedOptions) => Promise<Seeded>;

// ---------------------------------------------------------------------------------------
// Seeding context and sentinel values

interface Ctx {
  readonly endpoint: string;
  readonly sm: SecretsManagerClient;
  readonly caseId: string;
  readonly name: string;
  readonly sentinels: string[];
  readonly used: Set<Letter>;
}

type ValueKind = 'json' | 'plain' | 'binary';

function newSentinel(ctx: Ctx, tag: string): string {
  const s = `SENTINEL-${ctx.caseId}-${tag}-${randomBytes(6).toString('hex')}`;
  ctx.sentinels.push(s);
  return s;
}

/** SDK input for a fresh unique value; JSON mimics a database credential. */
function valueInput(
  ctx: Ctx,
  tag: string,
  kind: ValueKind,
): { SecretString: string } | { SecretBinary: Uint8Array } {
  const s = newSentinel(ctx, tag);
  if (kind === 'plain') return { SecretString: s };
  if (kind === 'json') return { SecretString: JSON.stringify({ username: 'app', password: s }) };
  // A tool that printed the bytes base64-encoded would leak this form instead.
  ctx.sentinels.push(Buffer.from(s).toString('base64'));
  return { SecretBinary: Buffer.from(s) };
}

// ---------------------------------------------------------------------------------------
// Secrets Manager building blocks

async function createSecret(
  ctx: Ctx,
  first?: Letter,
  extra: { Tags?: Tag[]; KmsKeyId?: string; replica?: boolean } = {},
): Promise<void> {
  const value = first ? valueInput(ctx, first, 'json') : {};
  if (first) ctx.used.add(first);
  await ctx.sm.send(
    new CreateSecretCommand({
      Name: ctx.name,
      ...value,
      ...(first ? { ClientRequestToken: VERSION_IDS[first] } : {}),
      ...(extra.Tags ? { Tags: extra.Tags } : {}),
      ...(extra.KmsKeyId ? { KmsKeyId: extra.KmsKeyId } : {}),
      ...(extra.replica ? { AddReplicaRegions: [{ Region: REPLICA_REGION }] } : {}),
    }),
  );
}

/** PutSecretValue with a fixed token; no stages means moto's default (AWSCURRENT). */
async function putValue(
  ctx: Ctx,
  letter: Letter,
  stages?: string[],
  kind: ValueKind = 'json',
): Promise<void> {
  ctx.used.add(letter);
  await putToken(ctx, VERSION_IDS[letter], letter, stages, kind);
}

async function putToken(
  ctx: Ctx,
  token: string,
  tag: string,
  stages?: string[],
  kind: ValueKind = 'json',
): Promise<void> {
  await ctx.sm.send(
    new PutSecretValueCommand({
      SecretId: ctx.name,
      ClientRequestToken: token,
      ...valueInput(ctx, tag, kind),
      ...(stages ? { VersionStages: stages } : {}),
    }),
  );
}

/** B holds AWSPREVIOUS, A holds AWSCURRENT (and is moto's default version). */
async function createAB(ctx: Ctx): Promise<void> {
  await createSecret(ctx, 'B');
  await putValue(ctx, 'A');
}

/** Label edits go through UpdateSecretVersionStage, like an operator's CLI call would. */
async function moveLabel(ctx: Ctx, label: string, to?: Letter, from?: Letter): Promise<void> {
  await ctx.sm.send(
    new UpdateSecretVersionStageCommand({
      SecretId: ctx.name,
      VersionStage: label,
      ...(to ? { MoveToVersionId: VERSION_IDS[to] } : {}),
      ...(from ? { RemoveFromVersionId: VERSION_IDS[from] } : {}),
    }),
  );
}

async function cancelRotation(ctx: Ctx): Promise<void> {
  await ctx.sm.send(new CancelRotateSecretCommand({ SecretId: ctx.name }));
}

// ---------------------------------------------------------------------------------------
// Rotation set-up routes (test-infra §2.2–2.4)

function rotateCommand(
  ctx: Ctx,
  lambdaArn: string,
  pending: Letter | undefined,
  immediately: boolean,
): RotateSecretCommand {
  return new RotateSecretCommand({
    SecretId: ctx.name,
    RotationLambdaARN: lambdaArn,
    RotationRules: { AutomaticallyAfterDays: ROTATION_DAYS },
    RotateImmediately: immediately,
    ...(pending ? { ClientRequestToken: VERSION_IDS[pending] } : {}),
  });
}

/**
 * Stuck rotation whose pending version has a value (§2.4): RotateImmediately:false adds
 * P as a copy of the create-time value (default stays on A), then PutSecretValue with
 * P's token overwrites that copy with P's own sentinel (moto special-cases AWSPENDING).
 */
async function stuckPendingWithValue(ctx: Ctx, kind: ValueKind = 'json'): Promise<void> {
  await ensureLambda(ctx.endpoint);
  ctx.used.add('P');
  await ctx.sm.send(rotateCommand(ctx, LAMBDA_ARN, 'P', false));
  await putValue(ctx, 'P', ['AWSPENDING'], kind);
}

/**
 * RotateSecret against a Lambda ARN whose function does not exist. moto records the ARN,
 * enables rotation and (if the secret has versions) adds a value-less AWSPENDING version
 * *before* it looks the function up, then fails with ResourceNotFoundException. The
 * default version stays on AWSCURRENT. This depends on moto's ordering (§2.2).
 */
async function failedRotate(ctx: Ctx, lambdaArn: string, pending?: Letter): Promise<void> {
  if (pending) ctx.used.add(pending);
  try {
    await ctx.sm.send(rotateCommand(ctx, lambdaArn, pending, true));
  } catch (err) {
    if (err instanceof Error && err.name === 'ResourceNotFoundException') return;
    throw err;
  }
  throw new Error(`seed ${ctx.caseId}: RotateSecret with missing Lambda unexpectedly worked`);
}

/**
 * Record LAMBDA_ARN as the rotation function via the failing route above, then make the
 * function exist so the recorded ARN resolves. The function is removed first in case an
 * earlier seed in the same moto created it (same name, so same ARN afterwards).
 */
async function rotateWithAbsentLambda(ctx: Ctx, pending?: Letter): Promise<void> {
  await deleteLambda(ctx.endpoint);
  await failedRotate(ctx, LAMBDA_ARN, pending);
  await ensureLambda(ctx.endpoint);
}

// ---------------------------------------------------------------------------------------
// IAM role and Lambda function through plain fetch (test-infra §2.5)

const ROLE_NAME = `${LAMBDA_NAME}-role`;
// An empty zip archive: moto does not check that it holds code.
const EMPTY_ZIP = 'UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==';

/** moto routes by the service in the SigV4 scope and does not verify signatures. */
function authHeader(service: string): string {
  return (
    `AWS4-HMAC-SHA256 Credential=test/20260101/${PRIMARY_REGION}/${service}/aws4_request, ` +
    'SignedHeaders=host, Signature=0'
  );
}

async function iamCall(endpoint: string, params: Record<string, string>): Promise<string> {
  const res = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: authHeader('iam'),
    },
    body: new URLSearchParams({ Version: '2010-05-08', ...params }),
  });
  const text = await res.text();
  if (!res.ok && !text.includes('EntityAlreadyExists')) {
    throw new Error(`IAM ${params['Action']} -> HTTP ${res.status}: ${text}`);
  }
  return text;
}

async function ensureRole(endpoint: string): Promise<string> {
  await iamCall(endpoint, {
    Action: 'CreateRole',
    RoleName: ROLE_NAME,
    AssumeRolePolicyDocument: '{}',
  });
  const text = await iamCall(endpoint, { Action: 'GetRole', RoleName: ROLE_NAME });
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(text)?.[1];
  if (!arn) throw new Error(`IAM GetRole returned no ARN: ${text}`);
  return arn;
}

function lambdaUrl(endpoint: string, name = ''): string {
  return `${endpoint}/2015-03-31/functions${name ? `/${name}` : ''}`;
}

/** Does moto hold a Lambda function of this name (default: the rotation function)? */
export async function lambdaExists(endpoint: string, name = LAMBDA_NAME): Promise<boolean> {
  const res = await fetch(lambdaUrl(endpoint, name), {
    headers: { authorization: authHeader('lambda') },
  });
  await res.arrayBuffer();
  return res.ok;
}

/** Create the rotation function unless it exists. Needs use_docker:false (startMoto). */
export async function ensureLambda(endpoint: string): Promise<string> {
  if (await lambdaExists(endpoint)) return LAMBDA_ARN;
  const role = await ensureRole(endpoint);
  const res = await fetch(lambdaUrl(endpoint), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: authHeader('lambda') },
    body: JSON.stringify({
      FunctionName: LAMBDA_NAME,
      Runtime: 'python3.12',
      Role: role,
      Handler: 'lambda_function.lambda_handler',
      Code: { ZipFile: EMPTY_ZIP },
    }),
  });
  const body = await res.text();
  if (!res.ok) throw new Error(`Lambda CreateFunction -> HTTP ${res.status}: ${body}`);
  const arn: unknown = (JSON.parse(body) as { FunctionArn?: unknown }).FunctionArn;
  if (arn !== LAMBDA_ARN) throw new Error(`unexpected function ARN ${String(arn)}`);
  return LAMBDA_ARN;
}

async function deleteLambda(endpoint: string): Promise<void> {
  if (!(await lambdaExists(endpoint))) return;
  const res = await fetch(lambdaUrl(endpoint, LAMBDA_NAME), {
    method: 'DELETE',
    headers: { authorization: authHeader('lambda') },
  });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`Lambda DeleteFunction -> HTTP ${res.status}`);
}

// ---------------------------------------------------------------------------------------
// Running a seed

async function describeArn(sm: SecretsManagerClient, name: string): Promise<string> {
  const d = await sm.send(new DescribeSecretCommand({ SecretId: name }));
  if (!d.ARN) throw new Error(`DescribeSecret ${name} returned no ARN`);
  return d.ARN;
}

function versionsOf(used: Set<Letter>): Record<Letter, string | undefined> {
  const pick = (l: Letter): string | undefined => (used.has(l) ? VERSION_IDS[l] : undefined);
  return { A: pick('A'), B: pick('B'), P: pick('P'), Q: pick('Q') };
}

interface SeedSpec {
  caseId: string;
  defaultName?: string;
  /** Region the result points at; the secret itself is always created in us-east-1. */
  region?: string;
  build: (ctx: Ctx) => Promise<string[] | void>;
}

function defineSeed(spec: SeedSpec): SeedFn {
  return async (endpoint, opts = {}) => {
    const name = opts.name ?? spec.defaultName ?? DEFAULT_NAME;
    const sm = client(endpoint, PRIMARY_REGION);
    const ctx: Ctx = { endpoint, sm, caseId: spec.caseId, name, sentinels: [], used: new Set() };
    const region = spec.region ?? PRIMARY_REGION;
    const reader = region === PRIMARY_REGION ? sm : client(endpoint, region);
    try {
      const deprecated = await spec.build(ctx);
      const arn = await describeArn(reader, name);
      const seeded: Seeded = {
        name,
        arn,
        region,
        versions: versionsOf(ctx.used),
        sentinels: ctx.sentinels,
      };
      if (deprecated) seeded.deprecated = deprecated;
      return seeded;
    } finally {
      sm.destroy();
      if (reader !== sm) reader.destroy();
    }
  };
}

// ---------------------------------------------------------------------------------------
// The cases

/** C01/C05: A=[AWSCURRENT], B=[AWSPREVIOUS], P=[AWSPENDING] with a value; Lambda set. */
async function buildStuckWithValue(ctx: Ctx): Promise<void> {
  await createAB(ctx);
  await stuckPendingWithValue(ctx);
}

/** C02/C10: as C01, but P is a value-less placeholder. */
async function buildPlaceholderAB(ctx: Ctx): Promise<void> {
  await createAB(ctx);
  await rotateWithAbsentLambda(ctx, 'P');
}

/** C03/C06: P=[AWSCURRENT, AWSPENDING] (finished rotation), A=[AWSPREVIOUS]. */
async function buildFinished(ctx: Ctx): Promise<void> {
  await createSecret(ctx, 'A');
  await ensureLambda(ctx.endpoint);
  ctx.used.add('P');
  await ctx.sm.send(rotateCommand(ctx, LAMBDA_ARN, 'P', false));
  // Writing P with AWSCURRENT makes it moto's default and demotes A to AWSPREVIOUS,
  // which is exactly what finishSecret leaves when AWSPENDING lingers.
  await putValue(ctx, 'P', ['AWSCURRENT', 'AWSPENDING']);
}

/**
 * C04: only P exists, labelled AWSPENDING, with a value; no AWSCURRENT anywhere.
 * Relies on moto accepting what AWS refuses: the secret is created empty, rotation is
 * enabled while it has no versions, P becomes the first version (moto adds AWSCURRENT to
 * a first version), and then AWSCURRENT is removed outright. moto moves AWSPREVIOUS onto
 * the version AWSCURRENT left, so that label is removed too.
 */
async function buildNoCurrent(ctx: Ctx): Promise<void> {
  await createSecret(ctx);
  await rotateWithAbsentLambda(ctx);
  await putValue(ctx, 'P', ['AWSPENDING'], 'plain');
  await moveLabel(ctx, 'AWSCURRENT', undefined, 'P');
  await moveLabel(ctx, 'AWSPREVIOUS', undefined, 'P');
}

/** C07 / S7: A=[AWSCURRENT], P=[AWSPENDING, AWSPREVIOUS] (a rolled-back rotation). */
async function buildPendingOnPrevious(ctx: Ctx): Promise<void> {
  await createSecret(ctx, 'A');
  await stuckPendingWithValue(ctx);
  // Nothing holds AWSPREVIOUS yet, so attaching it needs no RemoveFromVersionId.
  await moveLabel(ctx, 'AWSPREVIOUS', 'P');
}

/** S11: C01 plus one custom label on each of A, B and P. */
async function buildCustomLabels(ctx: Ctx): Promise<void> {
  await buildStuckWithValue(ctx);
  // Added last: a PutSecretValue that moves AWSCURRENT would wipe them in moto (C12).
  for (const letter of ['A', 'B', 'P'] as const) {
    await moveLabel(ctx, CUSTOM_LABELS[letter], letter);
  }
}

export function deprecatedVersionId(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

/** C13: 127 unlabelled versions, then B, A and a value-less P: 130 versions. */
async function buildManyVersions(ctx: Ctx): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 1; n <= C13_DEPRECATED_COUNT; n += 1) {
    const id = deprecatedVersionId(n);
    ids.push(id);
    if (n === 1) {
      await ctx.sm.send(
        new CreateSecretCommand({
          Name: ctx.name,
          ClientRequestToken: id,
          ...valueInput(ctx, `D${n}`, 'plain'),
        }),
      );
    } else {
      // Each plain write becomes AWSCURRENT and pushes the older one off AWSPREVIOUS.
      await putToken(ctx, id, `D${n}`, undefined, 'plain');
    }
  }
  await putValue(ctx, 'B');
  await putValue(ctx, 'A');
  await rotateWithAbsentLambda(ctx, 'P');
  return ids;
}

/** C15: created in us-east-1 with a us-west-2 replica; the result points at the replica. */
async function buildReplica(ctx: Ctx): Promise<void> {
  await createSecret(ctx, 'A', { replica: true });
  await rotateWithAbsentLambda(ctx, 'P');
}

/**
 * C16: service-managed secret (OwningService via moto's owningService tag), rotation
 * enabled every 7 days with no Lambda. RotateSecret without an ARN on a secret that has
 * versions makes moto "rotate" by itself, so rotation is enabled while the secret is
 * still empty and the values are written afterwards.
 */
async function buildManaged(ctx: Ctx): Promise<void> {
  await createSecret(ctx, undefined, {
    Tags: [{ Key: 'aws:secretsmanager:owningService', Value: 'rds' }],
  });
  await ctx.sm.send(
    new RotateSecretCommand({
      SecretId: ctx.name,
      RotationRules: { AutomaticallyAfterDays: MANAGED_ROTATION_DAYS },
    }),
  );
  await putValue(ctx, 'B');
  await putValue(ctx, 'A');
}

/** C17: A=[AWSCURRENT], P placeholder, then DeleteSecret with a 7-day recovery window. */
async function buildScheduledDeletion(ctx: Ctx): Promise<void> {
  await createSecret(ctx, 'A');
  await rotateWithAbsentLambda(ctx, 'P');
  await ctx.sm.send(new DeleteSecretCommand({ SecretId: ctx.name, RecoveryWindowInDays: 7 }));
}

/** C22: RotateSecret with a Lambda ARN that never existed; its failure leaves the state. */
async function buildMissingLambda(ctx: Ctx): Promise<void> {
  await createSecret(ctx, 'A');
  await failedRotate(ctx, MISSING_LAMBDA_ARN, 'P');
}

/** C23 "already cancelled": C01 after CancelRotateSecret and remove-pending (P deprecated). */
async function buildAlreadyCancelled(ctx: Ctx): Promise<void> {
  await buildStuckWithValue(ctx);
  await cancelRotation(ctx);
  await moveLabel(ctx, 'AWSPENDING', undefined, 'P');
}

/** C23 variant: AWSPENDING written by a script on a secret that never had rotation. */
async function buildScriptPending(ctx: Ctx): Promise<void> {
  await createAB(ctx);
  await putValue(ctx, 'P', ['AWSPENDING']);
}

/** S9: C01 after CancelRotateSecret: rotation off, ARN kept, P still pending. */
async function buildDisabledOldPending(ctx: Ctx): Promise<void> {
  await buildStuckWithValue(ctx);
  await cancelRotation(ctx);
}

/** C11: rotation configured then cancelled; A and B only, no pending version at all. */
async function buildCancelledNoPending(ctx: Ctx): Promise<void> {
  await buildHealthy(ctx);
  await cancelRotation(ctx);
}

/** Healthy: rotation enabled with a Lambda, A=[AWSCURRENT], B=[AWSPREVIOUS], no pending. */
async function buildHealthy(ctx: Ctx): Promise<void> {
  // Enabling rotation on the still-empty secret adds no version, so none is pending.
  await createSecret(ctx);
  await rotateWithAbsentLambda(ctx);
  await putValue(ctx, 'B');
  await putValue(ctx, 'A');
}

/** C08/C18 base: A=[AWSCURRENT], P=[AWSPENDING] with a value (no B). */
async function buildStuckNoPrevious(ctx: Ctx, kms = false): Promise<void> {
  await createSecret(ctx, 'A', kms ? { KmsKeyId: KMS_KEY_ARN } : {});
  await stuckPendingWithValue(ctx);
}

/** C19/C21 base: A=[AWSCURRENT], P placeholder (no B). */
async function buildPlaceholderNoPrevious(ctx: Ctx): Promise<void> {
  await createSecret(ctx, 'A');
  await rotateWithAbsentLambda(ctx, 'P');
}

export const seedC01 = defineSeed({ caseId: 'C01', build: buildStuckWithValue });
export const seedC01Binary = defineSeed({
  caseId: 'C01-binary',
  build: async (ctx) => {
    await createAB(ctx);
    await stuckPendingWithValue(ctx, 'binary');
  },
});
export const seedC02 = defineSeed({ caseId: 'C02', build: buildPlaceholderAB });
export const seedC03 = defineSeed({ caseId: 'C03', build: buildFinished });
export const seedC04 = defineSeed({ caseId: 'C04', build: buildNoCurrent });
export const seedC05 = defineSeed({ caseId: 'C05', build: buildStuckWithValue });
export const seedC06 = defineSeed({ caseId: 'C06', build: buildFinished });
export const seedC07 = defineSeed({ caseId: 'C07', build: buildPendingOnPrevious });
export const seedC08 = defineSeed({ caseId: 'C08', build: (c) => buildStuckNoPrevious(c) });
export const seedC10 = defineSeed({ caseId: 'C10', build: buildPlaceholderAB });
export const seedC11 = defineSeed({ caseId: 'C11', build: buildCancelledNoPending });
export const seedC13 = defineSeed({ caseId: 'C13', build: buildManyVersions });
export const seedC15 = defineSeed({
  caseId: 'C15',
  region: REPLICA_REGION,
  build: buildReplica,
});
export const seedC16 = defineSeed({
  caseId: 'C16',
  defaultName: MANAGED_NAME,
  build: buildManaged,
});
export const seedC17 = defineSeed({ caseId: 'C17', build: buildScheduledDeletion });
export const seedC18 = defineSeed({ caseId: 'C18', build: (c) => buildStuckNoPrevious(c, true) });
export const seedC19 = defineSeed({ caseId: 'C19', build: buildPlaceholderNoPrevious });
export const seedC22 = defineSeed({ caseId: 'C22', build: buildMissingLambda });
export const seedC23 = defineSeed({ caseId: 'C23', build: createAB });
export const seedC23Cancelled = defineSeed({
  caseId: 'C23-cancelled',
  build: buildAlreadyCancelled,
});
export const seedC23ScriptPending = defineSeed({
  caseId: 'C23-script-pending',
  build: buildScriptPending,
});
export const seedS9 = defineSeed({ caseId: 'S9', build: buildDisabledOldPending });
export const seedS11 = defineSeed({ caseId: 'S11', build: buildCustomLabels });
export const seedHealthy = defineSeed({ caseId: 'healthy', build: buildHealthy });

export interface CaseEntry {
  seed: SeedFn;
  description: string;
}

const entry = (seed: SeedFn, description: string): CaseEntry => ({ seed, description });

/**
 * Every seedable case; loop over it in tests. Keys are the case ids used in sentinels.
 * "Base state" entries need a fault or race injected by the test itself (C08, C10, C18,
 * C19); the seed only provides the state the case starts from.
 */
export const CASES: Readonly<Record<string, CaseEntry>> = {
  C01: entry(seedC01, 'A current, B previous, stale AWSPENDING on P with a value'),
  'C01-binary': entry(seedC01Binary, 'as C01, but P holds a SecretBinary value'),
  C02: entry(seedC02, 'A current, B previous, AWSPENDING placeholder P (no value)'),
  C03: entry(seedC03, 'AWSCURRENT+AWSPENDING on P, A previous (finished rotation)'),
  C04: entry(seedC04, 'no AWSCURRENT anywhere; only P, AWSPENDING, with a value'),
  C05: entry(seedC05, 'same state as C01 (runbook with swapped version ids)'),
  C06: entry(seedC06, 'same state as C03 (request to discard the current P)'),
  C07: entry(seedC07, 'AWSPENDING on the AWSPREVIOUS version P; A current (S7)'),
  C08: entry(seedC08, 'base state: A current, P pending with a value (race injected)'),
  C10: entry(seedC10, 'base state: same as C02 (side effect injected by the test)'),
  C11: entry(seedC11, 'rotation cancelled; A current, B previous; P does not exist'),
  C13: entry(seedC13, '130 versions: 127 deprecated, B, A, placeholder P'),
  C15: entry(seedC15, 'replica in us-west-2 of a stuck us-east-1 secret'),
  C16: entry(seedC16, 'managed rds!db secret: OwningService rds, no Lambda, 7 days'),
  C17: entry(seedC17, 'placeholder P; secret scheduled for deletion (7-day window)'),
  C18: entry(seedC18, 'base state: C08 with a customer KMS key id (denial injected)'),
  C19: entry(seedC19, 'base state: A current, placeholder P (throttling injected)'),
  C22: entry(seedC22, 'Lambda missing: failed RotateSecret left placeholder P'),
  C23: entry(seedC23, 'rotation never configured; A current, B previous'),
  'C23-cancelled': entry(seedC23Cancelled, 'already cancelled and cleaned: P deprecated'),
  'C23-script-pending': entry(
    seedC23ScriptPending,
    'never rotated; AWSPENDING with a value written by a script',
  ),
  S9: entry(seedS9, 'rotation disabled (cancelled), pending P with a value left'),
  S11: entry(seedS11, 'C01 plus custom labels on A, B and P'),
  healthy: entry(seedHealthy, 'rotation enabled, A current, B previous, no pending'),
};
