// `rotctl completion bash|zsh`: the bash script completes in a real bash, the zsh script
// parses (zsh -n) and loads in a bare zsh, and an unknown shell is a usage error.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { rotctl, run, shown } from './fixtures/run.js';

const ZSH_MISSING = 'zsh is not installed (apt-get install zsh); the zsh script is unchecked';

let dir = '';
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rotctl-completion-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Write `rotctl completion <shell>` to a file and return its path. */
async function scriptFile(shell: string): Promise<string> {
  const r = await rotctl(['completion', shell]);
  assert.equal(r.code, 0, shown(r));
  assert.equal(r.stderr, '', shown(r));
  const file = path.join(dir, `rotctl.${shell}`);
  await writeFile(file, r.stdout);
  return file;
}

/** Source the bash script, call _rotctl on these words (cursor on the last), get COMPREPLY. */
async function complete(script: string, words: string[]): Promise<string[]> {
  const body = [
    'source "$1"; shift',
    'COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}',
    '_rotctl',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const r = await run('bash', ['--norc', '--noprofile', '-c', body, 'bash', script, ...words]);
  assert.equal(r.code, 0, shown(r));
  assert.equal(r.stderr, '', shown(r));
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('bash', () => {
  test('registers _rotctl for rotctl', async () => {
    const script = await scriptFile('bash');
    const r = await run('bash', [
      '--norc',
      '--noprofile',
      '-c',
      'source "$1"; complete -p rotctl',
      'bash',
      script,
    ]);
    assert.equal(r.code, 0, shown(r));
    assert.equal(r.stdout.trim(), 'complete -F _rotctl rotctl', shown(r));
  });

  test('completes "can" to "cancel"', async () => {
    const script = await scriptFile('bash');
    assert.deepEqual(await complete(script, ['rotctl', 'can']), ['cancel']);
  });

  test('completes "cancel --pro" to --profile and --promote', async () => {
    const script = await scriptFile('bash');
    assert.deepEqual(await complete(script, ['rotctl', 'cancel', '--pro']), [
      '--profile',
      '--promote',
    ]);
  });

  test('completes the values of --output', async () => {
    const script = await scriptFile('bash');
    assert.deepEqual(await complete(script, ['rotctl', 'status', '--output', '']), [
      'json',
      'text',
    ]);
  });
});

function zshMissing(): boolean {
  return spawnSync('sh', ['-c', 'command -v zsh'], { stdio: 'ignore' }).status !== 0;
}

describe('zsh', () => {
  const missing = zshMissing();
  // Under CI a missing zsh must fail, never pass silently; elsewhere skip with the reason.
  const options = missing && !process.env['CI'] ? { skip: ZSH_MISSING } : {};

  test('passes zsh -n and defines _rotctl in a zsh without compinit', options, async () => {
    assert.ok(!missing, `${ZSH_MISSING}: add it to .ci/run`);
    const script = await scriptFile('zsh');
    const syntax = await run('zsh', ['-n', script]);
    assert.equal(syntax.code, 0, shown(syntax));
    assert.equal(syntax.stderr, '', shown(syntax));
    // -f: no startup files, so compdef is absent; the script must still load quietly.
    const loaded = await run('zsh', [
      '-f',
      '-c',
      'source "$1" && whence -w _rotctl',
      'zsh',
      script,
    ]);
    assert.equal(loaded.code, 0, shown(loaded));
    assert.equal(loaded.stderr, '', shown(loaded));
    assert.equal(loaded.stdout.trim(), '_rotctl: function', shown(loaded));
  });
});

test('an unsupported shell (fish) exits 2 with a one-line error and prints no script', async () => {
  const r = await rotctl(['completion', 'fish']);
  assert.equal(r.code, 2, shown(r));
  assert.equal(r.stdout, '', shown(r));
  const lines = r.stderr.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^error: .*fish/, shown(r));
  assert.equal(lines.filter((l) => l.startsWith('error:')).length, 1, shown(r));
  assert.doesNotMatch(r.stderr, /^\s+at /m, `stack trace printed\n${shown(r)}`);
  // The error line may be followed by one hint line naming the shells that work.
  assert.ok(lines.length <= 2, `more than error + hint\n${shown(r)}`);
  assert.match(r.stderr, /bash/, shown(r));
  assert.match(r.stderr, /zsh/, shown(r));
});
