// Secret values never leak. Every version of every seeded secret holds a unique sentinel
// value; rotctl cancel runs in every combination the suite uses (text/json x -v or not x
// dry-run / bare --yes / --rollback / --promote x several seeded cases), and then under
// faults, and every stdout, stderr and parsed JSON document is searched for every sentinel.
// AWS error text that could echo request content: a deny on GetSecretValue whose message
// holds a sentinel must never be shown (rotctl never shows GetSecretValue error text).
// Needs `npm run build` first.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { describeRun, labelsOf, parseJsonDoc, runCli } from './helpers/cli.js';
import type { CliResult, Labels } from './helpers/cli.js';
import { startFaultProxy } from './helpers/fault-proxy.js';
import type { Fault, FaultProxy } from './helpers/fault-proxy.js';
import { useMoto } from './helpers/moto.js';
import { CASES, seedC01 } from './helpers/seed.js';
import type { Seeded } from './helpers/seed.js';
import { currentHolders, tally, tallyEndState } from './helpers/tally.js';

const moto = useMoto();
const skip = moto.options.skip ?? false;
const TEST_TIMEOUT_MS = 90_000;
const PARALLEL = 4;
const ENV: NodeJS.ProcessEnv = {
  ROTCTL_MAX_ATTEMPTS: '2',
  ROTCTL_REQUEST_TIMEOUT_MS: '3000',
  AWS_EC2_METADATA_DISABLED: 'true',
};
const DOCUMENTED_EXITS = [0, 2, 3, 4, 5, 6, 7];

const MODES: Record<string, string[]> = {
  'dry-run': ['--dry-run'],
  yes: ['--yes'],
  rollback: ['--yes', '--rollback'],
  promote: ['--yes', '--promote'],
};
const OUTPUTS = [[], ['-o', 'json']];
const VERBOSITY = [[], ['-v']];
const SEEDED_CASES = ['C01', 'C01-binary', 'C02', 'C04', 'C07', 'S11'];

// Started on first use (root-level before() hooks run per suite on Node 20).
let proxyStarted: FaultProxy | undefined;
after(async () => {
  await proxyStarted?.close();
});

// ---------------------------------------------------------------------------------------
// Searching the output

function jsonStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) jsonStrings(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      jsonStrings(v, out);
    }
  }
  return out;
}

/** Where each sentinel shows up: stdout, stderr or the parsed JSON document. */
function findLeaks(r: CliResult, sentinels: readonly string[], json: boolean): string[] {
  const strings = json ? jsonStrings(parseJsonDoc(r)) : [];
  const found: string[] = [];
  for (const s of sentinels) {
    if (r.stdout.includes(s)) found.push(`stdout:${s}`);
    if (r.stderr.includes(s)) found.push(`stderr:${s}`);
    if (strings.some((x) => x.includes(s))) found.push(`json:${s}`);
  }
  return found;
}

/** Searches one run's output for every sentinel; records what it searched and found. */
function expectNoLeak(id: string, r: CliResult, sentinels: readonly string[], json: boolean) {
  assert.ok(sentinels.length > 0, `${id}: nothing to search for`);
  tally({ kind: 'output-searched', id, sentinels: sentinels.length });
  const leaks = findLeaks(r, sentinels, json);
  for (const where of leaks) {
    tally({ kind: 'value-leaked', id, where: where.split(':')[0] ?? where });
  }
  assert.deepEqual(leaks, [], `${id}: a secret value leaked\n${describeRun(r)}`);
}

/** A secret that had exactly one AWSCURRENT must still have exactly one. */
async function expectCurrentKept(id: string, s: Seeded, before: Labels): Promise<void> {
  if (currentHolders(before) !== 1) return;
  const labels = await labelsOf(moto().endpoint, s.arn, s.region);
  const currents = tallyEndState(id, labels);
  assert.equal(currents, 1, `${id}: ${currents} versions hold AWSCURRENT`);
}

function expectSaneRun(id: string, r: CliResult, json: boolean): void {
  assert.ok(DOCUMENTED_EXITS.includes(r.code ?? -1), `${id}: exit ${r.code}\n${describeRun(r)}`);
  if (json) parseJsonDoc(r);
}

// ---------------------------------------------------------------------------------------
// The matrix: one secret per run (runs write), seeded one after another, run in parallel

interface Combo {
  id: string;
  args: string[];
  json: boolean;
}

function combos(caseId: string): Combo[] {
  const all: Combo[] = [];
  for (const modeArgs of Object.values(MODES)) {
    for (const out of OUTPUTS) {
      for (const v of VERBOSITY) {
        const args = [...modeArgs, ...out, ...v];
        all.push({ id: `${caseId} ${args.join(' ')}`, args, json: out.length > 0 });
      }
    }
  }
  return all;
}

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>) {
  const queue = [...items];
  const lane = async (): Promise<void> => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  };
  await Promise.all(Array.from({ length: width }, lane));
}

interface Prepared {
  combo: Combo;
  seeded: Seeded;
  before: Labels;
}

async function prepare(caseId: string): Promise<Prepared[]> {
  const entry = CASES[caseId];
  if (!entry) throw new Error(`no seed for ${caseId}`);
  const prepared: Prepared[] = [];
  for (const [n, combo] of combos(caseId).entries()) {
    const seeded = await entry.seed(moto().endpoint, { name: `leaks/${caseId}/${n}` });
    const before = await labelsOf(moto().endpoint, seeded.arn, seeded.region);
    prepared.push({ combo, seeded, before });
  }
  return prepared;
}

async function runPrepared(p: Prepared): Promise<void> {
  const { combo, seeded } = p;
  const args = ['cancel', seeded.arn, ...combo.args];
  const r = await runCli(args, { endpoint: moto().endpoint, env: ENV });
  expectNoLeak(combo.id, r, seeded.sentinels, combo.json);
  expectSaneRun(combo.id, r, combo.json);
  await expectCurrentKept(combo.id, seeded, p.before);
}

describe('no value in any output, in every combination', { timeout: TEST_TIMEOUT_MS }, () => {
  for (const caseId of SEEDED_CASES) {
    test(`${caseId}: 4 modes x text/json x -v or not`, { skip }, async () => {
      const prepared = await prepare(caseId);
      assert.equal(prepared.length, 16);
      await pool(prepared, PARALLEL, runPrepared);
    });
  }
});

// ---------------------------------------------------------------------------------------
// Under faults, through the fault proxy (one run at a time: faults are per request)

const marker = (kind: string): string => `${kind}-${randomBytes(6).toString('hex')}`;

interface FaultRun {
  id: string;
  args: string[];
  /** Faults to arm; `value` is the pending version's real value, `hidden` a fresh one. */
  faults: (value: string, hidden: string) => Fault[];
}

const GSV = 'GetSecretValue';
const USVS = 'UpdateSecretVersionStage';
const FAULT_RUNS: FaultRun[] = [
  {
    id: 'writes failing with 503',
    args: ['--yes', '--promote'],
    faults: () => [{ target: USVS, mode: '503', times: Infinity }],
  },
  {
    id: 'lost write answer',
    args: ['--yes', '--promote'],
    faults: () => [{ target: USVS, mode: 'reset-after' }],
  },
  {
    id: 'GetSecretValue 500',
    args: ['--yes', '--promote'],
    faults: () => [{ target: GSV, mode: 'http500', times: Infinity }],
  },
  {
    id: 'KMS deny echoing the pending value',
    args: ['--yes', '--promote'],
    faults: (value) => [
      {
        target: GSV,
        mode: 'deny',
        times: Infinity,
        message: `Access to KMS is not allowed. Ciphertext: ${value}`,
      },
    ],
  },
  {
    id: 'GetSecretValue deny holding a sentinel',
    args: ['--dry-run'],
    faults: (_v, hidden) => [
      {
        target: GSV,
        mode: 'deny',
        times: Infinity,
        message: `User is not authorized: ${hidden}`,
      },
    ],
  },
  {
    id: 'deny on GetSecretValue and UpdateSecretVersionStage',
    args: ['--yes', '--rollback'],
    faults: (_v, hidden) => [
      { target: GSV, mode: 'deny', times: Infinity, message: `denied: ${hidden}` },
      // Not a value: UpdateSecretVersionStage carries only ids, so its text may be shown.
      { target: USVS, mode: 'deny', times: Infinity, message: `denied: ${marker('ECHO')}` },
    ],
  },
];

let faultRuns = 0;

async function faultRun(f: FaultRun, out: string[], v: string[]): Promise<void> {
  proxyStarted ??= await startFaultProxy(moto().endpoint);
  const proxy = proxyStarted;
  proxy.clear();
  faultRuns += 1;
  const seeded = await seedC01(moto().endpoint, { name: `leaks/faults/${faultRuns}` });
  const pendingValue = seeded.sentinels.find((s) => s.includes('-P-')) ?? '';
  assert.ok(pendingValue, 'C01 stored no pending value');
  const hidden = marker('SENTINEL-deny');
  const faults = f.faults(pendingValue, hidden);
  const before = await labelsOf(moto().endpoint, seeded.arn);
  proxy.add(...faults);
  const id = `${f.id} ${[...out, ...v].join(' ')}`.trim();
  const r = await runCli(['cancel', seeded.arn, ...f.args, ...out, ...v], {
    endpoint: proxy.endpoint,
    env: ENV,
  });
  // Not tallied as an injected fault: this file judges the output, not the end state.
  const requests = proxy.log.filter((e) => e.fault !== null).length;
  assert.ok(requests > 0, `${id}: the fault never fired`);
  const json = out.length > 0;
  expectNoLeak(id, r, [...seeded.sentinels, hidden], json);
  expectSaneRun(id, r, json);
  assert.ok(!(r.stdout + r.stderr).includes('SENTINEL-'), `${id}: a SENTINEL- value leaked`);
  await expectCurrentKept(id, seeded, before);
}

describe('no value in any output under faults', { timeout: TEST_TIMEOUT_MS }, () => {
  for (const f of FAULT_RUNS) {
    test(`${f.id}: text/json x -v or not`, { skip }, async () => {
      for (const out of OUTPUTS) {
        for (const v of VERBOSITY) await faultRun(f, out, v);
      }
    });
  }
});
