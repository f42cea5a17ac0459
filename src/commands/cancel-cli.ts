/** Glue between commander's flags and the cancel command: one secret or a batch of them. */
import { readFile } from 'node:fs/promises';

import type { RotctlError } from '../errors.js';
import { ExitCode, usageError } from '../errors.js';
import { parseTarget, printable } from '../input.js';
import type { Choice } from '../plan.js';
import { newReport, reportJson, SCHEMA_VERSION, type Report } from '../report.js';
import type { Ui } from '../ui.js';
import { cancel, wasInterrupted, type CancelOptions } from './cancel.js';
import {
  asRotctlError,
  connection,
  failCommand,
  mostSevere,
  printError,
  uiFor,
  type CommonFlags,
} from './shared.js';

interface CancelFlags extends CommonFlags {
  yes?: boolean;
  rollback?: boolean;
  promote?: boolean;
  dryRun?: boolean;
  fromFile?: string;
}

export async function runCancelCommand(secrets: string[], raw: Record<string, unknown>) {
  const flags = raw as CancelFlags;
  const ui = await uiFor(flags);
  let ids: string[];
  try {
    ids = await secretIds(secrets, flags.fromFile);
  } catch (err) {
    return failCommand(ui, 'cancel', '', err, flags.verbose);
  }
  if (ids.length === 1 && flags.fromFile === undefined) {
    const { report, error } = await cancelOne(ids[0] ?? '', flags, ui, false);
    if (ui.json) process.stdout.write(`${reportJson(report)}\n`);
    else if (!error) ui.out(ui.style.green(report.result.message));
    return error ? printOutcomeError(ui, error, flags, report) : report.result.exitCode;
  }
  return runBatch(ids, flags, ui);
}

async function secretIds(args: string[], fromFile: string | undefined): Promise<string[]> {
  const fromList = fromFile === undefined ? [] : parseIdList(await readList(fromFile));
  const ids = [...new Set([...args, ...fromList])];
  if (ids.length === 0) {
    throw usageError('No secret given.', 'Name one or more secrets, or use --from-file FILE.');
  }
  return ids;
}

async function readList(file: string): Promise<string> {
  try {
    return file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw usageError(`Cannot read --from-file ${printable(file)} (${code}).`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** One id per line; blank lines and lines starting with # are skipped. */
export function parseIdList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function toOptions(secret: string, flags: CancelFlags, batch: boolean): CancelOptions {
  const target = parseTarget(secret, flags.region);
  const choice: Choice | undefined = flags.rollback
    ? 'rollback'
    : flags.promote
      ? 'promote'
      : undefined;
  return {
    ...connection(flags, target.region),
    secretId: target.secretId,
    yes: Boolean(flags.yes),
    choice,
    dryRun: Boolean(flags.dryRun),
    batch,
  };
}

async function cancelOne(id: string, flags: CancelFlags, ui: Ui, batch: boolean) {
  let options: CancelOptions;
  try {
    options = toOptions(id, flags, batch);
  } catch (err) {
    const error = asRotctlError(err);
    return { report: failedReport(id, error), error };
  }
  return cancel(options.secretId, options, ui);
}

function failedReport(id: string, error: RotctlError): Report {
  const result = { status: 'failed' as const, exitCode: error.exitCode, message: error.message };
  return { ...newReport(id), result };
}

function printOutcomeError(ui: Ui, error: RotctlError, flags: CancelFlags, report: Report) {
  const code = printError(ui, error, Boolean(flags.verbose));
  const notApplied = (report.plan?.calls ?? []).filter((c) => !report.applied.includes(c));
  if (report.applied.length > 0) {
    process.stderr.write(`Applied: ${report.applied.join('; ')}\n`);
    if (notApplied.length > 0) process.stderr.write(`Not applied: ${notApplied.join('; ')}\n`);
  } else if (
    !/nothing (more )?was written|may have been applied/i.test(
      `${error.message} ${error.hint ?? ''}`,
    )
  ) {
    process.stderr.write('Nothing was written.\n');
  }
  return code;
}

async function runBatch(ids: string[], flags: CancelFlags, ui: Ui): Promise<number> {
  const reports: Report[] = [];
  for (const [i, id] of ids.entries()) {
    if (wasInterrupted()) break;
    ui.out(ui.style.bold(`== [${i + 1}/${ids.length}] ${printable(id)}`));
    const { report, error } = await cancelOne(id, flags, ui, true);
    if (error) printOutcomeError(ui, error, flags, report);
    else ui.out(ui.style.green(report.result.message));
    ui.out('');
    reports.push(report);
  }
  const skipped = ids.slice(reports.length);
  const exitCode = mostSevere([
    ...reports.map((r) => r.result.exitCode),
    ...(skipped.length > 0 ? [ExitCode.interrupted] : []),
  ]);
  if (ui.json) process.stdout.write(`${batchJson(reports, skipped, exitCode)}\n`);
  else ui.out(batchSummary(reports, skipped, ui));
  return exitCode;
}

function batchSummary(reports: Report[], skipped: string[], ui: Ui): string {
  const width = Math.max(6, ...reports.map((r) => printable(r.secret.name ?? r.secret.id).length));
  const lines = [ui.style.bold('Summary')];
  for (const r of reports) {
    const name = printable(r.secret.name ?? r.secret.id).padEnd(width);
    lines.push(`  ${name}  ${String(r.result.exitCode).padStart(3)}  ${r.result.status}`);
  }
  for (const id of skipped) lines.push(`  ${printable(id).padEnd(width)}    -  not started`);
  const done = reports.filter((r) => r.result.exitCode === 0).length;
  lines.push(`${done} of ${reports.length + skipped.length} secret(s) finished with exit 0.`);
  return lines.join('\n');
}

function batchJson(reports: Report[], skipped: string[], exitCode: number): string {
  return JSON.stringify(
    {
      schemaVersion: SCHEMA_VERSION,
      command: 'cancel',
      secrets: reports.map((r) => JSON.parse(reportJson(r)) as unknown),
      notStarted: skipped,
      result: { exitCode, ok: reports.filter((r) => r.result.exitCode === 0).length },
    },
    null,
    2,
  );
}
