/** Glue between commander's flags and the cancel command: validate, run, print the outcome. */
import { ExitCode, RotctlError } from '../errors.js';
import { checkEndpoint, checkRegion, parseTarget } from '../input.js';
import type { Choice } from '../plan.js';
import { reportJson, type Report } from '../report.js';
import { createUi, type Ui } from '../ui.js';
import { cancel, type CancelOptions } from './cancel.js';

interface CancelFlags {
  yes?: boolean;
  rollback?: boolean;
  promote?: boolean;
  dryRun?: boolean;
  output?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  color?: boolean;
  verbose?: boolean;
}

export async function runCancelCommand(secret: string, raw: Record<string, unknown>) {
  const flags = raw as CancelFlags;
  const json = flags.output === 'json';
  const ui = await createUi({ json, color: flags.color !== false, verbose: Boolean(flags.verbose) });
  let options: CancelOptions & { secretId: string };
  try {
    options = toOptions(secret, flags);
  } catch (err) {
    return printError(ui, err as RotctlError, Boolean(flags.verbose), undefined);
  }
  const { report, error } = await cancel(options.secretId, options, ui);
  if (json) process.stdout.write(`${reportJson(report)}\n`);
  if (error) return printError(ui, error, Boolean(flags.verbose), report);
  if (!json) ui.out(ui.style.green(report.result.message));
  return report.result.exitCode;
}

function toOptions(secret: string, flags: CancelFlags): CancelOptions & { secretId: string } {
  const envRegion = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || undefined;
  const target = parseTarget(secret, flags.region);
  const choice: Choice | undefined = flags.rollback ? 'rollback' : flags.promote ? 'promote' : undefined;
  const profile = flags.profile?.trim();
  if (flags.profile !== undefined && !profile) {
    throw new RotctlError(ExitCode.usage, '--profile is empty.', 'Name a profile or drop the flag.');
  }
  return {
    secretId: target.secretId,
    yes: Boolean(flags.yes),
    choice,
    dryRun: Boolean(flags.dryRun),
    region: target.region ?? (envRegion ? checkRegion(envRegion, 'AWS_REGION') : undefined),
    profile,
    endpointUrl: flags.endpointUrl === undefined ? undefined : checkEndpoint(flags.endpointUrl),
  };
}

function printError(ui: Ui, err: RotctlError, verbose: boolean, report: Report | undefined) {
  const s = ui.style;
  process.stderr.write(`${s.red('error:')} ${err.message}\n`);
  if (err.hint) process.stderr.write(`${err.hint}\n`);
  const notApplied = unapplied(report);
  if (notApplied.length > 0 && report && report.applied.length > 0) {
    process.stderr.write(`Applied: ${report.applied.join('; ')}\n`);
    process.stderr.write(`Not applied: ${notApplied.join('; ')}\n`);
  }
  if (verbose && err.cause instanceof Error && err.cause.stack) {
    process.stderr.write(`${s.dim(err.cause.stack)}\n`);
  }
  return err.exitCode;
}

function unapplied(report: Report | undefined): string[] {
  if (!report?.plan) return [];
  return report.plan.calls.filter((c) => !report.applied.includes(c));
}
