/**
 * Turns whatever the SDK throws into a RotctlError with the documented exit code and a next
 * step. Matches on error names and codes; the HTTP status only tells a server fault from a
 * client one when the answer could not be read at all (emulators differ in status codes).
 */
import { ExitCode, RotctlError } from './errors.js';

export type AwsErrorKind =
  | 'access-denied'
  | 'not-found'
  | 'rejected'
  | 'transient'
  | 'credentials'
  | 'region'
  | 'no-such-host'
  | 'not-aws'
  | 'unknown';

export interface AwsErrorInfo {
  kind: AwsErrorKind;
  name: string;
  message: string;
}

interface AwsLikeError extends Error {
  code?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

export function isAwsError(err: unknown): err is AwsLikeError {
  return err instanceof Error;
}

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'Throttling',
  'InternalServiceError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);
const REJECTED_NAMES = new Set([
  'InvalidRequestException',
  'InvalidParameterException',
  'ValidationException',
  'LimitExceededException',
  'InvalidNextTokenException',
  'DecryptionFailure',
  'UnrecognizedClientException',
  'InvalidSignatureException',
]);

export function describeAwsError(err: unknown): AwsErrorInfo {
  if (!isAwsError(err)) return { kind: 'unknown', name: 'Error', message: String(err) };
  const status = err.$metadata?.httpStatusCode;
  if (isNotJson(err)) {
    const kind: AwsErrorKind = (status ?? 0) >= 500 ? 'transient' : 'not-aws';
    const message =
      `the endpoint answered HTTP ${status ?? '?'} with a body that is not a ` +
      'Secrets Manager response';
    return { kind, name: 'UnreadableResponse', message };
  }
  return { kind: kindOf(err), name: err.name, message: oneLine(err.message) };
}

/** The SDK could not parse the answer: an HTML error page, a proxy, not Secrets Manager. */
function isNotJson(err: AwsLikeError): boolean {
  return err.name === 'SyntaxError' || /Deserialization error/.test(err.message);
}

function kindOf(err: AwsLikeError): AwsErrorKind {
  const name = err.name;
  if (err.code === 'ENOTFOUND') return 'no-such-host';
  if (name === 'AccessDeniedException' || name === 'AccessDenied') return 'access-denied';
  if (name === 'ResourceNotFoundException') return 'not-found';
  if (name === 'CredentialsProviderError' || /credential/i.test(name)) return 'credentials';
  if (/region is missing/i.test(err.message)) return 'region';
  if (TRANSIENT_NAMES.has(name) || NETWORK_CODES.has(err.code ?? '')) return 'transient';
  if (err.$fault === 'server' || (err.$metadata?.httpStatusCode ?? 0) >= 500) return 'transient';
  if (REJECTED_NAMES.has(name) || err.$fault === 'client') return 'rejected';
  return 'unknown';
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

export interface ErrorContext {
  /** What the operator typed or the ARN, for the message. */
  secret: string;
  region: string;
  /** The Secrets Manager operation that failed, e.g. UpdateSecretVersionStage. */
  operation: string;
}

export function toRotctlError(err: unknown, ctx: ErrorContext): RotctlError {
  if (err instanceof RotctlError) return err;
  const info = describeAwsError(err);
  const make = (code: Parameters<typeof rotctlError>[0], msg: string, hint?: string) =>
    rotctlError(code, msg, hint, err);
  switch (info.kind) {
    case 'access-denied': {
      const action = missingAction(info.message, ctx.operation);
      return make(
        ExitCode.awsRejected,
        `Access denied: ${ctx.operation} on ${ctx.secret} needs ${action}.`,
        `Grant ${action} to the caller, then run rotctl again.`,
      );
    }
    case 'not-found':
      return make(
        ExitCode.awsRejected,
        `Secret ${ctx.secret} not found in ${ctx.region}.`,
        'Check the name and --region, or list secrets: aws secretsmanager list-secrets ' +
          `--region ${ctx.region}`,
      );
    case 'no-such-host':
      return make(
        ExitCode.usage,
        `No Secrets Manager endpoint answers for region ${ctx.region}: ${info.message}`,
        'Check --region (or AWS_REGION) and --endpoint-url.',
      );
    case 'not-aws':
      return make(
        ExitCode.awsRejected,
        `${ctx.operation} on ${ctx.secret}: ${info.message}.`,
        'Check --endpoint-url: it should point at Secrets Manager.',
      );
    case 'credentials':
      return make(
        ExitCode.usage,
        `No usable AWS credentials: ${info.message}`,
        'Set AWS_PROFILE or --profile, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.',
      );
    case 'region':
      return make(
        ExitCode.usage,
        'No AWS region is set.',
        'Pass --region, set AWS_REGION, or give the full secret ARN.',
      );
    case 'transient':
      return make(
        ExitCode.transient,
        `${ctx.operation} on ${ctx.secret} failed after retries: ${info.name} ${info.message}`,
        'This is a transient failure; it is safe to run the same command again.',
      );
    case 'rejected':
      return make(
        ExitCode.awsRejected,
        `AWS rejected ${ctx.operation} on ${ctx.secret}: ${info.name}: ${info.message}`,
        'Nothing after this call was sent. Run again with -v to see every call.',
      );
    default:
      return make(
        ExitCode.internal,
        `${ctx.operation} on ${ctx.secret} failed: ${info.name}: ${info.message}`,
        'Run again with -v for details.',
      );
  }
}

function rotctlError(
  code: RotctlError['exitCode'],
  message: string,
  hint: string | undefined,
  cause: unknown,
): RotctlError {
  return new RotctlError(code, message, hint, { cause });
}

/** The IAM action AWS names in an AccessDenied message, or the one the operation needs. */
export function missingAction(message: string, operation: string): string {
  if (/access to kms is not allowed/i.test(message)) return 'kms:Decrypt';
  const named = /not authorized to perform:?\s+([a-z0-9-]+:[A-Za-z0-9*]+)/i.exec(message);
  return named?.[1] ?? `secretsmanager:${operation}`;
}
