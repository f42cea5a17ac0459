/** Exit codes are part of rotctl's contract: the README has the same table. */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  decisionNeeded: 3,
  refused: 4,
  changed: 5,
  awsRejected: 6,
  transient: 7,
  /** status and scan: a rotation is blocked (AWSPENDING on a version other than AWSCURRENT). */
  blocked: 8,
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The one error type rotctl throws on purpose. `message` is a single line for the operator;
 * `hint` says what to do next. Neither may ever contain a secret value.
 */
export class RotctlError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;

  constructor(exitCode: ExitCodeValue, message: string, hint?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RotctlError';
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

export const usageError = (message: string, hint?: string): RotctlError =>
  new RotctlError(ExitCode.usage, message, hint);
