/**
 * rotctl cancel: read, decide, then cancel the rotation and repair the staging labels.
 * The order is fixed: every read and every question comes before the first write.
 */
import { connect, type Secrets } from '../aws.js';
import { ExitCode, RotctlError } from '../errors.js';
import {
  applyMoves,
  assess,
  buildPlan,
  undoMoves,
  verifyLabels,
  type Assessment,
  type Choice,
  type LabelMove,
  type Plan,
} from '../plan.js';
import {
  CHOICE_NAMES,
  cli,
  moveCall,
  planCalls,
  renderAssessment,
  renderLabelChange,
  renderOptions,
  renderPlan,
  renderSecret,
  renderUndo,
} from '../render.js';
import {
  assessmentJson,
  newReport,
  planJson,
  snapshotJson,
  type Report,
  type ResultStatus,
} from '../report.js';
import { labelMap, sameLabels, type LabelMap, type SecretSnapshot } from '../state.js';
import type { Ui } from '../ui.js';
import { decide } from './decide.js';

export interface CancelOptions {
  secretId: string;
  /** Part of a batch: Ctrl-C stops before the next write instead of exiting at once. */
  batch: boolean;
  yes: boolean;
  choice: Choice | undefined;
  dryRun: boolean;
  region: string | undefined;
  profile: string | undefined;
  endpointUrl: string | undefined;
}

export interface CancelOutcome {
  report: Report;
  error: RotctlError | undefined;
}

interface Run {
  secretId: string;
  opts: CancelOptions;
  ui: Ui;
  report: Report;
  aws?: Secrets;
  /** A write is in flight: Ctrl-C must wait for its answer. */
  writing: boolean;
}

let interrupted = false;

/**
 * Ctrl-C before the first write ends the run at once; after it, the write in flight finishes
 * and nothing further is sent, so the summary can say exactly what was applied.
 */
function sigintHandler(run: Run): () => void {
  return () => {
    interrupted = true;
    if (run.opts.batch || run.report.applied.length > 0 || run.writing) return;
    process.stderr.write('\nInterrupted; nothing was written.\n');
    process.exit(ExitCode.interrupted);
  };
}

export function wasInterrupted(): boolean {
  return interrupted;
}

export async function cancel(
  secretId: string,
  opts: CancelOptions,
  ui: Ui,
): Promise<CancelOutcome> {
  const run: Run = { secretId, opts, ui, report: newReport(secretId), writing: false };
  const onSigint = sigintHandler(run);
  process.on('SIGINT', onSigint);
  try {
    await readDecideApply(run);
    return { report: run.report, error: undefined };
  } catch (err) {
    const error = err instanceof RotctlError ? err : internalError(err);
    finish(run, statusOf(error), error.exitCode, error.message, error.hint);
    return { report: run.report, error };
  } finally {
    process.off('SIGINT', onSigint);
    run.aws?.close();
  }
}

function internalError(err: unknown): RotctlError {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new RotctlError(
    ExitCode.internal,
    `Unexpected error: ${text}`,
    'Run again with -v to see where it happened.',
    { cause: err },
  );
}

function statusOf(err: RotctlError): ResultStatus {
  const byCode: Partial<Record<number, ResultStatus>> = {
    [ExitCode.decisionNeeded]: 'decision-needed',
    [ExitCode.refused]: 'refused',
    [ExitCode.changed]: 'changed',
    [ExitCode.interrupted]: 'interrupted',
  };
  return byCode[err.exitCode] ?? 'failed';
}

function finish(run: Run, status: ResultStatus, code: number, message: string, hint?: string) {
  run.report.result = { status, exitCode: code, message, ...(hint ? { hint } : {}) };
}

async function readDecideApply(run: Run): Promise<void> {
  const { ui, opts } = run;
  const aws = await connect({
    region: opts.region,
    profile: opts.profile,
    endpoint: opts.endpointUrl,
    log: ui.verbose,
  });
  run.aws = aws;
  run.report.secret.region = aws.region;

  const snap = await ui.spin(`Reading ${run.secretId}`, () => aws.readSnapshot(run.secretId));
  const a = assess(snap);
  record(run, snap, a);
  show(ui, renderSecret(snap, ui.style), renderAssessment(a, ui.style), renderOptions(a, ui.style));
  if (a.refusal) throw new RotctlError(ExitCode.refused, refusalText(snap, a), a.refusal.hint);

  if (interrupted) throw new RotctlError(ExitCode.interrupted, 'Interrupted; nothing was written.');
  if (opts.dryRun && !opts.choice) showAlternatives(ui, snap, a);
  const choice = await decide(snap, a, opts, ui);
  const plan = buildPlan(snap, a, choice);
  recordPlan(run, snap, plan);
  show(ui, renderPlan(snap.arn, aws.region, plan, ui.style));

  if (opts.dryRun) return finish(run, 'dry-run', 0, 'Dry run: nothing was written.');
  if (!plan.cancelRotation && plan.moves.length === 0) return nothingToDo(run, snap, a);
  await apply(run, aws, snap, a, plan);
}

/** A dry run on a state with two reasonable repairs shows both plans before asking for one. */
function showAlternatives(ui: Ui, snap: SecretSnapshot, a: Assessment): void {
  if (a.safeWithoutChoice || a.recommended || !a.options) return;
  for (const choice of ['rollback', 'promote'] as const) {
    if (!a.options[choice].allowed) continue;
    const plan = buildPlan(snap, a, choice);
    show(ui, `With --${choice}, ${renderPlan(snap.arn, snap.region, plan, ui.style)}`);
  }
}

function refusalText(snap: SecretSnapshot, a: Assessment): string {
  return `Refusing to change ${snap.name} (${snap.arn}): ${a.refusal?.why ?? a.title}`;
}

function show(ui: Ui, ...blocks: string[]): void {
  for (const block of blocks) if (block) ui.out(`${block}\n`);
}

function record(run: Run, snap: SecretSnapshot, a: Assessment): void {
  run.report.secret = { id: run.secretId, arn: snap.arn, name: snap.name, region: snap.region };
  run.report.before = snapshotJson(snap);
  run.report.state = assessmentJson(a);
}

function recordPlan(run: Run, snap: SecretSnapshot, plan: Plan): void {
  const calls = planCalls(snap.arn, plan);
  const cliLines = calls.map((c) => cli(c.cli, snap.arn, snap.region));
  run.report.plan = planJson(plan, calls, cliLines);
}

function nothingToDo(run: Run, snap: SecretSnapshot, a: Assessment): void {
  const msg =
    a.code === 'S2'
      ? `${snap.name}: rotation is off and the last rotation finished; nothing to do.`
      : `${snap.name}: rotation is off and no AWSPENDING blocks it; nothing to do.`;
  run.ui.out(renderUndo(snap.arn, snap.region, [], false, run.ui.style));
  finish(run, 'nothing-to-do', 0, msg);
}

async function apply(run: Run, aws: Secrets, snap: SecretSnapshot, a: Assessment, plan: Plan) {
  const { ui, opts } = run;
  if (!opts.yes && !ui.interactive) {
    throw new RotctlError(
      ExitCode.decisionNeeded,
      `No terminal to confirm the changes to ${snap.name}; nothing was written.`,
      'Add --yes to apply the plan above without prompts.',
    );
  }
  if (plan.cancelRotation) {
    await confirmOrStop(run, `Turn off rotation for ${snap.name} now (CancelRotateSecret)?`);
    await write(run, `CancelRotateSecret SecretId=${snap.arn}`, () => aws.cancelRotation(snap.arn));
  }
  const base = plan.moves.length > 0 ? await applyMoveSteps(run, aws, snap, a, plan) : undefined;
  const after = await verify(run, aws, snap, base ? applyMoves(base, plan.moves) : undefined);
  conclude(run, snap, a, plan, after);
}

async function confirmOrStop(run: Run, question: string): Promise<void> {
  if (run.opts.yes) return;
  if (await run.ui.confirm(question)) return;
  throw new RotctlError(
    ExitCode.decisionNeeded,
    'Stopped at your answer; nothing more was written.',
    appliedHint(run),
  );
}

function appliedHint(run: Run): string {
  return run.report.applied.length > 0
    ? `Already applied: ${run.report.applied.join('; ')}`
    : 'Nothing was written.';
}

async function write(run: Run, api: string, call: () => Promise<void>): Promise<void> {
  if (interrupted) {
    throw new RotctlError(ExitCode.interrupted, `Interrupted before: ${api}`, appliedHint(run));
  }
  run.writing = true;
  try {
    await call();
  } finally {
    run.writing = false;
  }
  run.report.applied.push(api);
}

async function applyMoveSteps(
  run: Run,
  aws: Secrets,
  snap: SecretSnapshot,
  a: Assessment,
  plan: Plan,
): Promise<LabelMap> {
  const base = await aws.readLabels(snap.arn);
  checkDrift(snap, a, plan, base);
  const calls = plan.moves.length === 1 ? '1 label change' : `${plan.moves.length} label changes`;
  await confirmOrStop(
    run,
    `Apply ${CHOICE_NAMES[plan.choice as Choice]} to ${snap.name} (${calls}, as planned above)?`,
  );

  let labels = base;
  for (const move of plan.moves) {
    const expected = applyMoves(labels, [move]);
    await writeMove(run, aws, snap.arn, move, labels, expected);
    labels = expected;
  }
  return base;
}

/**
 * Labels moved between the first read and now: go on only if the state, the chosen option and
 * the exact writes would all be the same; anything else is another writer's work.
 */
function checkDrift(snap: SecretSnapshot, a: Assessment, plan: Plan, now: LabelMap): void {
  if (sameLabels(labelMap(snap.versions), now)) return;
  const versions = Object.entries(now).map(([id, labels]) => {
    const known = snap.versions.find((v) => v.id === id);
    return known ? { ...known, labels } : newVersion(id, labels);
  });
  const moved = { ...snap, versions };
  const again = assess(moved);
  const stillAllowed = plan.choice === 'nothing' || again.options?.[plan.choice].allowed === true;
  const samePlan =
    !again.refusal &&
    again.code === a.code &&
    again.pending === a.pending &&
    stillAllowed &&
    JSON.stringify(buildPlan(moved, again, plan.choice).moves) === JSON.stringify(plan.moves);
  if (samePlan) return;
  throw new RotctlError(
    ExitCode.changed,
    `The staging labels of ${snap.name} changed since they were read; no label was written. ` +
      `Now: ${describeLabels(now)}`,
    'Another writer (a rotation retry or a colleague) is active. Run rotctl cancel again ' +
      'to see the new state.',
  );
}

function newVersion(id: string, labels: string[]) {
  return {
    id,
    labels,
    createdDate: undefined,
    lastAccessedDate: undefined,
    value: 'not-checked' as const,
  };
}

function describeLabels(map: LabelMap): string {
  const parts = Object.entries(map).filter(([, l]) => l.length > 0);
  return parts.map(([id, labels]) => `${id}=[${labels.join(',')}]`).join(' ');
}

/**
 * A write whose answer was lost may still have been applied (and an SDK retry of it then
 * fails): before calling it a failure, read the labels and believe them. Labels that are
 * neither as before nor as planned mean another writer is at work.
 */
async function writeMove(
  run: Run,
  aws: Secrets,
  arn: string,
  move: LabelMove,
  before: LabelMap,
  want: LabelMap,
) {
  const api = moveCall(arn, move).api;
  try {
    await write(run, api, () => aws.moveLabel(arn, move));
  } catch (err) {
    if (!(err instanceof RotctlError) || err.exitCode === ExitCode.interrupted) throw err;
    if (err.exitCode === ExitCode.awsRejected && /Access denied/.test(err.message)) throw err;
    const now = await aws.readLabels(arn).catch(() => undefined);
    if (now && sameLabels(now, want)) {
      run.ui.warn(`the answer to ${move.label} was lost, but the labels show it was applied.`);
      run.report.applied.push(api);
      return;
    }
    // The RemoveFromVersionId guard said no: the labels are not where rotctl read them.
    if (/InvalidParameterException|InvalidRequestException/.test(err.message)) {
      throw changedByOther(run, arn, now ?? before);
    }
    if (!now || sameLabels(now, before)) throw err;
    throw changedByOther(run, arn, now);
  }
}

function changedByOther(run: Run, arn: string, now: LabelMap): RotctlError {
  return new RotctlError(
    ExitCode.changed,
    `The staging labels of ${arn} were changed by another writer during the repair. ` +
      `Now: ${describeLabels(now)}`,
    `${appliedHint(run)}. Run rotctl cancel again to see the new state.`,
  );
}

const VERIFY_DELAYS_MS = [0, 250, 500, 1000, 2000];

/** Re-read until the labels match the plan; reads may lag behind writes for a moment. */
async function verify(
  run: Run,
  aws: Secrets,
  snap: SecretSnapshot,
  expected: LabelMap | undefined,
): Promise<LabelMap> {
  let labels: LabelMap = {};
  let problems: string[] = [];
  for (const delay of VERIFY_DELAYS_MS) {
    await new Promise((r) => setTimeout(r, delay));
    labels = await aws.readLabels(snap.arn);
    problems = verifyLabels(expected ?? labelMap(snap.versions), labels);
    if (problems.length === 0) return labels;
  }
  run.report.after = { labels };
  throw new RotctlError(
    ExitCode.changed,
    `The check after writing failed for ${snap.name}: ${problems.join('; ')}`,
    `${appliedHint(run)}. Now: ${describeLabels(labels)}. Inspect before running again.`,
  );
}

function conclude(run: Run, snap: SecretSnapshot, a: Assessment, plan: Plan, after: LabelMap) {
  const { ui, report } = run;
  const undo = undoMoves(a, plan);
  report.after = { labels: after };
  report.undo = undo.map((m) => cli(moveCall(snap.arn, m).cli, snap.arn, snap.region));
  show(ui, renderLabelChange(labelMap(snap.versions), after, ui.style));
  ui.out(renderUndo(snap.arn, snap.region, undo, plan.cancelRotation, ui.style));
  finish(run, 'done', 0, doneMessage(snap, a, plan));
}

function doneMessage(snap: SecretSnapshot, a: Assessment, plan: Plan): string {
  const off = plan.cancelRotation ? ' Rotation is off.' : '';
  if (plan.choice === 'rollback') {
    return (
      `Rolled back ${snap.name}: AWSPENDING removed from ${a.pending}; AWSCURRENT stays on ` +
      `${a.current}.${off}`
    );
  }
  if (plan.choice === 'promote' && a.pending === a.current) {
    return (
      `Finished ${snap.name}: the leftover AWSPENDING removed from ${a.pending}, which holds ` +
      `AWSCURRENT.${off}`
    );
  }
  if (plan.choice === 'promote') {
    return `Promoted ${snap.name}: AWSCURRENT is now on ${a.pending}.${off}`;
  }
  return `${snap.name}: rotation cancelled; the labels needed no change.`;
}
