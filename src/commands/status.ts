/** rotctl status: the same reads and classification as cancel, and never a write. */
import { advise } from '../advice.js';
import { ExitCode } from '../errors.js';
import { assess } from '../plan.js';
import { field, renderAssessment, renderOptions, renderSecret } from '../render.js';
import { assessmentJson, snapshotJson, SCHEMA_VERSION } from '../report.js';
import { parseTarget } from '../input.js';
import type { Ui } from '../ui.js';
import {
  connection,
  connectFor,
  failCommand,
  uiFor,
  type CommonFlags,
  type Connection,
} from './shared.js';

export interface StatusOutcome {
  exitCode: number;
  document: Record<string, unknown>;
}

export async function status(secretId: string, opts: Connection, ui: Ui): Promise<StatusOutcome> {
  const aws = await connectFor(opts, ui);
  try {
    const snap = await ui.spin(`Reading ${secretId}`, () => aws.readSnapshot(secretId));
    const a = assess(snap);
    const advice = advise(snap, a);
    ui.out(`${renderSecret(snap, ui.style)}\n`);
    ui.out(`${renderAssessment(a, ui.style)}\n`);
    const options = renderOptions(a, ui.style);
    if (options) ui.out(`${options}\n`);
    ui.out(field('Next', advice.action));
    if (advice.command) ui.out(field('', advice.command));

    const exitCode = a.blocking ? ExitCode.blocked : ExitCode.ok;
    const document = {
      schemaVersion: SCHEMA_VERSION,
      command: 'status',
      secret: { id: secretId, arn: snap.arn, name: snap.name, region: snap.region },
      before: snapshotJson(snap),
      state: assessmentJson(a),
      advice,
      result: { status: a.blocking ? 'blocked' : 'not-blocked', exitCode },
    };
    return { exitCode, document };
  } finally {
    aws.close();
  }
}

export async function runStatusCommand(secret: string, raw: Record<string, unknown>) {
  const flags = raw as CommonFlags;
  const ui = await uiFor(flags);
  try {
    const target = parseTarget(secret, flags.region);
    const { exitCode, document } = await status(
      target.secretId,
      connection(flags, target.region),
      ui,
    );
    if (ui.json) process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    return exitCode;
  } catch (err) {
    return failCommand(ui, 'status', secret, err, flags.verbose);
  }
}
