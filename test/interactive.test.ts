// rotctl cancel on a real terminal: the choice prompt, both confirmations, Ctrl-C and a
// refused choice, driven through tmux against a private moto_server. Every test reads the
// labels back with the SDK, so "nothing written" and "repaired" are checked at the source.
// Needs `npm run build` first: the command under test is `node bin/rotctl.js`.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
} from '@aws-sdk/client-secrets-manager';
import { testEnv } from './helpers/env.js';
import { client, MOTO_MISSING, motoAvailable, useMoto } from './helpers/moto.js';
import { seedC01, seedC02, VERSION_IDS } from './helpers/seed.js';
import type { Seeded } from './helpers/seed.js';
import { startTty, TMUX_MISSING, ttyAvailable } from './helpers/tty.js';
import type { Tty } from './helpers/tty.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { A, B, P } = VERSION_IDS;
const TEST_TIMEOUT_MS = 60_000;

const moto = useMoto();

// Missing tools: fail under CI (the bodies below throw), skip with the reason elsewhere.
const missing = [motoAvailable() ? '' : MOTO_MISSING, ttyAvailable() ? '' : TMUX_MISSING]
  .filter(Boolean)
  .join('; ');
const skip = missing && !process.env['CI'] ? missing : false;
if (skip) process.stderr.write(`# skipping interactive tests: ${skip}\n`);

// ---------------------------------------------------------------------------------------
// Reading the emulator's state back

interface SecretState {
  labels: Record<string, string[]>;
  rotationEnabled: boolean | undefined;
}

async function stateOf(seeded: Seeded): Promise<SecretState> {
  const sm = client(moto().endpoint, seeded.region);
  try {
    const list = await sm.send(new ListSecretVersionIdsCommand({ SecretId: seeded.arn }));
    const labels: Record<string, string[]> = {};
    for (const v of list.Versions ?? []) {
      if (v.VersionId) labels[v.VersionId] = [...(v.VersionStages ?? [])].sort();
    }
    const d = await sm.send(new DescribeSecretCommand({ SecretId: seeded.arn }));
    return { labels, rotationEnabled: d.RotationEnabled };
  } finally {
    sm.destroy();
  }
}

const C01_BEFORE: SecretState = {
  labels: { [A]: ['AWSCURRENT'], [B]: ['AWSPREVIOUS'], [P]: ['AWSPENDING'] },
  rotationEnabled: true,
};

// ---------------------------------------------------------------------------------------
// Driving rotctl on the terminal

let tty: Tty | undefined;

afterEach(async () => {
  await tty?.close();
  tty = undefined;
});

async function startRotctl(seeded: Seeded, more: string[] = []): Promise<Tty> {
  if (missing) throw new Error(missing);
  tty = await startTty({
    command: [
      process.execPath,
      'bin/rotctl.js',
      'cancel',
      seeded.name,
      ...more,
      '--endpoint-url',
      moto().endpoint,
    ],
    cwd: REPO,
    // CI off in the child: an operator's terminal shows the spinner too.
    env: testEnv({ CI: undefined }),
  });
  return tty;
}

const SELECT_PROMPT = /\? How should rotctl repair app\/db-credentials\?/;
const CANCEL_CONFIRM =
  /\? Turn off rotation for app\/db-credentials now \(CancelRotateSecret\)\? \(y\/N\)/;
const TYPE_PROMOTE = /\? Type promote to make [\s\S]*:/;

/** The choice the select prompt's cursor is on now, as printed (label and any suffix). */
function activeChoice(screen: string): string | undefined {
  const lines = screen.split('\n').filter((l) => l.startsWith('❯ '));
  return lines.at(-1)?.slice(2).trim();
}

/** Move the select cursor with the arrow keys until it rests on `name`, then stop. */
async function moveTo(t: Tty, name: string): Promise<string> {
  let screen = await t.waitFor(SELECT_PROMPT);
  for (let step = 0; step < 4; step += 1) {
    const now = activeChoice(screen);
    if (now?.startsWith(name)) return screen;
    await t.send('Down');
    screen = await t.waitFor(function cursorMoved(s) {
      return activeChoice(s) !== now;
    });
  }
  return assert.fail(`the cursor never reached "${name}". Screen:\n${screen}`);
}

async function choose(t: Tty, name: string): Promise<void> {
  await moveTo(t, name);
  await t.send('Enter');
  await t.waitFor(`✔ How should rotctl repair app/db-credentials? ${name}`);
}

/** Wait for a yes/no question (default No, so "(y/N)") and answer it. */
async function answer(t: Tty, question: RegExp, key: string): Promise<void> {
  await t.waitFor(question);
  await t.send(key, 'Enter');
}

/** Run to the end; returns the final screen, after checking the exit code against it. */
async function finished(t: Tty, code: number): Promise<string> {
  const actual = await t.exitCode();
  const screen = await t.screen();
  assert.equal(actual, code, `exit code; screen:\n${screen}`);
  return screen;
}

/** No seeded value may reach the terminal: not on the screen, not in any byte written. */
async function assertNoSentinels(t: Tty, screen: string, seeded: Seeded): Promise<void> {
  const transcript = await t.transcript();
  assert.ok(transcript.includes('app/db-credentials'), 'the pty transcript was recorded');
  for (const sentinel of seeded.sentinels) {
    assert.ok(!screen.includes(sentinel), `secret value ${sentinel} shown on screen`);
    assert.ok(!transcript.includes(sentinel), `secret value ${sentinel} written to the pty`);
  }
}

function assertShows(screen: string, ...texts: string[]): void {
  for (const text of texts) {
    assert.ok(screen.includes(text), `screen lacks ${JSON.stringify(text)}. Screen:\n${screen}`);
  }
}

const cli = (seeded: Seeded, rest: string): string =>
  `aws secretsmanager ${rest.replace('%s', `--secret-id ${seeded.arn}`)} --region us-east-1`;

// ---------------------------------------------------------------------------------------
// The tests

// Skipped per test (not per suite) so that the runner's summary counts them as skipped.
const opts = { skip, timeout: TEST_TIMEOUT_MS };

describe('rotctl cancel on a terminal (tmux)', () => {
  test('C01: roll back, yes twice -> exit 0, AWSPENDING removed, table, undo', opts, async () => {
    const seeded = await seedC01(moto().endpoint);
    const t = await startRotctl(seeded);
    await choose(t, 'roll back');
    await answer(t, CANCEL_CONFIRM, 'y');
    await answer(t, /\? Apply roll back to [\s\S]*\(y\/N\)/, 'y');
    const screen = await finished(t, 0);

    assert.deepEqual(await stateOf(seeded), {
      labels: { [A]: ['AWSCURRENT'], [B]: ['AWSPREVIOUS'], [P]: [] },
      rotationEnabled: false,
    });
    assertShows(
      screen,
      'Labels, before -> after:',
      `  ${P}  AWSPENDING -> (none)`,
      `  ${A}  AWSCURRENT -> AWSCURRENT`,
      `  ${B}  AWSPREVIOUS -> AWSPREVIOUS`,
      'To undo the label change',
      cli(
        seeded,
        'update-secret-version-stage %s --version-stage AWSPENDING ' + `--move-to-version-id ${P}`,
      ),
      `Rolled back app/db-credentials: AWSPENDING removed from ${P}`,
    );
    await assertNoSentinels(t, screen, seeded);
  });

  test(
    'C01: promote, y then "promote" typed -> exit 0, AWSCURRENT on the pending version',
    opts,
    async () => {
      const seeded = await seedC01(moto().endpoint);
      const t = await startRotctl(seeded);
      await choose(t, 'promote');
      await answer(t, CANCEL_CONFIRM, 'y');
      await answer(t, TYPE_PROMOTE, 'promote');
      const screen = await finished(t, 0);

      assert.deepEqual(await stateOf(seeded), {
        labels: { [A]: ['AWSPREVIOUS'], [B]: [], [P]: ['AWSCURRENT'] },
        rotationEnabled: false,
      });
      assertShows(
        screen,
        `  ${P}  AWSPENDING -> AWSCURRENT`,
        `  ${A}  AWSCURRENT -> AWSPREVIOUS`,
        `  ${B}  AWSPREVIOUS -> (none)`,
        cli(
          seeded,
          'update-secret-version-stage %s --version-stage AWSCURRENT ' +
            `--move-to-version-id ${A} --remove-from-version-id ${P}`,
        ),
        `Promoted app/db-credentials: AWSCURRENT is now on ${P}.`,
      );
      await assertNoSentinels(t, screen, seeded);
    },
  );

  test(
    'C01: promote not typed out -> exit 3, labels untouched, says how to finish',
    opts,
    async () => {
      const seeded = await seedC01(moto().endpoint);
      const t = await startRotctl(seeded);
      await choose(t, 'promote');
      await answer(t, CANCEL_CONFIRM, 'y');
      await answer(t, TYPE_PROMOTE, 'yes');
      const screen = await finished(t, 3);

      assert.deepEqual(await stateOf(seeded), {
        labels: { [A]: ['AWSCURRENT'], [B]: ['AWSPREVIOUS'], [P]: ['AWSPENDING'] },
        rotationEnabled: false,
      });
      assertShows(screen, 'Stopped: promote was not typed.', 'Run the same command again');
      assert.match(screen, /Applied: CancelRotateSecret/);
      assert.match(screen, /Not applied: UpdateSecretVersionStage/);
      await assertNoSentinels(t, screen, seeded);
    },
  );

  test('C01: "n" at the first confirmation -> exit 3, nothing written', opts, async () => {
    const seeded = await seedC01(moto().endpoint);
    const t = await startRotctl(seeded);
    await choose(t, 'roll back');
    await answer(t, CANCEL_CONFIRM, 'n');
    const screen = await finished(t, 3);

    assert.deepEqual(await stateOf(seeded), C01_BEFORE);
    assertShows(
      screen,
      '✔ Turn off rotation for app/db-credentials now (CancelRotateSecret)? No',
      'error: Stopped at your answer.',
      'Nothing was written.',
    );
    assert.equal(screen.split('Nothing was written.').length - 1, 1, 'said once');
    assert.ok(!screen.includes('Apply roll back'), 'no second question after a No');
    await assertNoSentinels(t, screen, seeded);
  });

  test('C01: Ctrl-C at the choice -> exit 130, nothing written', opts, async () => {
    const seeded = await seedC01(moto().endpoint);
    const t = await startRotctl(seeded);
    await moveTo(t, 'roll back');
    await t.send('C-c');
    const screen = await finished(t, 130);

    assert.deepEqual(await stateOf(seeded), C01_BEFORE);
    assertShows(screen, 'error: Interrupted at the prompt.');
    assert.ok(!screen.includes('Turn off rotation'), 'no confirmation after Ctrl-C');
    await assertNoSentinels(t, screen, seeded);
  });

  test('batch: Ctrl-C at the first prompt stops the batch, exit 130', opts, async () => {
    const first = await seedC01(moto().endpoint);
    const second = await seedC01(moto().endpoint, { name: 'app/second' });
    const t = await startRotctl(first, [second.name]);
    await t.waitFor(SELECT_PROMPT);
    await t.send('C-c');
    const screen = await finished(t, 130);

    assert.ok(!screen.includes('== [2/2]'), `the second secret was started:\n${screen}`);
    assert.match(screen, /app\/second\s+-\s+not started/);
    assert.deepEqual(await stateOf(first), C01_BEFORE);
  });

  test('C02: promote is refused at the prompt and roll back recommended', opts, async () => {
    const seeded = await seedC02(moto().endpoint);
    assert.deepEqual(await stateOf(seeded), C01_BEFORE, 'C02: like C01, but P has no value');
    const t = await startRotctl(seeded);
    const menu = await t.waitFor(SELECT_PROMPT);
    assert.equal(activeChoice(menu), 'roll back (recommended)', `default choice:\n${menu}`);
    assertShows(
      menu,
      `  roll back  remove AWSPENDING from ${P}; AWSCURRENT stays on ${A}. (recommended)`,
      `  promote    move AWSCURRENT onto ${P}, then remove its AWSPENDING. (refused)`,
      '- promote (refused: The pending version holds no value; as AWSCURRENT it would break',
    );

    // The cursor may rest on promote, but Enter there must not pick it.
    await t.send('Down');
    await t.waitFor(/^❯ promote \(refused: /m);
    await t.send('Enter');
    await t.waitFor('This option is disabled and cannot be selected.');
    await moveTo(t, 'quit without changing anything');
    await t.send('Enter');
    const screen = await finished(t, 3);

    assertShows(screen, 'error: Quit at your answer; nothing was written.');
    assert.deepEqual(await stateOf(seeded), C01_BEFORE);
    await assertNoSentinels(t, screen, seeded);
  });

  test('colour on a terminal, none in a redirected stdout (NO_COLOR unset)', opts, async () => {
    const seeded = await seedC01(moto().endpoint);
    const status = `node bin/rotctl.js status ${seeded.name} --endpoint-url ${moto().endpoint}`;
    const out = path.join(REPO, '.build', `status-${process.pid}.txt`);
    const run = async (shell: string): Promise<string> => {
      tty = await startTty({
        command: ['sh', '-c', shell],
        cwd: REPO,
        env: testEnv({ NO_COLOR: undefined, CI: undefined }),
      });
      await tty.exitCode();
      const bytes = await tty.transcript();
      await tty.close();
      return bytes;
    };
    const onTerminal = await run(status);
    assert.match(onTerminal, /\u001b\[[0-9;]*m/, 'a terminal gets colour');
    await run(`${status} > ${out}`);
    const redirected = await readFile(out, 'utf8');
    await rm(out, { force: true });
    assert.match(redirected, /Blocks rotation\s+yes/);
    assert.doesNotMatch(redirected, /\u001b/, 'no escape code in redirected stdout');
  });
});
