/**
 * rotctl cancel: read, decide, then cancel the rotation and repair the staging labels.
 * The order is fixed: every read and every question comes before the first write.
 */
import { ExitCode, RotctlError } from '../errors.js';
import { assess, buildPlan, type Assessment, type Plan } from '../plan.js';
import {
  cli,
  planCalls,
  renderAssessment,
  renderOptions,
  renderPlan,
  renderSecret,
  renderUndo,
} from '../render.js';
import {
  assessmentJson,
  newReport,
  planJson,
  reportJson,
  snapshotJson,
  type Report,
  type ResultStatus,
} from '../report.js';
import type { SecretSnapshot } from '../state.js';
import type { Ui } from '../ui.js';
import { apply } from './apply.js';
import { decide } from './decide.js';
import { finish, interruption, show, type CancelOptions, type Run } from './run.js';
import { asRotctlError, connectFor } from './shared.js';

export type { CancelOptions } from './run.js';

export interface CancelOutcome {
  report: Report;
  error: RotctlError | undefined;
}

/**
 * Ctrl-C before the first write ends the run at once; after it, the write in flight finishes
 * and nothing further is sent, so the summary can say exactly what was applied.
 */
function sigintHandler(run: Run): () => void {
  return () => {
    interruption.requested = true;
    if (run.opts.batch || run.report.applied.length > 0 || run.writing || run.unanswered) return;
    const message = 'Interrupted; nothing was written.';
    finish(run, 'interrupted', ExitCode.interrupted, message);
    if (run.ui.json) process.stdout.write(`${reportJson(run.report)}\n`);
    process.stderr.write(`\n${message}\n`);
    process.exit(ExitCode.interrupted);
  };
}

export function wasInterrupted(): boolean {
  return interruption.requested;
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
    const error = withLostAnswer(run, asRotctlError(err));
    // Ctrl-C at a prompt arrives as an error, not a signal: the rest of a batch stops too.
    if (error.exitCode === ExitCode.interrupted) interruption.requested = true;
    finish(run, statusOf(error), error.exitCode, error.message, error.hint);
    return { report: run.report, error };
  } finally {
    process.off('SIGINT', onSigint);
    run.aws?.close();
  }
}

/** A write whose answer never came may have been applied: never say "nothing was written". */
function withLostAnswer(run: Run, error: RotctlError): RotctlError {
  if (!run.unanswered) return error;
  const lost =
    `The answer to ${run.unanswered} never came: it may have been applied; ` +
    'rotctl reads the labels first when run again.';
  const hint = error.hint ? `${error.hint} ${lost}` : lost;
  return new RotctlError(error.exitCode, error.message, hint, { cause: error.cause });
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

async function readDecideApply(run: Run): Promise<void> {
  const { ui, opts } = run;
  const aws = await connectFor(opts, ui);
  run.aws = aws;
  run.report.secret.region = aws.region;

  const snap = await ui.spin(`Reading ${run.secretId}`, () => aws.readSnapshot(run.secretId));
  const a = assess(snap);
  record(run, snap, a);
  show(ui, renderSecret(snap, ui.style), renderAssessment(a, ui.style), renderOptions(a, ui.style));
  if (a.refusal) throw new RotctlError(ExitCode.refused, refusalText(snap, a), a.refusal.hint);
  checkResolution(run, snap);

  if (interruption.requested)
    throw new RotctlError(ExitCode.interrupted, 'Interrupted; nothing was written.');
  if (opts.dryRun && !opts.choice) showAlternatives(ui, snap, a);
  const choice = await decide(snap, a, opts, ui);
  const plan = buildPlan(snap, a, choice);
  recordPlan(run, snap, plan);
  show(ui, renderPlan(snap.arn, aws.region, plan, ui.style));

  if (opts.dryRun) return finish(run, 'dry-run', 0, 'Dry run: nothing was written.');
  if (!plan.cancelRotation && plan.moves.length === 0) return nothingToDo(run, snap, a);
  await apply(run, aws, snap, a, plan);
}

/**
 * Secrets Manager resolves a partial ARN, or a name ending in what looks like a random suffix,
 * to some secret. A person sees which one above; a runbook step must name it exactly.
 */
function checkResolution(run: Run, snap: SecretSnapshot): void {
  const typed = run.secretId;
  if (typed === snap.name || typed === snap.arn) return;
  const resolved = `"${typed}" is not the exact name or ARN of ${snap.name} (${snap.arn})`;
  if (!run.opts.yes || run.opts.dryRun) {
    run.ui.warn(`${resolved}; check that it is the secret you meant.`);
    return;
  }
  throw new RotctlError(
    ExitCode.refused,
    `Refusing to act with --yes: ${resolved}, and a partial id could name another secret.`,
    `Pass the full ARN: rotctl cancel ${snap.arn} --yes …`,
  );
}

/** A dry run on a state with two reasonable repairs shows both plans before asking for one. */
function showAlternatives(ui: Ui, snap: SecretSnapshot, a: Assessment): void {
  if (a.safeWithoutChoice || a.recommended || !a.options) return;
  for (const choice of ['rollback', 'promote'] as const) {
    if (!a.options[choice].allowed) continue;
    const plan = buildPlan(snap, a, choice);
    show(ui, renderPlan(snap.arn, snap.region, plan, ui.style, `Plan with --${choice}`));
  }
}

function refusalText(snap: SecretSnapshot, a: Assessment): string {
  return `Refusing to change ${snap.name} (${snap.arn}): ${a.refusal?.why ?? a.title}`;
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
    !snap.rotationLambdaArn && !snap.owningService
      ? `${snap.name}: rotation is not configured; nothing to cancel, and the labels are consistent.`
      : a.code === 'S2'
        ? `${snap.name}: rotation is off and the last rotation finished; nothing to do.`
        : `${snap.name}: rotation is off and no AWSPENDING blocks it; nothing to do.`;
  run.ui.out(renderUndo(snap, [], false, run.ui.style));
  finish(run, 'nothing-to-do', 0, msg);
}
