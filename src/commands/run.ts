/** The state of one cancel run, shared by its read/decide half and its write half. */
import type { Secrets } from '../aws.js';
import type { Choice } from '../plan.js';
import type { Report, ResultStatus } from '../report.js';
import type { LabelMap } from '../state.js';
import type { Ui } from '../ui.js';
import type { Connection } from './shared.js';

export interface CancelOptions extends Connection {
  secretId: string;
  /** Part of a batch: Ctrl-C stops before the next write instead of exiting at once. */
  batch: boolean;
  yes: boolean;
  choice: Choice | undefined;
  dryRun: boolean;
}

export interface Run {
  secretId: string;
  opts: CancelOptions;
  ui: Ui;
  report: Report;
  aws?: Secrets;
  /** A write is in flight, or its outcome is being read back: Ctrl-C must wait. */
  writing: boolean;
  /** The last write sent whose answer never came; it may have been applied. */
  unanswered?: string | undefined;
}

/** Set by Ctrl-C; once set, no further write is sent, in this run or the rest of a batch. */
export const interruption = { requested: false };

export function finish(
  run: Run,
  status: ResultStatus,
  code: number,
  message: string,
  hint?: string,
): void {
  run.report.result = { status, exitCode: code, message, ...(hint ? { hint } : {}) };
}

export function show(ui: Ui, ...blocks: string[]): void {
  for (const block of blocks) if (block) ui.out(`${block}\n`);
}

/** After a stop part way: what running again will do. The applied calls are listed apart. */
export function nextStep(run: Run): string | undefined {
  if (run.report.applied.length === 0) return undefined;
  return 'Run the same command again to finish the repair; rotation stays off until then.';
}

export function describeLabels(map: LabelMap): string {
  const parts = Object.entries(map).filter(([, l]) => l.length > 0);
  return parts.map(([id, labels]) => `${id}=[${labels.join(',')}]`).join(' ');
}
