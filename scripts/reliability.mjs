#!/usr/bin/env node
// Runs the fault, bad-input and leak tests with ROTCTL_TALLY_FILE set, then prints what they
// observed: faults injected and survived, bad inputs tried, values leaked, secrets left
// without exactly one AWSCURRENT. Every number is counted from the events the tests wrote
// (test/helpers/tally.ts). Exits non-zero when the test run failed. Needs `npm run build`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const FILES = ['test/faults.test.ts', 'test/bad-input.test.ts', 'test/leaks.test.ts'];

function runTests(tallyFile) {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', ...FILES],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
        ROTCTL_TALLY_FILE: tallyFile,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    },
  );
  if (result.error) console.error(`could not run the tests: ${result.error.message}`);
  return result.status ?? 1;
}

function readEvents(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

function count(events) {
  const of = (kind) => events.filter((e) => e.kind === kind);
  const injected = of('fault-injected');
  const endStates = of('end-state');
  return {
    injected: injected.filter((e) => e.requests > 0).length,
    faultedRequests: injected.reduce((sum, e) => sum + e.requests, 0),
    survived: new Set(of('fault-survived').map((e) => e.id)).size,
    badInputs: of('bad-input').length,
    badAnswered: of('bad-input').filter((e) => e.ok).length,
    leaked: of('value-leaked').length,
    searched: of('output-searched').length,
    withoutCurrent: endStates.filter((e) => e.currents !== 1).length,
    endStates: endStates.length,
  };
}

function printTable(c, status) {
  const rows = [
    ['faults injected', c.injected, `${c.faultedRequests} faulted requests`],
    ['faults survived', c.survived, 'right end state, at most one re-run'],
    ['bad inputs tried', c.badInputs, `${c.badAnswered} answered with the documented exit code`],
    ['values leaked', c.leaked, `${c.searched} outputs searched`],
    [
      'secrets left without exactly one AWSCURRENT',
      c.withoutCurrent,
      `${c.endStates} end states checked`,
    ],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log('\nrotctl reliability (counted from what the tests observed)');
  for (const [name, n, note] of rows) {
    console.log(`  ${name.padEnd(width)}  ${String(n).padStart(5)}  (${note})`);
  }
  const verdict = status === 0 ? 'passed' : `FAILED (exit ${status})`;
  console.log(`  ${'test run'.padEnd(width)}  ${verdict}`);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'rotctl-reliability-'));
const tallyFile = path.join(dir, 'tally.jsonl');
let status;
try {
  status = runTests(tallyFile);
  const events = readEvents(tallyFile);
  if (events.length === 0) console.error('\nNo events were recorded: did every test skip?');
  printTable(count(events), status);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(status === 0 ? 0 : 1);
