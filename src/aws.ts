/**
 * The only door to AWS. Builds the Secrets Manager client and exposes the few calls rotctl
 * makes. No other module imports the SDK. Values read by the probe are dropped here, at once.
 */
import {
  CancelRotateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  ListSecretsCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
  type DescribeSecretCommandOutput,
  type SecretListEntry,
  type SecretVersionsListEntry,
} from '@aws-sdk/client-secrets-manager';

import type { InitializeMiddleware, MetadataBearer } from '@smithy/types';

import { callLogger, type CallLog } from './call-log.js';
import { ExitCode, RotctlError } from './errors.js';
import { describeAwsError, isAwsError, toRotctlError } from './aws-errors.js';
import type { LabelMove } from './plan.js';
import {
  PENDING,
  CURRENT,
  labelMap,
  type LabelMap,
  type SecretSnapshot,
  type ValuePresence,
  type VersionInfo,
} from './state.js';

export interface SecretSummary {
  arn: string;
  name: string;
  rotationEnabled: boolean;
  nextRotationDate: Date | undefined;
  labels: LabelMap;
}

export interface ConnectOptions {
  region: string | undefined;
  profile: string | undefined;
  endpoint: string | undefined;
  log: CallLog | undefined;
  /** Where the SDK's own warnings go, one line each. */
  warn?: ((line: string) => void) | undefined;
}

export interface Secrets {
  readonly region: string;
  readSnapshot(secretId: string): Promise<SecretSnapshot>;
  readLabels(arn: string): Promise<LabelMap>;
  /** DescribeSecret alone: labels from VersionIdsToStages, no dates, no value probe. */
  describeSecret(secretId: string): Promise<SecretSnapshot>;
  listVersionInfo(arn: string): Promise<VersionInfo[]>;
  /** GetSecretValue by VersionId; the value is dropped here and only its presence returned. */
  probeValue(arn: string, versionId: string): Promise<{ value: ValuePresence; note?: string }>;
  /** Every page of ListSecrets; onPage reports progress as secrets arrive. */
  listSecrets(onPage?: (seen: number) => void): Promise<SecretSummary[]>;
  cancelRotation(arn: string): Promise<void>;
  moveLabel(arn: string, move: LabelMove): Promise<void>;
  close(): void;
}

const MAX_VERSION_PAGES = 200;

function envNumber(name: string, fallback: number): number {
  const raw = Number(process.env[name]);
  return Number.isFinite(raw) && raw > 0 ? raw : fallback;
}

export async function connect(opts: ConnectOptions): Promise<Secrets> {
  // NOTE: the SDK warns on Node 20 when a client is built; rotctl pins its SDK version.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new SecretsManagerClient({
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.profile ? { profile: opts.profile } : {}),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    maxAttempts: envNumber('ROTCTL_MAX_ATTEMPTS', 4),
    logger: sdkLogger(opts.warn),
    requestHandler: {
      connectionTimeout: envNumber('ROTCTL_CONNECT_TIMEOUT_MS', 3_000),
      requestTimeout: envNumber('ROTCTL_REQUEST_TIMEOUT_MS', 5_000),
      throwOnRequestTimeout: true,
    },
  });
  if (opts.log) {
    const logger = callLogger(opts.log) as unknown as InitializeMiddleware<object, MetadataBearer>;
    client.middlewareStack.add(logger, { step: 'initialize', name: 'rotctlCallLog' });
  }
  const region = await resolveRegion(client);
  return bindCalls(guard(client, region, opts.profile), region);
}

const quiet = (): void => undefined;

/** The SDK warns in paragraphs on the console; rotctl says the same in one line on stderr. */
function sdkLogger(warn: ((line: string) => void) | undefined) {
  const say = warn ?? ((line: string) => void process.stderr.write(`warning: ${line}\n`));
  return {
    debug: quiet,
    info: quiet,
    error: quiet,
    warn: (...parts: unknown[]) => {
      const text = parts.map(String).join(' ');
      if (/Multiple credential sources/.test(text)) {
        say('a profile and AWS_ACCESS_KEY_ID are both set; the profile is used.');
      } else {
        say(text.replace(/\s+/g, ' ').trim().slice(0, 200));
      }
    },
  };
}

async function resolveRegion(client: SecretsManagerClient): Promise<string> {
  try {
    return await client.config.region();
  } catch (err) {
    throw toRotctlError(err, { secret: '-', region: '-', operation: 'configuration' });
  }
}

/** Operation names for messages (class names do not survive bundling). */
const OPERATIONS = new Map<unknown, string>([
  [CancelRotateSecretCommand, 'CancelRotateSecret'],
  [DescribeSecretCommand, 'DescribeSecret'],
  [GetSecretValueCommand, 'GetSecretValue'],
  [ListSecretVersionIdsCommand, 'ListSecretVersionIds'],
  [ListSecretsCommand, 'ListSecrets'],
  [UpdateSecretVersionStageCommand, 'UpdateSecretVersionStage'],
]);

/**
 * Every call goes through here, so every failure leaves this module as a RotctlError that
 * names the operation, the secret and the region.
 */
function guard(
  client: SecretsManagerClient,
  region: string,
  profile: string | undefined,
): SecretsManagerClient {
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  const guarded = async (command: { input: { SecretId?: string } }): Promise<unknown> => {
    try {
      return await send(command);
    } catch (err) {
      const operation = OPERATIONS.get(command.constructor) ?? 'request';
      const secret = command.input.SecretId ?? '-';
      if (profile && describeAwsError(err).kind === 'credentials') throw profileError(profile, err);
      throw toRotctlError(err, { secret, region, operation });
    }
  };
  return Object.assign(Object.create(client) as SecretsManagerClient, { send: guarded });
}

function profileError(profile: string, cause: unknown): RotctlError {
  const files = process.env.AWS_CONFIG_FILE ?? '~/.aws/config';
  return new RotctlError(
    ExitCode.usage,
    `No credentials for profile "${profile}": it is not in ${files} (or its credentials file), ` +
      'or it holds no credentials.',
    'List your profiles with: aws configure list-profiles',
    { cause },
  );
}

function bindCalls(client: SecretsManagerClient, region: string): Secrets {
  const listVersionInfo = async (arn: string): Promise<VersionInfo[]> =>
    (await listVersions(client, arn)).map(toVersion);

  return {
    region,
    readSnapshot: (secretId) => readSnapshot(client, region, secretId),
    readLabels: async (arn) => labelMap(await listVersionInfo(arn)),
    describeSecret: async (secretId) => {
      const d = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
      return toSnapshot(d, d.ARN ?? secretId, region, versionsFromStages(d.VersionIdsToStages));
    },
    listVersionInfo,
    listSecrets: (onPage) => listSecrets(client, onPage),
    probeValue: (arn, versionId) => probeValue(client, arn, versionId),
    cancelRotation: async (arn) => {
      await client.send(new CancelRotateSecretCommand({ SecretId: arn }));
    },
    moveLabel: async (arn, move) => {
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: arn,
          VersionStage: move.label,
          ...(move.moveTo ? { MoveToVersionId: move.moveTo } : {}),
          ...(move.removeFrom ? { RemoveFromVersionId: move.removeFrom } : {}),
        }),
      );
    },
    close: () => client.destroy(),
  };
}

async function readSnapshot(
  client: SecretsManagerClient,
  region: string,
  secretId: string,
): Promise<SecretSnapshot> {
  const described = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  const arn = described.ARN ?? secretId;
  const versions = (await listVersions(client, arn)).map(toVersion);
  await probePending(client, arn, versions);
  return toSnapshot(described, arn, region, versions);
}

async function listVersions(
  client: SecretsManagerClient,
  arn: string,
): Promise<SecretVersionsListEntry[]> {
  const all: SecretVersionsListEntry[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_VERSION_PAGES; page++) {
    const out = await client.send(
      new ListSecretVersionIdsCommand({
        SecretId: arn,
        IncludeDeprecated: true,
        MaxResults: 100,
        ...(token ? { NextToken: token } : {}),
      }),
    );
    all.push(...(out.Versions ?? []));
    // NOTE: an empty NextToken ends the list too (moto sends "" on every page).
    token = out.NextToken || undefined;
    if (!token) return all;
  }
  throw new RotctlError(
    ExitCode.transient,
    `ListSecretVersionIds for ${arn} kept returning pages (more than ${MAX_VERSION_PAGES}); ` +
      'rotctl stopped reading and wrote nothing.',
    'Run the same command again; if it happens again, the endpoint is misbehaving.',
  );
}

async function listSecrets(
  client: SecretsManagerClient,
  onPage?: (seen: number) => void,
): Promise<SecretSummary[]> {
  const all: SecretSummary[] = [];
  let token: string | undefined;
  do {
    const out = await client.send(
      new ListSecretsCommand({
        MaxResults: 100,
        // Secrets scheduled for deletion still block rotation once restored: list them too.
        IncludePlannedDeletion: true,
        ...(token ? { NextToken: token } : {}),
      }),
    );
    all.push(...(out.SecretList ?? []).map(toSummary));
    onPage?.(all.length);
    token = out.NextToken || undefined;
  } while (token);
  return all;
}

function toSummary(e: SecretListEntry): SecretSummary {
  const labels: LabelMap = {};
  for (const [id, stages] of Object.entries(e.SecretVersionsToStages ?? {})) {
    labels[id] = [...stages].sort();
  }
  return {
    arn: e.ARN ?? e.Name ?? '',
    name: e.Name ?? e.ARN ?? '',
    rotationEnabled: e.RotationEnabled === true,
    nextRotationDate: e.NextRotationDate,
    labels,
  };
}

function versionsFromStages(map: Record<string, string[]> | undefined): VersionInfo[] {
  return Object.entries(map ?? {}).map(([id, stages]) => ({
    id,
    labels: [...stages].sort(),
    createdDate: undefined,
    value: 'not-checked' as const,
  }));
}

function toVersion(entry: SecretVersionsListEntry): VersionInfo {
  return {
    id: entry.VersionId ?? '',
    labels: [...(entry.VersionStages ?? [])].sort(),
    createdDate: entry.CreatedDate,
    value: 'not-checked',
  };
}

/** Only the pending version's value matters to the decision, so only it is probed. */
async function probePending(
  client: SecretsManagerClient,
  arn: string,
  versions: VersionInfo[],
): Promise<void> {
  const pending = versions.find((v) => v.labels.includes(PENDING));
  if (!pending || pending.labels.includes(CURRENT)) return;
  const probe = await probeValue(client, arn, pending.id);
  pending.value = probe.value;
  pending.valueNote = probe.note;
}

async function probeValue(
  client: SecretsManagerClient,
  arn: string,
  versionId: string,
): Promise<{ value: ValuePresence; note?: string }> {
  try {
    const out = await client.send(
      new GetSecretValueCommand({ SecretId: arn, VersionId: versionId }),
    );
    const has = out.SecretString !== undefined || out.SecretBinary !== undefined;
    return { value: has ? 'present' : 'absent' };
  } catch (err) {
    // The error text of this call is never shown: it is the one call whose answer holds values.
    return classifyProbeError(err);
  }
}

function classifyProbeError(thrown: unknown): { value: ValuePresence; note: string } {
  const err = thrown instanceof RotctlError ? thrown.cause : thrown;
  const name = isAwsError(err) ? err.name : 'Error';
  const message = err instanceof Error ? err.message : '';
  if (name === 'ResourceNotFoundException' && /secret value/i.test(message)) {
    return { value: 'absent', note: 'no value stored' };
  }
  if (name === 'AccessDeniedException' && /kms/i.test(message)) {
    return { value: 'unknown', note: 'no kms:Decrypt on the key (the rotation may lack it too)' };
  }
  if (name === 'AccessDeniedException') {
    return { value: 'unknown', note: 'no secretsmanager:GetSecretValue' };
  }
  if (name === 'DecryptionFailure') return { value: 'unknown', note: 'KMS could not decrypt it' };
  return { value: 'unknown', note: `check failed (${describeAwsError(err).kind})` };
}

function toSnapshot(
  d: DescribeSecretCommandOutput,
  arn: string,
  region: string,
  versions: VersionInfo[],
): SecretSnapshot {
  return {
    arn,
    name: d.Name ?? arn,
    region,
    rotationEnabled: d.RotationEnabled === true,
    rotationLambdaArn: d.RotationLambdaARN,
    lastRotatedDate: d.LastRotatedDate,
    nextRotationDate: d.NextRotationDate,
    lastChangedDate: d.LastChangedDate,
    deletedDate: d.DeletedDate,
    owningService: d.OwningService,
    primaryRegion: d.PrimaryRegion,
    externalType: d.Type,
    kmsKeyId: d.KmsKeyId,
    versions,
  };
}
