/** Checks on what the operator typed, before anything is sent anywhere. */
import { usageError } from './errors.js';

const MAX_SECRET_ID = 2048;
const ARN_RE = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):(\d{12}):secret:(.+)$/;
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
/** C0 and C1 controls, DEL, bidi overrides, and U+FFFD (what Node makes of non-UTF-8 bytes). */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufffd]/;
const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'g');

export interface Target {
  secretId: string;
  region: string | undefined;
}

export function parseTarget(raw: string, regionFlag: string | undefined): Target {
  const secretId = checkSecretId(raw);
  const region = regionFlag === undefined ? undefined : checkRegion(regionFlag, '--region');
  if (!secretId.startsWith('arn:')) return { secretId, region };

  const match = ARN_RE.exec(secretId);
  if (!match) {
    throw usageError(
      `Not a Secrets Manager ARN: ${printable(secretId)}`,
      'Expected arn:aws:secretsmanager:<region>:<account>:secret:<name>, or pass the name.',
    );
  }
  const arnRegion = checkRegion(match[1] ?? '', 'the ARN');
  if (region && region !== arnRegion) {
    throw usageError(
      `The ARN is in ${arnRegion} but --region says ${region}.`,
      `Drop --region, or pass --region ${arnRegion}.`,
    );
  }
  return { secretId, region: region ?? arnRegion };
}

function checkSecretId(raw: string): string {
  if (raw.trim() === '') throw usageError('The secret id is empty.', 'Pass a secret name or ARN.');
  if (raw !== raw.trim()) {
    throw usageError(
      `The secret id has leading or trailing spaces: "${printable(raw)}".`,
      'Secret names cannot start or end with a space; check the quoting.',
    );
  }
  if (INVISIBLE.test(raw)) {
    throw usageError(
      `The secret id holds control or non-UTF-8 characters: "${printable(raw)}".`,
      'Retype it; copy-paste from some terminals adds invisible characters.',
    );
  }
  if (raw.length > MAX_SECRET_ID) {
    throw usageError(`The secret id is ${raw.length} characters; the limit is ${MAX_SECRET_ID}.`);
  }
  return raw;
}

export function checkRegion(region: string, where: string): string {
  if (!REGION_RE.test(region)) {
    throw usageError(
      `Not an AWS region in ${where}: "${printable(region)}".`,
      'Regions look like us-east-1 or eu-west-2.',
    );
  }
  return region;
}

export function checkEndpoint(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError(
      `Not a URL: --endpoint-url "${printable(url)}".`,
      'Example: --endpoint-url http://127.0.0.1:5000',
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw usageError(`--endpoint-url must be http or https, not ${parsed.protocol}`);
  }
  return url;
}

/** Shows invisible characters as escapes so an error message cannot hide them. */
export function printable(text: string): string {
  const shown = text.length > 120 ? `${text.slice(0, 117)}...` : text;
  return shown.replace(INVISIBLE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
