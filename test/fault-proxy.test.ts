// Proves each fault mode of test/helpers/fault-proxy.ts against a real moto_server on loopback.
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { denyMessage, startFaultProxy } from './helpers/fault-proxy.js';
import type { FaultProxy } from './helpers/fault-proxy.js';

// Keep the SDK away from any real AWS config/credentials on this machine.
const NO_CONFIG = join(tmpdir(), `rotctl-fault-proxy-${process.pid}-none`, 'missing');
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.AWS_CONFIG_FILE = NO_CONFIG;
process.env.AWS_SHARED_CREDENTIALS_FILE = NO_CONFIG;

const SECRET = 'app/db';
const T1 = '00000001-0000-4000-8000-000000000000';
const T2 = '00000002-0000-4000-8000-000000000000';
const USVS = 'UpdateSecretVersionStage';

type SdkError = Error & {
  code?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
};

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Awaits p and returns its rejection; fails the test if p resolves. */
async function failure(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (err) {
    return err as SdkError;
  }
  return assert.fail('expected the call to fail');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- moto_server lifecycle (one per file, §2.6 of the test-infra notes) ----

interface Moto {
  proc: ChildProcess;
  endpoint: string;
}

function startMoto(): Promise<Moto> {
  const proc = spawn('moto_server', ['-H', '127.0.0.1', '-p', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => fail(new Error(`moto did not start in 15 s: ${seen}`)), 15_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      proc.kill('SIGTERM');
      reject(err);
    };
    // Keep draining both pipes after startup: moto logs every request, and a full pipe blocks it.
    const onData = (chunk: Buffer): void => {
      seen = (seen + chunk.toString()).slice(-2000);
      const m = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({ proc, endpoint: m[1] });
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('error', fail);
    proc.once('exit', (code) => fail(new Error(`moto_server exited early (${code}): ${seen}`)));
  });
}

async function stopMoto(moto: Moto | undefined): Promise<void> {
  const pid = moto?.proc.pid;
  if (moto === undefined || pid === undefined || moto.proc.exitCode !== null) return;
  const exited = new Promise((r) => moto.proc.once('exit', r));
  process.kill(pid, 'SIGTERM');
  await exited;
}

// ---- the non-moto checks ----

describe('fault proxy setup', () => {
  test('refuses any upstream that is not plain http on loopback', async () => {
    for (const bad of [
      'http://example.com:80',
      'http://10.0.0.1:5000',
      'http://169.254.169.254',
      'http://127.0.0.2:5000',
      'https://127.0.0.1:5000',
    ]) {
      await assert.rejects(startFaultProxy(bad), /upstream must be http on 127\.0\.0\.1/, bad);
    }
  });

  test('listens on 127.0.0.1 only and validates faults in add()', async () => {
    // Port 9 (discard) on loopback: nothing is sent there, the proxy only needs a valid upstream.
    for (const up of ['http://127.0.0.1:9', 'http://localhost:9', 'http://[::1]:9']) {
      const p = await startFaultProxy(up);
      try {
        assert.match(p.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
        assert.throws(() => p.add({ mode: 'http500', times: 0 }), /times must be > 0/);
        assert.throws(() => p.add({ mode: 'hook' }), /needs hook/);
        assert.throws(() => p.add({ mode: 'delay', delayMs: -1 }), /delayMs/);
      } finally {
        await p.close();
      }
    }
  });
});

// ---- the fault modes, against moto ----

const motoMissing = !onPath('moto_server');
const skip =
  motoMissing && !process.env.CI
    ? 'moto_server is not on PATH (moto 5.2.1 ships with the image); set CI=1 to make this fail'
    : false;

describe('fault proxy in front of moto_server', { skip }, () => {
  let moto: Moto | undefined;
  let proxy: FaultProxy;
  let direct: SecretsManagerClient;
  const clients: SecretsManagerClient[] = [];

  /** A client through the proxy; maxAttempts 1 unless a test is about retries. */
  function sm(extra: Partial<SecretsManagerClientConfig> = {}): SecretsManagerClient {
    const c = new SecretsManagerClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      endpoint: proxy.endpoint,
      maxAttempts: 1,
      ...extra,
    });
    clients.push(c);
    return c;
  }

  /** Labels per version, read from moto directly so the proxy log stays untouched. */
  async function labels(): Promise<Record<string, string[]>> {
    const out = await direct.send(new ListSecretVersionIdsCommand({ SecretId: SECRET }));
    return Object.fromEntries((out.Versions ?? []).map((v) => [v.VersionId, v.VersionStages]));
  }

  /** T1 = AWSCURRENT, T2 = AWSPENDING, written straight to moto. */
  async function stuckSecret(): Promise<void> {
    await direct.send(
      new CreateSecretCommand({
        Name: SECRET,
        SecretString: 'old',
        ClientRequestToken: T1,
      }),
    );
    await direct.send(
      new PutSecretValueCommand({
        SecretId: SECRET,
        SecretString: 'new',
        ClientRequestToken: T2,
        VersionStages: ['AWSPENDING'],
      }),
    );
  }

  const removePending = (): UpdateSecretVersionStageCommand =>
    new UpdateSecretVersionStageCommand({
      SecretId: SECRET,
      VersionStage: 'AWSPENDING',
      RemoveFromVersionId: T2,
    });

  before(async () => {
    if (motoMissing) throw new Error('moto_server is not on PATH and CI is set');
    moto = await startMoto();
    proxy = await startFaultProxy(moto.endpoint);
    direct = new SecretsManagerClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      endpoint: moto.endpoint,
      maxAttempts: 1,
    });
  });

  after(async () => {
    for (const c of clients) c.destroy();
    direct?.destroy();
    await proxy?.close();
    await stopMoto(moto);
  });

  beforeEach(async () => {
    const res = await fetch(`${moto?.endpoint}/moto-api/reset`, { method: 'POST' });
    assert.equal(res.status, 200);
    proxy.clear();
  });

  afterEach(() => proxy.clear());

  test('forwards unfaulted requests and logs each with its op name and JSON body', async () => {
    const c = sm();
    await c.send(new CreateSecretCommand({ Name: SECRET, SecretString: 'v' }));
    const got = await c.send(new GetSecretValueCommand({ SecretId: SECRET }));
    assert.equal(got.SecretString, 'v');
    assert.deepEqual(
      proxy.log.map((e) => [e.target, e.fault]),
      [
        ['CreateSecret', null],
        ['GetSecretValue', null],
      ],
    );
    assert.equal(proxy.log[0]?.body.Name, SECRET);
    assert.deepEqual(proxy.log[1]?.body, { SecretId: SECRET });
    assert.equal(proxy.count(), 2);
    assert.equal(proxy.count('GetSecretValue'), 1);
    assert.equal(proxy.count('DescribeSecret'), 0);
  });

  test('throttle: HTTP 400 ThrottlingException once by default, then passes', async () => {
    await stuckSecret();
    const c = sm();
    proxy.add({ target: 'GetSecretValue', mode: 'throttle' });
    const err = await failure(c.send(new GetSecretValueCommand({ SecretId: SECRET })));
    assert.equal(err.name, 'ThrottlingException');
    assert.equal(err.message, 'Rate exceeded');
    assert.equal(err.$metadata?.httpStatusCode, 400);
    const again = await c.send(new GetSecretValueCommand({ SecretId: SECRET }));
    assert.equal(again.SecretString, 'old');
    assert.deepEqual(
      proxy.log.map((e) => e.fault),
      ['throttle', null],
    );
  });

  test('http500 / 503: server faults the SDK names; default retries recover', async () => {
    await stuckSecret();
    const describe1 = new DescribeSecretCommand({ SecretId: SECRET });
    proxy.add({ mode: 'http500' }, { mode: '503' });
    const e500 = await failure(sm().send(describe1));
    assert.deepEqual(
      [e500.name, e500.$fault, e500.$metadata?.httpStatusCode],
      ['InternalServiceError', 'server', 500],
    );
    const e503 = await failure(sm().send(describe1));
    assert.deepEqual([e503.name, e503.$metadata?.httpStatusCode], ['ServiceUnavailable', 503]);

    proxy.clear();
    proxy.add({ target: 'DescribeSecret', mode: 'http500' });
    const ok = await sm({ maxAttempts: 3 }).send(describe1);
    assert.equal(ok.Name, SECRET);
    assert.equal(ok.$metadata.attempts, 2);
    assert.equal(proxy.count('DescribeSecret'), 2);
    assert.deepEqual(
      proxy.log.map((e) => e.fault),
      ['http500', null],
    );
  });

  test('times counts matching requests only; Infinity lasts until clear()', async () => {
    await stuckSecret();
    const c = sm();
    const describe1 = new DescribeSecretCommand({ SecretId: SECRET });
    proxy.add({ target: 'DescribeSecret', mode: 'http500', times: 2 });
    await c.send(new GetSecretValueCommand({ SecretId: SECRET })); // other op: untouched
    await failure(c.send(describe1));
    await failure(c.send(describe1));
    await c.send(describe1);
    assert.deepEqual(
      proxy.log.map((e) => `${e.target}:${e.fault}`),
      [
        'GetSecretValue:null',
        'DescribeSecret:http500',
        'DescribeSecret:http500',
        'DescribeSecret:null',
      ],
    );

    proxy.add({ mode: '503', times: Infinity });
    for (let i = 0; i < 5; i++) {
      assert.equal((await failure(c.send(describe1))).name, 'ServiceUnavailable');
    }
    assert.equal(proxy.count('DescribeSecret'), 8);
    proxy.clear();
    assert.equal(proxy.count(), 0);
    await c.send(describe1);
    assert.deepEqual(
      proxy.log.map((e) => e.fault),
      [null],
    );
  });

  test('match: only requests whose JSON body matches are faulted', async () => {
    await stuckSecret();
    await direct.send(new CreateSecretCommand({ Name: 'app/other', SecretString: 'x' }));
    const c = sm();
    proxy.add({ mode: 'deny', times: Infinity, match: (b) => b.SecretId === 'app/other' });
    await c.send(new DescribeSecretCommand({ SecretId: SECRET }));
    const err = await failure(c.send(new DescribeSecretCommand({ SecretId: 'app/other' })));
    assert.equal(err.name, 'AccessDeniedException');
    assert.deepEqual(
      proxy.log.map((e) => e.fault),
      [null, 'deny'],
    );
  });

  test('deny: AccessDeniedException naming op and secret; message overrides', async () => {
    await stuckSecret();
    const c = sm();
    proxy.add({ target: USVS, mode: 'deny' });
    const err = await failure(c.send(removePending()));
    assert.equal(err.name, 'AccessDeniedException');
    assert.equal(err.$metadata?.httpStatusCode, 400);
    assert.equal(
      err.message,
      'User: arn:aws:iam::123456789012:user/test is not authorized to ' +
        'perform: secretsmanager:UpdateSecretVersionStage on resource: app/db because no ' +
        'identity-based policy allows the secretsmanager:UpdateSecretVersionStage action',
    );
    assert.equal(err.message, denyMessage(USVS, { SecretId: SECRET }));
    assert.deepEqual((await labels())[T2], ['AWSPENDING'], 'a denied write is not forwarded');

    proxy.add({ target: 'GetSecretValue', mode: 'deny', message: 'Access to KMS is not allowed' });
    const kms = await failure(c.send(new GetSecretValueCommand({ SecretId: SECRET })));
    assert.deepEqual(
      [kms.name, kms.message],
      ['AccessDeniedException', 'Access to KMS is not allowed'],
    );
  });

  test('reset: the connection drops before moto sees the request', async () => {
    proxy.add({ target: 'CreateSecret', mode: 'reset' });
    const create = new CreateSecretCommand({ Name: SECRET, SecretString: 'v' });
    const err = await failure(sm().send(create));
    assert.equal(err.code, 'ECONNRESET');
    const gone = await failure(direct.send(new DescribeSecretCommand({ SecretId: SECRET })));
    assert.equal(gone.name, 'ResourceNotFoundException');
    assert.equal(proxy.count('CreateSecret'), 1);
  });

  test('reset-after: moto applies the write, the client sees a dropped connection', async () => {
    await stuckSecret();
    proxy.add({ target: USVS, mode: 'reset-after' });
    const err = await failure(sm().send(removePending()));
    assert.equal(err.code, 'ECONNRESET');
    assert.deepEqual(await labels(), { [T1]: ['AWSCURRENT'], [T2]: [] });
    assert.equal(proxy.count(USVS), 1);
  });

  test('reset-after + SDK retry: the applied label removal fails on retry', async () => {
    await stuckSecret();
    proxy.add({ target: USVS, mode: 'reset-after' });
    const err = await failure(sm({ maxAttempts: 3 }).send(removePending()));
    // The pitfall from the notes (§5): the state is as wanted, yet the call reports failure.
    assert.equal(err.name, 'InvalidParameterException');
    assert.match(err.message, /Version stage AWSPENDING not found/);
    assert.equal(err.$metadata?.attempts, 2);
    assert.deepEqual(
      proxy.log.map((e) => e.fault),
      ['reset-after', null],
    );
    assert.deepEqual((await labels())[T2], []);
  });

  test('delay: forwards after delayMs', async () => {
    await stuckSecret();
    proxy.add({ target: 'DescribeSecret', mode: 'delay', delayMs: 300 });
    const t0 = Date.now();
    const out = await sm().send(new DescribeSecretCommand({ SecretId: SECRET }));
    assert.ok(Date.now() - t0 >= 290, `took ${Date.now() - t0} ms`);
    assert.equal(out.Name, SECRET);
  });

  test('delay past a client timeout: the call fails, yet moto applies it later', async () => {
    await stuckSecret();
    proxy.add({ target: USVS, mode: 'delay', delayMs: 400 });
    const c = sm({ requestHandler: { requestTimeout: 150, throwOnRequestTimeout: true } });
    const t0 = Date.now();
    const err = await failure(c.send(removePending()));
    assert.equal(err.name, 'TimeoutError');
    assert.ok(Date.now() - t0 < 390, `failed after ${Date.now() - t0} ms, before the forward`);
    assert.deepEqual((await labels())[T2], ['AWSPENDING'], 'not forwarded yet');
    await sleep(600);
    assert.deepEqual((await labels())[T2], [], 'forwarded after the client gave up');
  });

  test('hang: never answers; a 300 ms request timeout ends the call within ~1 s', async () => {
    await stuckSecret();
    proxy.add({ target: USVS, mode: 'hang' });
    const c = sm({ requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true } });
    const t0 = Date.now();
    const err = await failure(c.send(removePending()));
    const took = Date.now() - t0;
    assert.equal(err.name, 'TimeoutError');
    assert.ok(took >= 290 && took < 1000, `took ${took} ms`);
    assert.deepEqual((await labels())[T2], ['AWSPENDING'], 'a hung request is never forwarded');
  });

  test('hook: awaited before the forward (a concurrent writer wins the race)', async () => {
    await stuckSecret();
    const events: string[] = [];
    proxy.add({
      target: USVS,
      mode: 'hook',
      hook: async () => {
        events.push(`hook sees T2=${JSON.stringify((await labels())[T2])}`);
        await direct.send(removePending()); // the other writer removes AWSPENDING first
        events.push('hook done');
      },
    });
    const err = await failure(sm().send(removePending()));
    // Had the request gone first, the hook's own removal would fail and the proxy answer 502.
    assert.equal(err.name, 'InvalidParameterException');
    assert.match(err.message, /Version stage AWSPENDING not found/);
    assert.deepEqual(events, ['hook sees T2=["AWSPENDING"]', 'hook done']);
    assert.deepEqual(
      proxy.log.map((e) => e.fault),
      ['hook'],
    );
  });

  test('a throwing hook is answered 502 FaultProxyError and nothing is forwarded', async () => {
    await stuckSecret();
    proxy.add({ target: USVS, mode: 'hook', hook: () => Promise.reject(new Error('boom')) });
    const err = await failure(sm().send(removePending()));
    assert.equal(err.name, 'FaultProxyError');
    assert.equal(err.$metadata?.httpStatusCode, 502);
    assert.match(err.message, /boom/);
    assert.deepEqual((await labels())[T2], ['AWSPENDING']);
  });

  test('close() ends hanging requests and pending delays, and stops listening', async () => {
    const own = await startFaultProxy(moto?.endpoint ?? '');
    const c = new SecretsManagerClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      endpoint: own.endpoint,
      maxAttempts: 1,
    });
    clients.push(c);
    own.add(
      { target: 'DescribeSecret', mode: 'hang' },
      { target: 'GetSecretValue', mode: 'delay', delayMs: 60_000 },
    );
    const hung = failure(c.send(new DescribeSecretCommand({ SecretId: SECRET })));
    const delayed = failure(c.send(new GetSecretValueCommand({ SecretId: SECRET })));
    for (let i = 0; own.count() < 2 && i < 200; i++) await sleep(10);
    assert.equal(own.count(), 2);
    const t0 = Date.now();
    const closing = own.close().then(() => true);
    const closed = await Promise.race([closing, sleep(1000).then(() => false)]);
    if (!closed) c.destroy(); // so a broken close() fails this test instead of hanging the file
    assert.ok(closed, 'close() did not finish within 1 s');
    await Promise.all([hung, delayed]);
    assert.ok(Date.now() - t0 < 1000, `close took ${Date.now() - t0} ms`);
    await own.close(); // idempotent
    await assert.rejects(fetch(own.endpoint), 'nothing listens after close()');
  });
});
