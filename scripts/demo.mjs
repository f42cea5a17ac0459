#!/usr/bin/env node
// npm run demo: try rotctl on a stuck rotation without an AWS account. Starts a private
// moto_server (a local AWS emulator) on 127.0.0.1, seeds a secret whose rotation is stuck
// with a pending value, runs `rotctl cancel` against it, and always stops moto afterwards.
// Everything is fake: test credentials, no AWS config files, obviously made-up values.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECRET = 'app/db-credentials';
const REGION = 'us-east-1';
const NO_AWS_FILE = path.join(os.tmpdir(), 'rotctl-demo-no-such-dir', 'aws-config');
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

/** The demo's own AWS settings; no variable from the caller's AWS setup is passed on. */
function demoEnv() {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')),
  );
  return {
    ...env,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: REGION,
    AWS_CONFIG_FILE: NO_AWS_FILE,
    AWS_SHARED_CREDENTIALS_FILE: NO_AWS_FILE,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

function fail(message) {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(1);
}

function checkPrerequisites() {
  const found = spawnSync('sh', ['-c', 'command -v moto_server'], { stdio: 'ignore' });
  if (found.status !== 0) {
    fail(
      'moto_server is not on PATH. The demo runs rotctl against moto, a local AWS ' +
        "emulator.\nInstall it with: pip install 'moto[server]'   (then run npm run demo again)",
    );
  }
  if (!existsSync(path.join(REPO, 'dist', 'cli.js'))) {
    fail('rotctl is not built yet. Run: npm run demo   (it builds first)');
  }
}

// ---------------------------------------------------------------------------------------
// moto_server: start on a free loopback port, stop by PID

/** Spawns moto; motoReady() then waits for the address it prints. */
function spawnMoto(env) {
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', '0'], {
    // Its own process group: a Ctrl-C meant for rotctl must not take the emulator down.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  return { child, endpoint: '', output: '' };
}

function motoReady(moto) {
  const { child } = moto;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(motoError(moto, 'did not start in 20 s')),
      START_TIMEOUT_MS,
    );
    const onData = (chunk) => {
      // Always drained, so moto never blocks on a full pipe; only the tail is kept.
      moto.output = (moto.output + chunk.toString()).slice(-4000);
      const m = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(moto.output);
      if (m && !moto.endpoint) {
        moto.endpoint = m[1];
        clearTimeout(timer);
        resolve(moto.endpoint);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (err) => reject(motoError(moto, `could not start: ${err.message}`)));
    child.once('exit', (code) => reject(motoError(moto, `exited early (code ${code})`)));
  });
}

function motoError(moto, why) {
  return new Error(`moto_server ${why}\n${moto.output.trim()}`);
}

function stopMoto(moto) {
  const { child } = moto;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => signal(child.pid, 'SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    signal(child.pid, 'SIGTERM');
  });
}

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

// ---------------------------------------------------------------------------------------
// Seeding: IAM role and Lambda by plain HTTP, the secret with the AWS SDK

async function post(url, headers, body) {
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${url} -> HTTP ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

/** moto routes by the service named in the SigV4 scope and does not check signatures. */
function auth(service) {
  return (
    `AWS4-HMAC-SHA256 Credential=test/20260101/${REGION}/${service}/aws4_request, ` +
    'SignedHeaders=host, Signature=0'
  );
}

async function createRotationLambda(endpoint) {
  const role = await post(
    `${endpoint}/`,
    { 'content-type': 'application/x-www-form-urlencoded', authorization: auth('iam') },
    new URLSearchParams({
      Action: 'CreateRole',
      Version: '2010-05-08',
      RoleName: 'demo-rotation-role',
      AssumeRolePolicyDocument: '{}',
    }),
  );
  const roleArn = /<Arn>([^<]+)<\/Arn>/.exec(role)?.[1];
  if (!roleArn) throw new Error(`IAM CreateRole returned no ARN: ${role.slice(0, 300)}`);
  const fn = await post(
    `${endpoint}/2015-03-31/functions`,
    { 'content-type': 'application/json', authorization: auth('lambda') },
    JSON.stringify({
      FunctionName: 'app-db-rotation',
      Runtime: 'python3.12',
      Role: roleArn,
      Handler: 'lambda_function.lambda_handler',
      Code: { ZipFile: 'UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==' }, // an empty zip: moto runs nothing
    }),
  );
  return JSON.parse(fn).FunctionArn;
}

const credential = (password) => JSON.stringify({ username: 'app', password });

/** A=AWSCURRENT, B=AWSPREVIOUS, P=AWSPENDING with a value; rotation on with a Lambda. */
async function seedStuckSecret(endpoint) {
  await post(
    `${endpoint}/moto-api/config`,
    { 'content-type': 'application/json' },
    JSON.stringify({ lambda: { use_docker: false } }),
  );
  const lambdaArn = await createRotationLambda(endpoint);
  const sm = await import('@aws-sdk/client-secrets-manager');
  const client = new sm.SecretsManagerClient({
    region: REGION,
    endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const ids = { A: randomUUID(), B: randomUUID(), P: randomUUID() };
  try {
    await client.send(
      new sm.CreateSecretCommand({
        Name: SECRET,
        ClientRequestToken: ids.B,
        SecretString: credential('demo-password-old'),
        Description: 'rotctl demo: a database credential whose rotation got stuck',
      }),
    );
    await client.send(
      new sm.PutSecretValueCommand({
        SecretId: SECRET,
        ClientRequestToken: ids.A,
        SecretString: credential('demo-password-current'),
      }),
    );
    await client.send(
      new sm.RotateSecretCommand({
        SecretId: SECRET,
        RotationLambdaARN: lambdaArn,
        ClientRequestToken: ids.P,
        RotationRules: { AutomaticallyAfterDays: 30 },
        RotateImmediately: false,
      }),
    );
    await client.send(
      new sm.PutSecretValueCommand({
        SecretId: SECRET,
        ClientRequestToken: ids.P,
        SecretString: credential('demo-password-new'),
        VersionStages: ['AWSPENDING'],
      }),
    );
    await checkSeeded(client, sm, ids);
  } finally {
    client.destroy();
  }
  return { lambdaArn, ids };
}

/** Fail loudly if this moto version did not produce the stuck state. */
async function checkSeeded(client, sm, ids) {
  const list = await client.send(new sm.ListSecretVersionIdsCommand({ SecretId: SECRET }));
  const labels = Object.fromEntries(
    (list.Versions ?? []).map((v) => [v.VersionId, (v.VersionStages ?? []).join(',')]),
  );
  const want = { [ids.A]: 'AWSCURRENT', [ids.B]: 'AWSPREVIOUS', [ids.P]: 'AWSPENDING' };
  if (Object.entries(want).some(([id, label]) => labels[id] !== label)) {
    throw new Error(`seeding gave unexpected labels: ${JSON.stringify(labels)}`);
  }
}

/** Word-wraps a paragraph to `width` columns. */
function wrap(text, width = 88) {
  const lines = [''];
  for (const word of text.split(/\s+/)) {
    const last = lines.length - 1;
    if (lines[last] && lines[last].length + word.length >= width) lines.push(word);
    else lines[last] = lines[last] ? `${lines[last]} ${word}` : word;
  }
  return lines.join('\n');
}

function describeSetup(endpoint, lambdaArn, interactive) {
  const next = interactive
    ? 'rotctl now explains the state and asks what to do; nothing changes until you say yes.'
    : 'There is no terminal to ask on, so rotctl runs with --dry-run: it reads, and writes ' +
      'nothing.';
  const text =
    `Demo: moto_server (a local fake AWS) is running at ${endpoint} with one ` +
    `secret, ${SECRET} in ${REGION}, whose rotation is stuck: the rotation Lambda ` +
    `${lambdaArn.split(':').pop()} stored a new value on a pending version, but AWSCURRENT ` +
    'is still on the old one and AWSPREVIOUS on an older one. While AWSPENDING stays, every ' +
    `rotation fails. Credentials are test/test; no AWS config file is read. ${next}`;
  process.stdout.write(`${wrap(text)}\n\n`);
}

// ---------------------------------------------------------------------------------------
// Running rotctl

/** Runs rotctl on the demo's terminal; `state.rotctl` holds the child while it runs. */
function runRotctl(endpoint, interactive, env, state) {
  const args = ['cancel', SECRET, '--endpoint-url', endpoint];
  if (!interactive) args.push('--dry-run');
  process.stdout.write(`$ rotctl ${args.join(' ')}\n\n`);
  const child = spawn(process.execPath, [path.join(REPO, 'bin', 'rotctl.js'), ...args], {
    stdio: 'inherit',
    env,
    cwd: REPO,
  });
  state.rotctl = child;
  return new Promise((resolve) => {
    child.once('error', (err) => {
      process.stderr.write(`demo: could not run rotctl: ${err.message}\n`);
      resolve(1);
    });
    child.once('exit', (code, sig) => resolve(code ?? signalExitCode(sig)));
  }).finally(() => {
    state.rotctl = undefined;
  });
}

/** Ctrl-C reaches rotctl from the terminal itself; other signals are passed on to it. */
function onSignal(state, sig) {
  if (state.rotctl) {
    if (sig !== 'SIGINT') signal(state.rotctl.pid, sig);
    return;
  }
  if (state.interrupted) return;
  state.interrupted = sig;
  process.stderr.write('\ndemo: interrupted; stopping moto_server.\n');
  const stopped = state.moto ? stopMoto(state.moto) : Promise.resolve();
  void stopped.then(() => process.exit(signalExitCode(sig)));
}

const signalExitCode = (sig) => 128 + (os.constants.signals[sig] ?? 0);

function useDemoEnv() {
  const env = demoEnv();
  for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
  Object.assign(process.env, env);
  return env;
}

async function main() {
  checkPrerequisites();
  const env = useDemoEnv();
  const state = { moto: undefined, rotctl: undefined, interrupted: undefined };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => onSignal(state, sig));
  process.once('exit', () => {
    if (state.moto) signal(state.moto.child.pid, 'SIGTERM');
  });
  try {
    state.moto = spawnMoto(env);
    const endpoint = await motoReady(state.moto);
    const { lambdaArn } = await seedStuckSecret(endpoint);
    const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
    describeSetup(endpoint, lambdaArn, interactive);
    const code = await runRotctl(endpoint, interactive, env, state);
    if (interactive || code !== 3) return code;
    // Without a terminal, stopping for a decision (exit 3) is rotctl doing its job.
    process.stdout.write(
      '\nrotctl stopped for a decision, as it must without a terminal. ' +
        'Run `npm run demo` in a terminal to choose and repair.\n',
    );
    return 0;
  } catch (err) {
    if (state.interrupted) return signalExitCode(state.interrupted);
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    if (state.moto) await stopMoto(state.moto);
  }
}

process.exitCode = await main();
