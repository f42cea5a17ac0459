/**
 * Which repair to make: from a flag, from the state when only one choice is safe, or from the
 * operator at a prompt. Never a guess: when the state allows two choices and nobody chose,
 * rotctl stops with exit 3 before any write.
 */
import { ExitCode, RotctlError } from '../errors.js';
import type { Assessment, Choice } from '../plan.js';
import { CHOICE_NAMES } from '../render.js';
import type { SecretSnapshot } from '../state.js';
import type { PromptChoice, Ui } from '../ui.js';

interface DecideOptions {
  yes: boolean;
  choice: Choice | undefined;
  dryRun: boolean;
}

export async function decide(
  snap: SecretSnapshot,
  a: Assessment,
  opts: DecideOptions,
  ui: Ui,
): Promise<Choice | 'nothing'> {
  if (a.safeWithoutChoice === 'nothing') {
    if (opts.choice && a.options?.[opts.choice].allowed) return opts.choice;
    if (opts.choice)
      ui.note(`No AWSPENDING blocks rotation, so --${opts.choice} has nothing to do.`);
    return 'nothing';
  }
  if (opts.choice) return requested(snap, a, opts.choice);
  if (opts.dryRun && (a.safeWithoutChoice ?? a.recommended)) {
    return (a.safeWithoutChoice ?? a.recommended) as Choice;
  }
  if (opts.yes && a.safeWithoutChoice) return a.safeWithoutChoice;
  if (opts.yes || opts.dryRun || !ui.interactive) throw decisionNeeded(snap, a, opts);
  return ask(snap, a, ui);
}

function requested(snap: SecretSnapshot, a: Assessment, choice: Choice): Choice {
  const verdict = a.options?.[choice];
  if (verdict?.allowed) return choice;
  const other: Choice = choice === 'rollback' ? 'promote' : 'rollback';
  const otherOk = a.options?.[other].allowed;
  throw new RotctlError(
    ExitCode.refused,
    `Refusing to ${CHOICE_NAMES[choice]} ${snap.name}: ${verdict?.why ?? 'not possible here.'}`,
    otherOk ? `The safe choice here is --${other}.` : 'Nothing was written.',
  );
}

function decisionNeeded(snap: SecretSnapshot, a: Assessment, opts: DecideOptions): RotctlError {
  const allowed = (['rollback', 'promote'] as const).filter((c) => a.options?.[c].allowed);
  const flags = allowed.map((c) => `--${c}`).join(' or ');
  const why = opts.yes
    ? 'bare --yes acts only where one choice is safe'
    : opts.dryRun
      ? 'both plans are shown above'
      : 'there is no terminal to ask on';
  const example = `rotctl cancel ${snap.arn} --yes --${allowed[0] ?? 'rollback'}`;
  return new RotctlError(
    ExitCode.decisionNeeded,
    `${snap.name} needs a decision (${why}); nothing was written. State ${a.code}: ${a.title}.`,
    `Choose ${flags}: ${allowed.map((c) => WHEN[c]).join('; ')}. Example: ${example}`,
  );
}

const WHEN: Record<Choice, string> = {
  rollback:
    '--rollback keeps the old value (right when the rotation never changed the credential ' +
    'at the target)',
  promote: '--promote makes the pending value current (right when the target already uses it)',
};

async function ask(snap: SecretSnapshot, a: Assessment, ui: Ui): Promise<Choice> {
  const choices: PromptChoice<Choice | 'quit'>[] = (['rollback', 'promote'] as const).map((c) => ({
    value: c,
    name: `${CHOICE_NAMES[c]}${a.recommended === c ? ' (recommended)' : ''}`,
    description: a.options?.[c].why ?? '',
    disabled: a.options?.[c].allowed ? false : `(refused: ${a.options?.[c].why ?? ''})`,
  }));
  choices.push({ value: 'quit', name: 'quit without changing anything' });
  const def = a.recommended ?? 'quit';
  const picked = await ui.select(`How should rotctl repair ${snap.name}?`, choices, def);
  if (picked === 'quit') {
    throw new RotctlError(ExitCode.decisionNeeded, 'Quit at your answer; nothing was written.');
  }
  return picked;
}
