#!/usr/bin/env node
// rotctl speed and footprint benchmark (`npm run bench`, after `npm run build`).
// Starts its own moto_server on 127.0.0.1 (-p 0, stopped by PID at the end), seeds a fresh
// stuck secret (field case C01) for every cancel run, and runs each contender once per round
// in rotated order. Prints medians, the ratios and a markdown table for the README.
// Compares the shipped build (dist/: esbuild split bundle) with the same source compiled by
// tsc module by module into a temp dir (its node_modules a symlink to the repo's).
// It asserts nothing about time: it exits 1 only when a contender does not do its job.
//   BENCH_ROUNDS=15 (default)   rounds measured, after one warm-up round that is not counted
// Max RSS: `/usr/bin/time -f %M` around every process; without it, node contenders report
// process.resourceUsage().maxRSS through a preload and the AWS CLI gets no figure.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'rotctl.js');
const BARE_SDK = path.join(ROOT, 'test', 'fixtures', 'bare-sdk-cancel.mjs');
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 15) || 15);
const REGION = 'us-east-1';
const TIME = '/usr/bin/time';
const MAX_REQUESTS = 7;
const SHIPPED = 'dist bundle (shipped)';
const MODULES = 'modules (tsc)';

const helper = (rel) => tsImport(path.join(ROOT, 'test', 'helpers', rel), import.meta.url);
const { testEnv, applyTestEnv } = await helper('env.ts');
const { startMoto } = await helper('moto.ts');
const { seedC01 } = await helper('seed.ts');
const { startFaultProxy } = await helper('fault-proxy.ts');

// Children get test credentials, us-east-1, no AWS config files, no metadata service.
applyTestEnv();
const ENV = testEnv();

// ------------------------------------------------------------------------------------------
// Running one process and measuring it

function hasGnuTime() {
  if (!existsSync(TIME)) return false;
  return spawnSync(TIME, ['-f', '%M', 'true'], { stdio: 'ignore' }).status === 0;
}

const RSS_VIA = hasGnuTime() ? 'gnu-time' : 'preload';

/**
 * Runs argv; returns wall ms, max RSS in KiB (or NaN), exit status and output. Timed runs
 * use spawnSync (nothing else runs meanwhile); `async` keeps this process's event loop
 * free, for a child that talks to a server living in this process (the counting proxy).
 */
async function measure(argv, dir, { async = false } = {}) {
  const rssFile = path.join(dir, 'rss.txt');
  await rm(rssFile, { force: true });
  const full = wrap(argv, rssFile);
  const env = { ...ENV, BENCH_RSS_FILE: rssFile };
  const t0 = process.hrtime.bigint();
  const r = async
    ? await spawnAsync(full, env)
    : spawnSync(full[0], full.slice(1), { env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  const rss = Number((await readFile(rssFile, 'utf8').catch(() => '')).trim().split('\n').pop());
  return { ms, rssKiB: rss > 0 ? rss : NaN, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function spawnAsync(argv, env) {
  const child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (c) => {
    out.stdout += c;
  });
  child.stderr.on('data', (c) => {
    out.stderr += c;
  });
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ ...out, status: null, error }));
    child.once('close', (status) => resolve({ ...out, status }));
  });
}

function wrap(argv, rssFile) {
  if (RSS_VIA === 'gnu-time') return [TIME, '-f', '%M', '-o', rssFile, ...argv];
  if (argv[0] !== process.execPath) return argv;
  return [argv[0], '--import', path.join(path.dirname(rssFile), 'rss.mjs'), ...argv.slice(1)];
}

/** The preload used when GNU time is missing: writes this process's max RSS (KiB) at exit. */
const RSS_PRELOAD = `import { writeFileSync } from 'node:fs';
process.on('exit', () => writeFileSync(process.env.BENCH_RSS_FILE,
  String(process.resourceUsage().maxRSS)));\n`;

// ------------------------------------------------------------------------------------------
// Contenders: each returns { ms, rssKiB } or throws when the run did not do its job

function expectExit(r, code, what) {
  if (r.status === code) return r;
  throw new Error(`${what}: exit ${r.status}, expected ${code}\n${r.stdout}\n${r.stderr}`);
}

function simple(name, argv, check = () => {}) {
  return {
    name,
    run: async (ctx) => {
      const r = expectExit(await measure(argv, ctx.dir), 0, name);
      check(r);
      return r;
    },
  };
}

let seq = 0;
async function freshStuckSecret(ctx) {
  seq += 1;
  const seeded = await seedC01(ctx.endpoint, { name: `bench/stuck-${seq}` });
  return seeded.name;
}

function cancelWith(name, cliArgv) {
  return {
    name,
    cancel: true,
    run: async (ctx) => {
      const secret = await freshStuckSecret(ctx);
      const argv = cliArgv(secret, ctx.endpoint);
      return expectExit(await measure(argv, ctx.dir), 0, `${name} ${secret}`);
    },
  };
}

function awsArgs(op, secret, endpoint, extra = []) {
  return [
    'aws',
    'secretsmanager',
    op,
    '--secret-id',
    secret,
    ...extra,
    '--endpoint-url',
    endpoint,
    '--region',
    REGION,
    '--output',
    'json',
  ];
}

/** The job by hand with the AWS CLI: four processes; time is their sum, RSS their max. */
const awsCliSequence = {
  name: 'AWS CLI by hand (4 processes)',
  cancel: true,
  run: async (ctx) => {
    const secret = await freshStuckSecret(ctx);
    const steps = [];
    const step = async (op, extra) => {
      const r = await measure(awsArgs(op, secret, ctx.endpoint, extra), ctx.dir);
      steps.push(expectExit(r, 0, `aws ${op}`));
      return r;
    };
    await step('describe-secret');
    await step('cancel-rotate-secret');
    const listed = JSON.parse((await step('list-secret-version-ids')).stdout);
    const pending = listed.Versions.find((v) => v.VersionStages?.includes('AWSPENDING'));
    await step('update-secret-version-stage', [
      '--version-stage',
      'AWSPENDING',
      '--remove-from-version-id',
      pending.VersionId,
    ]);
    const ms = steps.reduce((sum, s) => sum + s.ms, 0);
    return { ms, rssKiB: Math.max(...steps.map((s) => s.rssKiB)) };
  },
};

function rotctlArgv(bin) {
  return (secret, endpoint) => [
    process.execPath,
    bin,
    'cancel',
    secret,
    '--yes',
    '--rollback',
    '--endpoint-url',
    endpoint,
  ];
}

const cmdName = (cmd, label) => `rotctl ${cmd} · ${label}`;

function variantContenders(v) {
  const node = process.execPath;
  const version = (r) => {
    if (!/^\d+\.\d+\.\d+/.test(r.stdout)) throw new Error(r.stdout);
  };
  const help = (r) => {
    if (!r.stdout.startsWith('Usage: rotctl')) throw new Error(r.stdout);
  };
  return [
    simple(cmdName('--version', v.label), [node, v.bin, '--version'], version),
    simple(cmdName('--help', v.label), [node, v.bin, '--help'], help),
    cancelWith(cmdName('cancel S --yes --rollback', v.label), rotctlArgv(v.bin)),
  ];
}

function contenders(variants, withAws) {
  const node = process.execPath;
  const list = [simple('node -e 0', [node, '-e', '0'])];
  for (const v of variants) list.push(...variantContenders(v));
  list.push(cancelWith('bare SDK script (4 calls)', (s, e) => [node, BARE_SDK, s, e]));
  if (withAws) list.push(awsCliSequence);
  return list;
}

// ------------------------------------------------------------------------------------------
// The two builds of the same source: dist/ as shipped, and tsc's one file per module

/** tsc emits src/ into <dir>/dist; bin/rotctl.js and package.json beside it as in the repo. */
async function buildModules(dir) {
  const r = spawnSync(
    'npx',
    ['tsc', '-p', 'tsconfig.json', '--noEmit', 'false', '--outDir', path.join(dir, 'dist')],
    { cwd: ROOT, env: ENV, encoding: 'utf8' },
  );
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`tsc: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  if (!existsSync(path.join(dir, 'dist', 'cli.js'))) throw new Error(`tsc: no ${dir}/dist/cli.js`);
  await mkdir(path.join(dir, 'bin'));
  await copyFile(BIN, path.join(dir, 'bin', 'rotctl.js'));
  await copyFile(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return { label: MODULES, bin: path.join(dir, 'bin', 'rotctl.js'), dist: path.join(dir, 'dist') };
}

async function variants(dir) {
  const shipped = { label: SHIPPED, bin: BIN, dist: path.join(ROOT, 'dist') };
  return [shipped, await buildModules(path.join(dir, 'modules'))];
}

async function fileCount(dir) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).length;
}

async function sizeKiB(dir) {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      total += (await stat(path.join(entry.parentPath ?? entry.path, entry.name))).size;
  }
  return Math.round(total / 1024);
}

// ------------------------------------------------------------------------------------------
// Rounds

async function runRounds(list, ctx, rounds) {
  const samples = new Map(list.map((c) => [c.name, []]));
  for (let round = 0; round <= rounds; round += 1) {
    for (let i = 0; i < list.length; i += 1) {
      const c = list[(round + i) % list.length];
      const r = await c.run(ctx);
      if (round > 0) samples.get(c.name).push(r); // round 0 warms the caches
    }
    process.stderr.write(round === 0 ? 'warm-up done\n' : `round ${round}/${rounds}\r`);
  }
  process.stderr.write('\n');
  return samples;
}

function quantile(values, q) {
  const s = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.ceil(pos)] - s[lo]) * (pos - lo);
}

function summarize(samples) {
  const out = new Map();
  for (const [name, runs] of samples) {
    const ms = runs.map((r) => r.ms);
    const rss = runs.map((r) => r.rssKiB);
    out.set(name, {
      median: quantile(ms, 0.5),
      p25: quantile(ms, 0.25),
      p75: quantile(ms, 0.75),
      rssMiB: quantile(rss, 0.5) / 1024,
      maxRssMiB: quantile(rss, 1) / 1024,
    });
  }
  return out;
}

/** One extra, untimed cancel through a counting proxy: how many HTTP requests it sends. */
async function countRequests(ctx) {
  const proxy = await startFaultProxy(ctx.endpoint);
  try {
    const secret = await freshStuckSecret(ctx);
    const argv = rotctlArgv(BIN)(secret, proxy.endpoint); // the shipped build
    const r = await measure(argv, ctx.dir, { async: true });
    expectExit(r, 0, 'counted cancel');
    return { count: proxy.count(), ops: proxy.log.map((e) => e.target) };
  } finally {
    await proxy.close();
  }
}

// ------------------------------------------------------------------------------------------
// Report

const f0 = (n) => (Number.isNaN(n) ? 'n/a' : n.toFixed(0));
const f1 = (n) => (Number.isNaN(n) ? 'n/a' : n.toFixed(1));
const f2 = (n) => (Number.isNaN(n) ? 'n/a' : n.toFixed(2));

function machineLine(meta) {
  const gib = (os.totalmem() / 2 ** 30).toFixed(1);
  return (
    `${new Date().toISOString().slice(0, 10)} · nproc ${os.availableParallelism()} · ` +
    `${gib} GiB RAM · ${os.cpus()[0]?.model ?? 'cpu ?'} · Node ${process.version} · ` +
    `moto ${meta.moto} on 127.0.0.1 · ${meta.aws}`
  );
}

function resultsTable(stats, base) {
  const rows = [
    '| command | median ms | p25–p75 ms | × `node -e 0` | max RSS MiB (median) |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const [name, s] of stats) {
    rows.push(
      `| ${name} | ${f0(s.median)} | ${f0(s.p25)}–${f0(s.p75)} | ` +
        `${f2(s.median / base.median)} | ${f1(s.rssMiB)} |`,
    );
  }
  return rows.join('\n');
}

function targetRow(what, value, limit, fmt = (v) => `${f2(v)}×`) {
  const met = Number.isNaN(value) ? 'n/a' : value <= limit ? 'yes' : '**no**';
  return `| ${what} | ${fmt(value)} | ≤ ${fmt(limit)} | ${met} |`;
}

function targetsTable(stats, requests) {
  const m = (name) => stats.get(name) ?? { median: NaN, rssMiB: NaN };
  const base = m('node -e 0');
  const cancel = m(cmdName('cancel S --yes --rollback', SHIPPED));
  const startup = (cmd) => m(cmdName(cmd, SHIPPED)).median / base.median;
  return [
    `| target for the shipped build (ratio of medians) | measured | limit | met |`,
    '|---|---:|---:|---|',
    targetRow('`rotctl --version` ÷ `node -e 0`', startup('--version'), 1.3),
    targetRow('`rotctl --help` ÷ `node -e 0`', startup('--help'), 1.3),
    targetRow(
      'cancel ÷ AWS CLI by hand',
      cancel.median / m('AWS CLI by hand (4 processes)').median,
      0.15,
    ),
    targetRow(
      'cancel ÷ bare SDK script',
      cancel.median / m('bare SDK script (4 calls)').median,
      1.5,
    ),
    targetRow('cancel max RSS ÷ `node -e 0` max RSS', cancel.rssMiB / base.rssMiB, 1.6),
    targetRow('HTTP requests for one cancel', requests.count, MAX_REQUESTS, (v) => String(v)),
  ].join('\n');
}

function variantTable(stats, sizes) {
  const get = (cmd, label) => stats.get(cmdName(cmd, label)) ?? { median: NaN, rssMiB: NaN };
  const rows = [`| | ${SHIPPED} | ${MODULES} | modules ÷ bundle |`, '|---|---:|---:|---:|'];
  const row = (what, a, b, fmt) => rows.push(`| ${what} | ${fmt(a)} | ${fmt(b)} | ${f2(b / a)} |`);
  for (const cmd of ['--version', '--help', 'cancel S --yes --rollback']) {
    row(`\`${cmd}\` median ms`, get(cmd, SHIPPED).median, get(cmd, MODULES).median, f0);
  }
  row(
    'cancel max RSS MiB (median)',
    get('cancel S --yes --rollback', SHIPPED).rssMiB,
    get('cancel S --yes --rollback', MODULES).rssMiB,
    f1,
  );
  rows.push(
    `| dist/ KiB on disk (files) | ${sizes.shipped} (${sizes.shippedFiles}; entry ` +
      `${sizes.entry}) | ${sizes.modules} (${sizes.modulesFiles}) + node_modules | |`,
  );
  return rows.join('\n');
}

function report(meta, stats, requests, sizes) {
  const base = stats.get('node -e 0');
  const lines = [
    `### rotctl speed and footprint (${machineLine(meta)})`,
    '',
    `${ROUNDS} rounds after one warm-up round; each round runs every command once, in rotated ` +
      'order; a fresh stuck secret (C01) for every cancel. Max RSS via ' +
      (RSS_VIA === 'gnu-time' ? '`/usr/bin/time -f %M`.' : 'a `resourceUsage()` preload.'),
    '',
    resultsTable(stats, base),
    '',
    targetsTable(stats, requests),
    '',
    `Requests of one cancel: ${requests.ops.join(' → ')}`,
    '',
    `The same source two ways: "${SHIPPED}" is dist/ from \`npm run build\` (esbuild split ` +
      'bundle: dist/cli.js, lazily loaded dist/chunks/); "modules (tsc)" is ' +
      '`tsc --noEmit false` into a temp dir, loaded module by module with packages from ' +
      'node_modules. Both run through bin/rotctl.js, which answers `--version` itself.',
    '',
    variantTable(stats, sizes),
  ];
  if (!meta.withAws) lines.push('', 'The AWS CLI (`aws`) is not installed: no CLI comparison.');
  return lines.join('\n');
}

// ------------------------------------------------------------------------------------------
// Main

function versionOf(cmd, args) {
  const r = spawnSync(cmd, args, { env: ENV, encoding: 'utf8' });
  return r.status === 0 ? (r.stdout || r.stderr).trim().split('\n')[0] : undefined;
}

async function main() {
  if (!existsSync(path.join(ROOT, 'dist', 'cli.js'))) {
    throw new Error('dist/cli.js is missing: run `npm run build` first');
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rotctl-bench-'));
  const moto = await startMoto();
  const stop = () => {
    void moto.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  try {
    await writeFile(path.join(dir, 'rss.mjs'), RSS_PRELOAD);
    const ctx = { endpoint: moto.endpoint, dir };
    const awsVersion = versionOf('sh', ['-c', 'command -v aws >/dev/null && aws --version']);
    const builds = await variants(dir);
    const list = contenders(builds, awsVersion !== undefined);
    process.stderr.write(
      `moto on ${moto.endpoint} (pid ${moto.pid}); ` +
        `${list.length} commands × ${ROUNDS} rounds; max RSS via ${RSS_VIA}\n`,
    );
    const stats = summarize(await runRounds(list, ctx, ROUNDS));
    const requests = await countRequests(ctx);
    const sizes = {
      shipped: await sizeKiB(builds[0].dist),
      shippedFiles: await fileCount(builds[0].dist),
      entry: Math.round((await stat(path.join(builds[0].dist, 'cli.js'))).size / 1024),
      modules: await sizeKiB(builds[1].dist),
      modulesFiles: await fileCount(builds[1].dist),
    };
    const meta = {
      moto: versionOf('python3', ['-c', 'import moto; print(moto.__version__)']) ?? '?',
      aws: awsVersion ?? 'AWS CLI not installed',
      withAws: awsVersion !== undefined,
    };
    process.stdout.write(`${report(meta, stats, requests, sizes)}\n`);
  } finally {
    process.off('SIGINT', stop);
    await moto.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
