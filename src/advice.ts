/** What to do next about a secret, as words and as the exact rotctl command. Pure. */
import type { Assessment } from './plan.js';
import { shellQuote } from './render.js';
import type { SecretSnapshot } from './state.js';

export interface Advice {
  action: string;
  command: string | undefined;
}

export function advise(
  snap: Pick<SecretSnapshot, 'arn' | 'rotationEnabled'>,
  a: Assessment,
): Advice {
  const base = `rotctl cancel ${shellQuote(snap.arn)}`;
  if (a.refusal) {
    const { why, hint, command } = a.refusal;
    return { action: command ? why : `${why} ${hint}`, command };
  }
  if (a.safeWithoutChoice === 'nothing') {
    return snap.rotationEnabled
      ? { action: 'Nothing to repair; rotation is on and not blocked.', command: undefined }
      : { action: 'Nothing to repair; rotation is off.', command: undefined };
  }
  if (a.safeWithoutChoice) {
    return {
      action: `Cancel and ${phrase(a.safeWithoutChoice)}; safe without a choice.`,
      command: `${base} --yes`,
    };
  }
  if (a.recommended) {
    return {
      action: `Cancel and ${phrase(a.recommended)} (recommended; confirm it).`,
      command: `${base} --${a.recommended}`,
    };
  }
  if (a.code === 'S8') {
    return {
      action:
        'No version holds AWSCURRENT: promote the pending version once its value is ' +
        'confirmed (rotctl cancel shows it); roll back is refused here.',
      command: base,
    };
  }
  return {
    action:
      "Cancel, then roll back or promote: the rotation function's logs tell which " +
      '(run it to choose, or add --yes --rollback / --yes --promote).',
    command: base,
  };
}

function phrase(choice: 'rollback' | 'promote'): string {
  return choice === 'rollback' ? 'roll back (remove AWSPENDING)' : 'promote the pending version';
}
