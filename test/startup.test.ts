// Startup footprint: the light commands never load the heavy dependencies, and one cancel
// stays within its request budget. No timing is asserted anywhere (see scripts/bench.mjs).
// Which modules a process loads is recorded by test/fixtures/trace-imports.mjs: ESM resolves
// through a module.register() hook, CommonJS files from require.cache at exit.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
} from '@aws-sdk/client-secrets-manager';
import { startFaultProxy } from './helpers/fault-proxy.js';
import { client, useMoto } from './helpers/moto.js';
import { seedC01 } from './helpers/seed.js';
import { BIN, REPO_ROOT, rotctl, run, shown, TRACER, type Ran } from './fixtures/run.js';

/** Packages only the commands that talk to AWS or to a person may load. */
const HEAVY = [/^@aws-sdk\//, /^@aws\//, /^@smithy\//, /^@inquirer\//, /^ora$/, /^chalk$/];
/** The budget for `cancel S --yes --rollback` on a stuck secret. */
const MAX_REQUESTS = 7;

const pkg = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  version: string;
};

/** Package name of a module path ("@smithy/core", "ora"), or undefined outside node_modules. */
function packageOf(entry: string): string | undefined {
  const names = [...entry.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)];
  return names.at(-1)?.[1];
}

interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}

/**
 * dist/ is an esbuild bundle split in chunks; .build/meta.json (written by npm run build) says
 * which packages each chunk holds, so loading a chunk counts as loading those packages.
 */
const meta = JSON.parse(
  await readFile(path.join(REPO_ROOT, '.build', 'meta.json'), 'utf8'),
) as Metafile;

function packagesOf(entry: string): string[] {
  const direct = packageOf(entry);
  if (direct) return [direct];
  const chunk = /\/(dist\/.+\.js)$/.exec(entry)?.[1];
  const inputs = chunk ? Object.keys(meta.outputs[chunk]?.inputs ?? {}) : [];
  return inputs.map(packageOf).filter((p) => p !== undefined);
}

interface Traced {
  ran: Ran;
  /** Every line of the trace: "esm <url>" or "cjs <path>". */
  entries: string[];
  /** Distinct packages loaded from node_modules. */
  packages: string[];
}

/** Run rotctl with the import tracer preloaded. */
async function traced(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Traced> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rotctl-trace-'));
  const file = path.join(dir, 'trace.txt');
  try {
    const ran = await run(process.execPath, ['--import', TRACER, BIN, ...args], {
      env: { ...env, ROTCTL_TRACE_FILE: file },
    });
    const entries = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    const packages = [...new Set(entries.flatMap(packagesOf))];
    return { ran, entries, packages: packages.sort() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function heavyIn(packages: readonly string[]): string[] {
  return packages.filter((p) => HEAVY.some((re) => re.test(p)));
}

/** The tracer saw this run at all: the CLI entry and commander are in the trace. */
function assertTraced(t: Traced): void {
  const summary = `trace:\n${t.entries.join('\n')}\n${shown(t.ran)}`;
  assert.ok(
    t.entries.some((e) => e.includes('/dist/cli.js')),
    `dist/cli.js missing, ${summary}`,
  );
  assert.ok(t.packages.includes('commander'), `commander missing, ${summary}`);
}

/** A loopback port that was free a moment ago and has nothing listening now. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Light {
  args: string[];
  check: (r: Ran) => void;
  /** Answered without loading dist/ (nor commander). */
  bare?: boolean;
}

const LIGHT: Light[] = [
  // --version is answered by bin/rotctl.js from package.json before dist/ is loaded at all.
  {
    args: ['--version'],
    check: (r) => assert.equal(r.stdout.trim(), pkg.version, shown(r)),
    bare: true,
  },
  { args: ['--help'], check: (r) => assert.match(r.stdout, /Usage: rotctl/, shown(r)) },
  { args: ['cancel', '--help'], check: (r) => assert.match(r.stdout, /--rollback/, shown(r)) },
  {
    args: ['completion', 'bash'],
    check: (r) => assert.match(r.stdout, /complete -F _rotctl rotctl/, shown(r)),
  },
];

describe('light commands load no AWS SDK, prompt, spinner or colour library', () => {
  for (const { args, check, bare } of LIGHT) {
    test(`rotctl ${args.join(' ')}`, async () => {
      const t = await traced(args);
      assert.equal(t.ran.code, 0, shown(t.ran));
      check(t.ran);
      if (bare)
        assert.ok(
          t.entries.some((e) => e.endsWith('/bin/rotctl.js')),
          t.entries.join('\n'),
        );
      else assertTraced(t);
      assert.deepEqual(heavyIn(t.packages), [], `loaded: ${t.packages.join(', ')}`);
    });
  }

  test('positive control: a cancel that reaches for AWS does load @aws-sdk', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const t = await traced(['cancel', 'x', '--dry-run', '--endpoint-url', endpoint], {
      ROTCTL_MAX_ATTEMPTS: '1',
    });
    // Nothing listens there: a transient failure (7), after the SDK was loaded and used.
    assert.equal(t.ran.code, 7, shown(t.ran));
    assert.match(t.ran.stderr, /ECONNREFUSED/, shown(t.ran));
    assertTraced(t);
    const heavy = heavyIn(t.packages);
    assert.ok(heavy.includes('@aws-sdk/client-secrets-manager'), `loaded: ${heavy.join(', ')}`);
    assert.ok(
      heavy.some((p) => p.startsWith('@smithy/')),
      `loaded: ${heavy.join(', ')}`,
    );
  });
});

describe('one cancel --yes --rollback on a stuck secret (C01)', () => {
  const moto = useMoto();

  test(
    `sends at most ${MAX_REQUESTS} HTTP requests and repairs the labels`,
    moto.options,
    async () => {
      const { endpoint } = moto();
      const seeded = await seedC01(endpoint);
      const proxy = await startFaultProxy(endpoint);
      try {
        const args = ['cancel', seeded.name, '--yes', '--rollback'];
        const r = await rotctl([...args, '--endpoint-url', proxy.endpoint]);
        assert.equal(r.code, 0, shown(r));
        const ops = proxy.log.map((e) => e.target).join(' ');
        assert.ok(proxy.count() <= MAX_REQUESTS, `${proxy.count()} requests: ${ops}`);
        assert.equal(proxy.count('CancelRotateSecret'), 1, ops);
        assert.equal(proxy.count('UpdateSecretVersionStage'), 1, ops);
      } finally {
        await proxy.close();
      }
      await assertRolledBack(endpoint, seeded.arn, seeded.versions.A);
    },
  );
});

/** No version holds AWSPENDING, AWSCURRENT stayed on A, rotation is off. */
async function assertRolledBack(endpoint: string, arn: string, current: string | undefined) {
  const sm = client(endpoint);
  try {
    const list = await sm.send(new ListSecretVersionIdsCommand({ SecretId: arn }));
    const holders = (label: string): string[] =>
      (list.Versions ?? [])
        .filter((v) => v.VersionStages?.includes(label))
        .map((v) => v.VersionId ?? '?');
    assert.deepEqual(holders('AWSPENDING'), [], 'AWSPENDING is still attached');
    assert.deepEqual(holders('AWSCURRENT'), [current], 'AWSCURRENT moved');
    const described = await sm.send(new DescribeSecretCommand({ SecretId: arn }));
    assert.notEqual(described.RotationEnabled, true, 'rotation still enabled');
  } finally {
    sm.destroy();
  }
}
