/** What every command does with its flags: check them, build the Ui, print errors the same way. */
import { ExitCode, RotctlError } from '../errors.js';
import { checkEndpoint, checkRegion } from '../input.js';
import { connect, type Secrets } from '../aws.js';
import { errorDocument } from '../report.js';
import { createUi, type Ui } from '../ui.js';

export interface CommonFlags {
  output?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  color?: boolean;
  verbose?: boolean;
}

export interface Connection {
  region: string | undefined;
  profile: string | undefined;
  endpointUrl: string | undefined;
}

export function uiFor(flags: CommonFlags): Promise<Ui> {
  return createUi({
    json: flags.output === 'json',
    color: flags.color !== false,
    verbose: Boolean(flags.verbose),
  });
}

/** Region precedence: --region (or the ARN's, passed in), then AWS_REGION, AWS_DEFAULT_REGION. */
export function connection(flags: CommonFlags, targetRegion?: string): Connection {
  const envRegion = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || undefined;
  const profile = flags.profile?.trim();
  if (flags.profile !== undefined && !profile) {
    throw new RotctlError(
      ExitCode.usage,
      '--profile is empty.',
      'Name a profile or drop the flag.',
    );
  }
  const flagRegion = flags.region === undefined ? undefined : checkRegion(flags.region, '--region');
  return {
    region:
      targetRegion ?? flagRegion ?? (envRegion ? checkRegion(envRegion, 'AWS_REGION') : undefined),
    profile,
    endpointUrl: flags.endpointUrl === undefined ? undefined : checkEndpoint(flags.endpointUrl),
  };
}

export function printError(ui: Ui, err: RotctlError, verbose: boolean): number {
  process.stderr.write(`${ui.style.red('error:')} ${err.message}\n`);
  if (err.hint) process.stderr.write(`${err.hint}\n`);
  if (verbose && err.cause instanceof Error && err.cause.stack) {
    process.stderr.write(`${ui.style.dim(err.cause.stack)}\n`);
  }
  return err.exitCode;
}

/** Where a command stops on an error: one JSON document if asked for, then the error line. */
export function failCommand(
  ui: Ui,
  command: string,
  id: string,
  err: unknown,
  verbose: boolean | undefined,
): number {
  const error = asRotctlError(err);
  if (ui.json) process.stdout.write(`${errorDocument(command, id, error)}\n`);
  return printError(ui, error, Boolean(verbose));
}

/** The AWS door for a command: its connection flags, its -v log and its warnings. */
export function connectFor(conn: Connection, ui: Ui): Promise<Secrets> {
  return connect({
    region: conn.region,
    profile: conn.profile,
    endpoint: conn.endpointUrl,
    log: ui.verbose,
    warn: ui.warn,
  });
}

export function asRotctlError(err: unknown): RotctlError {
  if (err instanceof RotctlError) return err;
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new RotctlError(
    ExitCode.internal,
    `Unexpected error: ${text}`,
    'Run again with -v to see where it happened.',
    { cause: err },
  );
}

/** For batches: the exit code that matters most. A secret left inconsistent outranks a refusal. */
const SEVERITY: number[] = [
  ExitCode.ok,
  ExitCode.blocked,
  ExitCode.usage,
  ExitCode.decisionNeeded,
  ExitCode.refused,
  ExitCode.awsRejected,
  ExitCode.transient,
  ExitCode.changed,
  ExitCode.internal,
  ExitCode.interrupted,
];

export function mostSevere(codes: number[]): number {
  return codes.reduce(
    (worst, code) => (SEVERITY.indexOf(code) > SEVERITY.indexOf(worst) ? code : worst),
    ExitCode.ok,
  );
}
