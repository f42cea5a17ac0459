// Packaging: the npm tarball holds only what a user needs, and a tarball packed from a clean
// checkout (no dist/) installs into an empty folder and runs from there against moto.
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ListSecretVersionIdsCommand } from '@aws-sdk/client-secrets-manager';
import { client, useMoto } from './helpers/moto.js';
import { seedC02 } from './helpers/seed.js';
import { REPO_ROOT, run, shown, type Ran } from './fixtures/run.js';

const NPM = 'npm';
/** What a user of the CLI needs; npm always adds package.json (and README/LICENSE). */
const ALLOWED = /^(bin\/rotctl\.js|dist\/.+|README\.md|package\.json|LICEN[CS]E(\.md|\.txt)?)$/;
const NEEDED = ['bin/rotctl.js', 'dist/cli.js', 'package.json', 'README.md'];
/** Never copied into the clean checkout: build output, installs, local clutter. */
const NOT_CHECKED_OUT = new Set(['node_modules', 'dist', '.git', '.tmp']);
const INSTALL_TIMEOUT_MS = 240_000;

const pkg = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  version: string;
};

function npm(args: string[], cwd: string, timeoutMs = INSTALL_TIMEOUT_MS): Promise<Ran> {
  // No colour, no update check, no progress bar: plain output for the assertion messages.
  const env = { npm_config_update_notifier: 'false', npm_config_progress: 'false' };
  return run(NPM, args, { cwd, env, timeoutMs });
}

test('npm pack lists only bin/, dist/, README.md, package.json (and LICENSE)', async () => {
  // --ignore-scripts: a prepack build must not rewrite the dist/ other test files are using.
  const r = await npm(['pack', '--dry-run', '--json', '--ignore-scripts'], REPO_ROOT, 60_000);
  assert.equal(r.code, 0, shown(r));
  const [entry] = JSON.parse(r.stdout) as { files: { path: string }[] }[];
  const files = (entry?.files ?? []).map((f) => f.path).sort();
  const extra = files.filter((f) => !ALLOWED.test(f));
  assert.deepEqual(extra, [], `files a user does not need: ${extra.join(', ')}`);
  for (const f of NEEDED) assert.ok(files.includes(f), `${f} missing from ${files.join(', ')}`);
});

/** Copy the working tree minus build output and installs; borrow node_modules for tsc. */
async function cleanCheckout(into: string): Promise<void> {
  await cp(REPO_ROOT, into, {
    recursive: true,
    filter: (src) => {
      const rel = path.relative(REPO_ROOT, src);
      return !NOT_CHECKED_OUT.has(rel.split(path.sep)[0] ?? '') && !rel.endsWith('.tgz');
    },
  });
  await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(into, 'node_modules'), 'dir');
}

/** `npm pack` in a clean checkout; returns the tarball's path and its file list. */
async function packClean(tmp: string): Promise<{ tgz: string; files: string[] }> {
  const checkout = path.join(tmp, 'checkout');
  const dest = path.join(tmp, 'pack');
  await cleanCheckout(checkout);
  await mkdir(dest);
  const packed = await npm(['pack', '--pack-destination', dest], checkout);
  assert.equal(packed.code, 0, shown(packed));
  const tgzs = (await readdir(dest)).filter((f) => f.endsWith('.tgz'));
  assert.equal(tgzs.length, 1, `tarballs in ${dest}: ${tgzs.join(', ')}\n${shown(packed)}`);
  const tgz = path.join(dest, tgzs[0] ?? '');
  const listed = await run('tar', ['-tzf', tgz]);
  assert.equal(listed.code, 0, shown(listed));
  const files = listed.stdout
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
  return { tgz, files };
}

/** Labels by version id, read straight from moto. */
async function labels(endpoint: string, arn: string): Promise<Record<string, string[]>> {
  const sm = client(endpoint);
  try {
    const out = await sm.send(new ListSecretVersionIdsCommand({ SecretId: arn }));
    return Object.fromEntries(
      (out.Versions ?? []).map((v) => [v.VersionId ?? '?', [...(v.VersionStages ?? [])].sort()]),
    );
  } finally {
    sm.destroy();
  }
}

async function runInstalled(app: string, endpoint: string): Promise<void> {
  const bin = path.join(app, 'node_modules', '.bin', 'rotctl');
  const version = await run(bin, ['--version'], { cwd: app });
  assert.equal(version.code, 0, shown(version));
  assert.equal(version.stdout.trim(), pkg.version, shown(version));
  const help = await run(bin, ['--help'], { cwd: app });
  assert.equal(help.code, 0, shown(help));
  assert.match(help.stdout, /Usage: rotctl/, shown(help));
  const seeded = await seedC02(endpoint);
  const before = await labels(endpoint, seeded.arn);
  const dry = await run(bin, ['cancel', seeded.name, '--dry-run', '--endpoint-url', endpoint], {
    cwd: app,
  });
  // C02's pending version is a value-less placeholder: one safe plan, so exit 0.
  assert.equal(dry.code, 0, shown(dry));
  assert.match(dry.stdout, /Dry run: nothing was written/, shown(dry));
  assert.deepEqual(await labels(endpoint, seeded.arn), before, 'the dry run changed labels');
}

describe('installed from the tarball', () => {
  const moto = useMoto();

  test(
    'a clean checkout packs dist/, installs into an empty folder and runs',
    { ...moto.options, timeout: INSTALL_TIMEOUT_MS + 60_000 },
    async () => {
      const { endpoint } = moto();
      const tmp = await mkdtemp(path.join(os.tmpdir(), 'rotctl-package-'));
      try {
        const { tgz, files } = await packClean(tmp);
        for (const f of NEEDED) {
          assert.ok(
            files.includes(f),
            `${f} is not in the tarball of a clean checkout ` +
              `(does package.json build dist/ in a prepack script?): ${files.join(', ')}`,
          );
        }
        const app = path.join(tmp, 'app');
        await mkdir(app);
        const installed = await npm(['install', tgz, '--no-audit', '--no-fund'], app);
        assert.equal(installed.code, 0, shown(installed));
        await runInstalled(app, endpoint);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    },
  );
});
