/** The --output json document: one per run, versioned, never holding a secret value. */
import type { RotctlError } from './errors.js';
import type { Assessment, Plan } from './plan.js';
import type { PlannedCall } from './render.js';
import type { LabelMap, SecretSnapshot } from './state.js';

export const SCHEMA_VERSION = 1;

export type ResultStatus =
  | 'done'
  | 'nothing-to-do'
  | 'dry-run'
  | 'decision-needed'
  | 'refused'
  | 'changed'
  | 'failed'
  | 'interrupted';

export interface Report {
  schemaVersion: number;
  command: 'cancel';
  secret: { id: string; arn?: string; name?: string; region?: string };
  before?: ReturnType<typeof snapshotJson>;
  state?: ReturnType<typeof assessmentJson>;
  plan?: { choice: string; calls: string[]; awsCli: string[]; expectedLabels: LabelMap };
  applied: string[];
  after?: { labels: LabelMap };
  undo?: string[];
  result: { status: ResultStatus; exitCode: number; message: string; hint?: string };
}

export function newReport(id: string): Report {
  return {
    schemaVersion: SCHEMA_VERSION,
    command: 'cancel',
    secret: { id },
    applied: [],
    result: { status: 'failed', exitCode: 1, message: 'not finished' },
  };
}

export function snapshotJson(snap: SecretSnapshot) {
  return {
    rotationEnabled: snap.rotationEnabled,
    rotationLambdaArn: snap.rotationLambdaArn ?? null,
    lastRotatedDate: snap.lastRotatedDate?.toISOString() ?? null,
    nextRotationDate: snap.nextRotationDate?.toISOString() ?? null,
    owningService: snap.owningService ?? null,
    primaryRegion: snap.primaryRegion ?? null,
    deletedDate: snap.deletedDate?.toISOString() ?? null,
    versions: snap.versions.map((v) => ({
      id: v.id,
      labels: v.labels,
      createdDate: v.createdDate?.toISOString() ?? null,
      value: v.value,
      ...(v.valueNote ? { valueNote: v.valueNote } : {}),
    })),
  };
}

export function assessmentJson(a: Assessment) {
  return {
    code: a.code,
    title: a.title,
    blocking: a.blocking,
    current: a.current ?? null,
    pending: a.pending ?? null,
    previous: a.previous ?? null,
    recommended: a.recommended ?? null,
    options: a.options ?? null,
    refusal: a.refusal ?? null,
    notes: a.notes,
  };
}

export function planJson(plan: Plan, calls: PlannedCall[], cliLines: string[]) {
  return {
    choice: plan.choice,
    calls: calls.map((c) => c.api),
    awsCli: cliLines,
    expectedLabels: plan.expected,
  };
}

/** The document in reading order, whatever order the run filled it in. */
export function reportJson(r: Report): string {
  const { schemaVersion, command, secret, before, state, plan, applied, after, undo, result } = r;
  const ordered = {
    schemaVersion,
    command,
    secret,
    before,
    state,
    plan,
    applied,
    after,
    undo,
    result,
  };
  return JSON.stringify(ordered, null, 2);
}

/** For commands that fail before they have anything else to say, in --output json. */
export function errorDocument(command: string, id: string, err: RotctlError): string {
  const result = {
    status: 'failed',
    exitCode: err.exitCode,
    message: err.message,
    ...(err.hint ? { hint: err.hint } : {}),
  };
  return JSON.stringify(
    { schemaVersion: SCHEMA_VERSION, command, secret: { id }, result },
    null,
    2,
  );
}
