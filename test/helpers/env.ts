// Environment for anything the tests run against moto: child processes (the rotctl CLI)
// and in-process SDK clients. The goal is that no test can ever pick up a developer's
// real AWS profile, credentials, region or endpoint override.
import os from 'node:os';
import path from 'node:path';

// A path under the temp dir that is never created, so the SDK finds no config there.
const NO_SUCH_DIR = path.join(os.tmpdir(), 'rotctl-test-no-such-dir');
export const MISSING_AWS_FILE = path.join(NO_SUCH_DIR, 'aws-config-does-not-exist');

// Fixed values every test process gets.
const FIXED: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AWS_CONFIG_FILE: MISSING_AWS_FILE,
  AWS_SHARED_CREDENTIALS_FILE: MISSING_AWS_FILE,
  // The SDK must never fall back to the instance metadata service.
  AWS_EC2_METADATA_DISABLED: 'true',
  NO_COLOR: '1',
};

// Exact names that would let the SDK reach real accounts or override our settings.
const DROP_EXACT = new Set([
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_DEFAULT_REGION',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CREDENTIAL_EXPIRATION',
  // chalk honours FORCE_COLOR over NO_COLOR; output assertions need plain text.
  'FORCE_COLOR',
]);

// Prefixes: AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>, container credential URIs.
const DROP_PREFIXES = ['AWS_ENDPOINT_URL', 'AWS_CONTAINER_'];

function isDropped(key: string): boolean {
  return DROP_EXACT.has(key) || DROP_PREFIXES.some((p) => key.startsWith(p));
}

function withoutDropped(source: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(source)) {
    if (!isDropped(key)) out[key] = value;
  }
  return out;
}

/**
 * A full environment for a child process: the parent's env minus anything that could
 * point at real AWS, plus fixed test credentials. `extra` wins over everything; an
 * `undefined` value in `extra` removes that variable.
 */
export function testEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...withoutDropped(process.env), ...FIXED };
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/**
 * Make `process.env` itself safe for in-process SDK clients: same removals and fixed
 * values as `testEnv()`. Idempotent.
 */
export function applyTestEnv(extra: NodeJS.ProcessEnv = {}): void {
  const wanted = testEnv(extra);
  for (const key of Object.keys(process.env)) {
    if (!(key in wanted)) delete process.env[key];
  }
  Object.assign(process.env, wanted);
}
