/**
 * The write half of rotctl cancel: confirm, cancel the rotation, re-read, move the labels with
 * their check-and-set guards, verify, and say how to undo it.
 */
import type { Secrets } from '../aws.js';
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
import { CHOICE_NAMES, cli, moveCall, renderLabelChange, renderUndo } from '../render.js';
import { labelMap, sameLabels, type LabelMap, type SecretSnapshot } from '../state.js';
import { describeLabels, nextStep, finish, interruption, show, type Run } from './run.js';

export async function apply(
  run: Run,
  aws: Secrets,
  snap: SecretSnapshot,
  a: Assessment,
  plan: Plan,
) {
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
    await write(run, `CancelRotateSecret SecretId=${snap.arn}`, () =>
      aws.cancelRotation(snap.arn).catch((err: unknown) => {
        throw explainCancelRefusal(snap, err);
      }),
    );
  }
  const base = plan.moves.length > 0 ? await applyMoveSteps(run, aws, snap, a, plan) : undefined;
  const after = await verify(run, aws, snap, base ? applyMoves(base, plan.moves) : undefined);
  conclude(run, snap, a, plan, after);
}

/**
 * Promote makes a new value live for every reader, so it is typed out; the other label
 * changes take a y/N.
 */
async function confirmMoves(run: Run, snap: SecretSnapshot, a: Assessment, plan: Plan) {
  if (run.opts.yes) return;
  if (plan.choice === 'promote' && a.pending !== a.current) {
    const question = `Type promote to make ${a.pending} the AWSCURRENT value of ${snap.name}:`;
    if (await run.ui.confirmTyped(question, 'promote')) return;
    throw new RotctlError(
      ExitCode.decisionNeeded,
      'Stopped: promote was not typed.',
      nextStep(run),
    );
  }
  const calls = plan.moves.length === 1 ? '1 label change' : `${plan.moves.length} label changes`;
  await confirmOrStop(
    run,
    `Apply ${CHOICE_NAMES[plan.choice as Choice]} to ${snap.name} (${calls}, as planned above)?`,
  );
}

/**
 * Secrets Manager answers a cancel on a secret with no rotation function with a message about
 * *enabling* rotation; say what it means instead.
 */
function explainCancelRefusal(snap: SecretSnapshot, err: unknown): unknown {
  if (!(err instanceof RotctlError) || !/Lambda function ARN/i.test(err.message)) return err;
  const owner = snap.owningService
    ? ` Its rotation is managed by ${snap.owningService}: turn it off there.`
    : '';
  return new RotctlError(
    ExitCode.awsRejected,
    `Secrets Manager would not cancel the rotation of ${snap.name}: it reports that no ` +
      `rotation function is configured.${owner}`,
    `Check its rotation settings: aws secretsmanager describe-secret --secret-id ${snap.arn}`,
    { cause: err },
  );
}

async function confirmOrStop(run: Run, question: string): Promise<void> {
  if (run.opts.yes) return;
  if (await run.ui.confirm(question)) return;
  throw new RotctlError(ExitCode.decisionNeeded, 'Stopped at your answer.', nextStep(run));
}

async function write(run: Run, api: string, call: () => Promise<void>): Promise<void> {
  if (interruption.requested) {
    throw new RotctlError(ExitCode.interrupted, `Interrupted before: ${api}`, nextStep(run));
  }
  run.writing = true;
  try {
    await call();
  } catch (err) {
    if (mayHaveApplied(err)) run.unanswered = api;
    throw err;
  } finally {
    run.writing = false;
  }
  run.report.applied.push(api);
}

/** A throttled request was answered and not applied; a lost or failed answer may hide either. */
function mayHaveApplied(err: unknown): boolean {
  if (!(err instanceof RotctlError) || err.exitCode !== ExitCode.transient) return false;
  const cause = err.cause instanceof Error ? err.cause.name : '';
  return !/Throttl|TooManyRequests|RequestLimitExceeded/.test(cause);
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
  await checkStillEmpty(aws, snap, a);
  await confirmMoves(run, snap, a, plan);

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

/**
 * A roll back chosen because the pending version was empty (S3) is only safe while it still
 * is: a rotation still running may store a value in it at any moment. Look again.
 */
async function checkStillEmpty(aws: Secrets, snap: SecretSnapshot, a: Assessment): Promise<void> {
  if (a.pendingValue !== 'absent' || !a.pending) return;
  const now = await aws.probeValue(snap.arn, a.pending);
  if (now.value === 'absent') return;
  const what = now.value === 'present' ? 'now holds a value' : 'can no longer be read';
  throw new RotctlError(
    ExitCode.changed,
    `The pending version ${a.pending} of ${snap.name} ${what}: a rotation is still writing ` +
      'to it. No label was written.',
    'Wait for the rotation function to finish, then run rotctl cancel again.',
  );
}

function newVersion(id: string, labels: string[]) {
  return {
    id,
    labels,
    createdDate: undefined,
    value: 'not-checked' as const,
  };
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
    run.writing = true;
    const now = await aws.readLabels(arn).catch(() => undefined);
    run.writing = false;
    if (now && sameLabels(now, want)) {
      run.ui.warn(`the answer to the ${move.label} move was lost; the labels show it was applied.`);
      run.unanswered = undefined;
      run.report.applied.push(api);
      return;
    }
    // Unchanged labels: AWS refused for its own reason, and said which. Unknown ones: say so.
    if (!now || sameLabels(now, before)) throw err;
    throw changedByOther(arn, now);
  }
}

function changedByOther(arn: string, now: LabelMap): RotctlError {
  return new RotctlError(
    ExitCode.changed,
    `The staging labels of ${arn} were changed by another writer during the repair. ` +
      `Now: ${describeLabels(now)}`,
    'Run rotctl status on it to see the new state before doing anything else.',
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
    `Now: ${describeLabels(labels)}. Inspect it (rotctl status) before running again.`,
  );
}

function conclude(run: Run, snap: SecretSnapshot, a: Assessment, plan: Plan, after: LabelMap) {
  const { ui, report } = run;
  const undo = undoMoves(a, plan);
  report.after = { labels: after };
  report.undo = undo.map((m) => cli(moveCall(snap.arn, m).cli, snap.arn, snap.region));
  show(ui, renderLabelChange(labelMap(snap.versions), after, ui.style));
  ui.out(renderUndo(snap, undo, plan.cancelRotation, ui.style));
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
