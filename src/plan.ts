/**
 * The decider. Pure: a snapshot of a secret goes in, an assessment and a plan come out.
 * Nothing here talks to AWS or prints; every rule of rotation-domain §2.4 lives here.
 */
import {
  CURRENT,
  PENDING,
  PREVIOUS,
  RESERVED_LABELS,
  holdersOf,
  isBlocked,
  isReserved,
  labelMap,
  type LabelMap,
  type SecretSnapshot,
  type ValuePresence,
} from './state.js';

export type Choice = 'rollback' | 'promote';

export type StateCode =
  'S1' | 'S2' | 'S3' | 'S6' | 'S7' | 'S8' | 'S13' | 'S14' | 'S15' | 'S16' | 'DUPLICATE';

export interface OptionVerdict {
  allowed: boolean;
  why: string;
}

export interface Assessment {
  code: StateCode;
  title: string;
  /** AWSPENDING sits on a version other than AWSCURRENT: every RotateSecret fails. */
  blocking: boolean;
  current: string | undefined;
  pending: string | undefined;
  previous: string | undefined;
  pendingValue: ValuePresence | undefined;
  /** Set when rotctl must not write at all; the reason and what to do instead. */
  refusal: { why: string; hint: string; command?: string | undefined } | undefined;
  options: Record<Choice, OptionVerdict> | undefined;
  recommended: Choice | undefined;
  /** What bare --yes may do alone: 'nothing' (no label change needed) or a choice. */
  safeWithoutChoice: Choice | 'nothing' | undefined;
  notes: string[];
}

/** One UpdateSecretVersionStage call. removeFrom is the check-and-set guard. */
export interface LabelMove {
  label: string;
  moveTo?: string | undefined;
  removeFrom?: string | undefined;
}

export interface Plan {
  cancelRotation: boolean;
  choice: Choice | 'nothing';
  moves: LabelMove[];
  /** The labels rotctl expects to read back once every move is applied. */
  expected: LabelMap;
}

const IN_FLIGHT_MS = 15 * 60 * 1000;

export function assess(snap: SecretSnapshot, now = new Date()): Assessment {
  const labels = labelMap(snap.versions);
  const base = baseAssessment(snap, labels);

  const refusal = preflightRefusal(snap, labels);
  if (refusal) return { ...base, ...refusal };

  const judged = judgeLabels(base);
  judged.notes.push(...contextNotes(snap, judged, now));
  return managedRefusal(snap, judged) ?? judged;
}

function baseAssessment(snap: SecretSnapshot, labels: LabelMap): Assessment {
  const pendingId = holdersOf(labels, PENDING)[0];
  const pendingVersion = snap.versions.find((v) => v.id === pendingId);
  const currentId = holdersOf(labels, CURRENT)[0];
  return {
    code: 'S1',
    title: '',
    blocking: isBlocked(labels),
    current: currentId,
    pending: pendingId,
    previous: holdersOf(labels, PREVIOUS)[0],
    pendingValue: pendingVersion?.value,
    refusal: undefined,
    options: undefined,
    recommended: undefined,
    safeWithoutChoice: undefined,
    notes: [],
  };
}

type Refused = Pick<Assessment, 'code' | 'title' | 'refusal'>;

function preflightRefusal(snap: SecretSnapshot, labels: LabelMap): Refused | undefined {
  if (snap.deletedDate) {
    const restore = `aws secretsmanager restore-secret --secret-id ${snap.arn} --region ${snap.region}`;
    return refused(
      'S15',
      'scheduled for deletion',
      'The secret is scheduled for deletion.',
      `Restore it first: ${restore}`,
      restore,
    );
  }
  if (snap.primaryRegion && snap.primaryRegion !== snap.region) {
    const primary = `rotctl cancel ${primaryArn(snap.arn, snap.primaryRegion)}`;
    return refused(
      'S14',
      'replica secret',
      `This is a replica; its primary is in ${snap.primaryRegion}, and labels change there.`,
      `Repair the primary (the change replicates to ${snap.region}): ${primary}`,
      primary,
    );
  }
  const doubled = RESERVED_LABELS.filter((l) => holdersOf(labels, l).length > 1);
  if (doubled.length > 0) {
    return refused(
      'DUPLICATE',
      'reserved label on several versions',
      `${doubled.join(', ')} is attached to more than one version; the state is not one ` +
        'that Secrets Manager produces, so no safe plan exists.',
      'Inspect it with aws secretsmanager list-secret-version-ids and fix the labels by hand.',
    );
  }
  return undefined;
}

/** A replica's ARN differs from its primary's only in the region. */
export function primaryArn(arn: string, primaryRegion: string): string {
  return arn.replace(/^(arn:[^:]+:secretsmanager:)[^:]+:/, `$1${primaryRegion}:`);
}

function refused(
  code: StateCode,
  title: string,
  why: string,
  hint: string,
  command?: string,
): Refused {
  return { code, title, refusal: { why, hint, command } };
}

function judgeLabels(a: Assessment): Assessment {
  if (!a.pending) return s1(a);
  if (!a.current) return s8(a);
  if (a.pending === a.current) return s2(a);
  if (a.pending === a.previous) return s7(a);
  if (a.pendingValue === 'absent') return s3(a);
  return s6(a);
}

const NO_PENDING = 'There is no AWSPENDING version to act on.';

function s1(a: Assessment): Assessment {
  return {
    ...a,
    code: 'S1',
    title: 'no AWSPENDING: labels are clean',
    options: { rollback: deny(NO_PENDING), promote: deny(NO_PENDING) },
    safeWithoutChoice: 'nothing',
  };
}

function s2(a: Assessment): Assessment {
  return {
    ...a,
    code: 'S2',
    title: 'AWSPENDING on the AWSCURRENT version: finished, not blocking',
    options: {
      rollback: deny('The rotation finished; there is nothing to roll back.'),
      // A promote interrupted between its two writes leaves exactly this state.
      promote: allow(
        'The pending version is already current; this only removes its leftover ' + 'AWSPENDING.',
      ),
    },
    safeWithoutChoice: 'nothing',
    notes: ['Secrets Manager clears this leftover AWSPENDING itself; it does not block rotation.'],
  };
}

function s3(a: Assessment): Assessment {
  return {
    ...a,
    code: 'S3',
    blocking: true,
    title: 'AWSPENDING on a placeholder with no value: the rotation never stored a new secret',
    options: {
      rollback: allow('Nothing can have used a value that does not exist.'),
      promote: deny(
        'The pending version holds no value; as AWSCURRENT it would break every ' +
          'reader of the secret.',
      ),
    },
    recommended: 'rollback',
    safeWithoutChoice: 'rollback',
  };
}

function s7(a: Assessment): Assessment {
  return {
    ...a,
    code: 'S7',
    blocking: true,
    title: 'AWSPENDING on the AWSPREVIOUS version: left over after a deliberate roll back',
    options: {
      rollback: allow('Removes the stale AWSPENDING; AWSCURRENT is not touched.'),
      promote: deny(
        'AWSPENDING sits on the AWSPREVIOUS version; promoting it would undo a ' +
          'roll back someone made on purpose.',
      ),
    },
    recommended: 'rollback',
    safeWithoutChoice: 'rollback',
  };
}

function s8(a: Assessment): Assessment {
  const rollback = deny(
    'No version holds AWSCURRENT; removing AWSPENDING would leave the ' +
      'secret with no usable version.',
  );
  if (a.pendingValue === 'not-checked') {
    return {
      ...a,
      code: 'S8',
      blocking: true,
      title: 'no AWSCURRENT at all; only AWSPENDING (value not checked)',
      options: { rollback, promote: deny("The pending version's value was not checked.") },
    };
  }
  if (a.pendingValue === 'present') {
    return {
      ...a,
      code: 'S8',
      blocking: true,
      title: 'no AWSCURRENT at all; only AWSPENDING, which holds a value',
      options: { rollback, promote: allow('Makes the only stored value current.') },
      recommended: 'promote',
    };
  }
  return {
    ...a,
    code: 'S8',
    blocking: true,
    title: 'no AWSCURRENT at all, and the AWSPENDING version has no readable value',
    refusal: {
      why: 'No version holds AWSCURRENT and the pending version holds no value rotctl can verify.',
      hint: 'Store a real value with aws secretsmanager put-secret-value, then run rotctl again.',
    },
  };
}

function s6(a: Assessment): Assessment {
  if (a.pendingValue !== 'present') return s6Unknown(a);
  return {
    ...a,
    code: 'S6',
    blocking: true,
    title: 'AWSPENDING holds a value: the rotation may or may not have changed the credential',
    options: {
      rollback: allow('Right if the rotation never changed the credential at the target.'),
      promote: allow('Right if the target already accepts the pending value.'),
    },
  };
}

function s6Unknown(a: Assessment): Assessment {
  if (a.pendingValue === 'not-checked') {
    return {
      ...a,
      code: 'S6',
      blocking: true,
      title: 'AWSPENDING on a version other than AWSCURRENT (value not checked)',
      options: {
        rollback: allow('Keeps AWSCURRENT as it is; the pending version stays stored.'),
        promote: deny("The pending version's value was not checked."),
      },
    };
  }
  return {
    ...a,
    code: 'S6',
    blocking: true,
    title: 'AWSPENDING on a version whose value rotctl cannot read',
    options: {
      rollback: allow('Keeps AWSCURRENT as it is; the pending version stays stored.'),
      promote: deny('rotctl cannot confirm the pending version holds a value.'),
    },
    recommended: 'rollback',
  };
}

const allow = (why: string): OptionVerdict => ({ allowed: true, why });
const deny = (why: string): OptionVerdict => ({ allowed: false, why });

function contextNotes(snap: SecretSnapshot, a: Assessment, now: Date): string[] {
  const notes: string[] = [];
  const pending = snap.versions.find((v) => v.id === a.pending);
  const created = pending?.createdDate?.getTime();
  if (a.blocking && snap.rotationEnabled && created && now.getTime() - created < IN_FLIGHT_MS) {
    notes.push(
      'The pending version is less than 15 minutes old: the rotation function may ' +
        'still be running. Cancelling stops Secrets Manager from retrying it.',
    );
  }
  if (a.blocking && !snap.rotationEnabled) {
    notes.push(
      'Rotation is already off: this AWSPENDING is left over from an earlier failure, ' +
        'or was set by hand. Ask who owns it if you did not expect it.',
    );
  }
  if (snap.owningService && snap.rotationEnabled) {
    notes.push(
      `Managed by ${snap.owningService}: rotctl only turns rotation off; ` +
        `${snap.owningService} stays in charge of the secret and can turn it back on.`,
    );
  }
  const custom = snap.versions.filter((v) => v.labels.some((l) => !isReserved(l)));
  if (custom.length > 0) {
    notes.push(
      'Custom staging labels are present; rotctl never moves them. Consumers that pin ' +
        'them keep reading the same versions.',
    );
  }
  return notes;
}

function managedRefusal(snap: SecretSnapshot, a: Assessment): Assessment | undefined {
  const owner = snap.owningService ?? snap.externalType;
  if (!owner) return undefined;
  if (!a.blocking) {
    // Nothing to repair: cancelling is allowed, but no label of theirs is touched.
    const why = `The secret is managed by ${owner}; rotctl changes none of its labels.`;
    return { ...a, options: a.options && { rollback: deny(why), promote: deny(why) } };
  }
  const code: StateCode = snap.owningService ? 'S13' : 'S16';
  return {
    ...a,
    code,
    title: `managed by ${owner}`,
    refusal: {
      why: `The secret is managed by ${owner}; its labels must be repaired through ${owner}.`,
      hint: managedHint(owner, snap.arn),
      command: owner === 'rds' ? RDS_ROTATE : undefined,
    },
  };
}

const RDS_ROTATE =
  'aws rds modify-db-instance --db-instance-identifier <db> ' +
  '--rotate-master-user-password --apply-immediately';

function managedHint(owner: string, arn: string): string {
  if (owner === 'rds') return `For RDS: ${RDS_ROTATE}`;
  return `Use ${owner}'s own rotation controls for ${arn}.`;
}

/** The writes for a choice, in order, each with its guard. Pure. */
export function buildPlan(snap: SecretSnapshot, a: Assessment, choice: Choice | 'nothing'): Plan {
  const moves = choice === 'nothing' ? [] : movesFor(a, choice);
  return {
    cancelRotation: snap.rotationEnabled,
    choice,
    moves,
    expected: applyMoves(labelMap(snap.versions), moves),
  };
}

function movesFor(a: Assessment, choice: Choice): LabelMove[] {
  const pending = a.pending;
  if (!pending) return [];
  const removePending: LabelMove = { label: PENDING, removeFrom: pending };
  if (choice === 'rollback' || pending === a.current) return [removePending];
  return [{ label: CURRENT, moveTo: pending, removeFrom: a.current }, removePending];
}

/**
 * What Secrets Manager does with one UpdateSecretVersionStage: the label leaves removeFrom and
 * lands on moveTo; when AWSCURRENT moves, AWSPREVIOUS follows onto the version it left.
 */
export function applyMove(map: LabelMap, move: LabelMove): LabelMap {
  const next: LabelMap = {};
  for (const [id, labels] of Object.entries(map)) next[id] = [...labels];
  const drop = (id: string | undefined, label: string): void => {
    if (id && next[id]) next[id] = next[id].filter((l) => l !== label);
  };
  const add = (id: string, label: string): void => {
    next[id] = [...new Set([...(next[id] ?? []), label])].sort();
  };

  drop(move.removeFrom, move.label);
  if (move.moveTo) add(move.moveTo, move.label);

  const currentLeft = move.label === CURRENT && move.moveTo && move.removeFrom;
  if (currentLeft && move.removeFrom !== move.moveTo) {
    for (const id of holdersOf(next, PREVIOUS)) drop(id, PREVIOUS);
    add(move.removeFrom as string, PREVIOUS);
  }
  return next;
}

export function applyMoves(map: LabelMap, moves: readonly LabelMove[]): LabelMap {
  return moves.reduce(applyMove, map);
}

/** The moves that put the labels back as they were before `plan` ran. */
export function undoMoves(a: Assessment, plan: Plan): LabelMove[] {
  const pending = a.pending;
  if (!pending || plan.choice === 'nothing') return [];
  const restorePending: LabelMove = { label: PENDING, moveTo: pending };
  if (plan.choice === 'rollback' || pending === a.current) return [restorePending];

  const undo: LabelMove[] = [];
  if (a.current) undo.push({ label: CURRENT, moveTo: a.current, removeFrom: pending });
  // Moving AWSCURRENT back puts AWSPREVIOUS on the pending version: send it where it was.
  if (a.previous && a.current) {
    undo.push({ label: PREVIOUS, moveTo: a.previous, removeFrom: pending });
  } else if (a.current) {
    undo.push({ label: PREVIOUS, removeFrom: pending });
  }
  undo.push(restorePending);
  return undo;
}

/**
 * Differences between the labels read back and the plan's expectation, as lines for the
 * operator. Empty when they match.
 */
export function verifyLabels(expected: LabelMap, actual: LabelMap): string[] {
  const problems: string[] = [];
  const currents = holdersOf(actual, CURRENT);
  if (currents.length !== 1) problems.push(`${currents.length} versions hold AWSCURRENT`);
  const pendings = holdersOf(actual, PENDING);
  if (pendings.some((id) => !currents.includes(id))) {
    problems.push('AWSPENDING still sits on a version other than AWSCURRENT');
  }
  const ids = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  for (const id of ids) {
    const want = (expected[id] ?? []).join(', ') || '(none)';
    const got = (actual[id] ?? []).join(', ') || '(none)';
    if (want !== got) problems.push(`${id}: expected ${want}, found ${got}`);
  }
  return problems;
}
