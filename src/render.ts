/** Text for people. Pure: takes data and a Style, returns lines. Never sees a secret value. */
import type { Assessment, Choice, LabelMove, Plan } from './plan.js';
import type { LabelMap, SecretSnapshot, VersionInfo } from './state.js';
import type { Style } from './ui.js';

export const CHOICE_NAMES: Record<Choice, string> = { rollback: 'roll back', promote: 'promote' };

export function renderSecret(snap: SecretSnapshot, s: Style): string {
  const rotation = snap.rotationEnabled ? s.yellow('enabled') : 'disabled';
  const rows = [
    ['Secret', s.bold(snap.name)],
    ['ARN', snap.arn],
    ['Region', snap.region],
    ['Rotation', rotation],
    ['Lambda', snap.rotationLambdaArn ?? '(none)'],
    ['Last rotated', date(snap.lastRotatedDate)],
    ['Last changed', date(snap.lastChangedDate)],
    ['Next rotation', date(snap.nextRotationDate)],
  ];
  if (snap.kmsKeyId) rows.push(['KMS key', snap.kmsKeyId]);
  if (snap.owningService) rows.push(['Managed by', snap.owningService]);
  if (snap.primaryRegion) rows.push(['Primary region', snap.primaryRegion]);
  if (snap.deletedDate) rows.push(['Deletion date', s.red(date(snap.deletedDate))]);
  return [...rows.map(([k, v]) => field(k ?? '', v ?? '')), '', renderVersions(snap, s)].join('\n');
}

export function date(d: Date | undefined): string {
  return d ? `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '-';
}

function renderVersions(snap: SecretSnapshot, s: Style): string {
  const shown = snap.versions.filter((v) => v.labels.length > 0);
  const hidden = snap.versions.length - shown.length;
  const header = ['VERSION', 'STAGING LABELS', 'CREATED', 'VALUE'];
  const rows = shown.map((v) => [v.id, v.labels.join(', '), date(v.createdDate), valueText(v)]);
  const out = [table(header, rows, s.dim)];
  if (hidden > 0) out.push(s.dim(`(+${hidden} version(s) with no staging label)`));
  if (shown.some((v) => v.value === 'not-checked')) {
    out.push(s.dim('VALUE is checked for the AWSPENDING version only; "-" means not checked.'));
  }
  return out.join('\n');
}

/** Columns padded to their widest cell, two spaces apart; the header dimmed. */
export function table(header: string[], rows: string[][], dim: (s: string) => string): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [dim(line(header)), ...rows.map(line)].join('\n');
}

function valueText(v: VersionInfo): string {
  if (v.value === 'not-checked') return '-';
  return v.valueNote ? `${v.value} (${v.valueNote})` : v.value;
}

/** One "label  value" line; every header line of rotctl's output lines up on the same column. */
export function field(label: string, value: string): string {
  return `${label.padEnd(17)}${value}`;
}

export function renderAssessment(a: Assessment, s: Style): string {
  const lines = [field('State', `${a.code}: ${a.title}`)];
  lines.push(field('Blocks rotation', a.blocking ? s.red('yes') : s.green('no')));
  for (const note of a.notes) lines.push(s.yellow(`note: ${note}`));
  return lines.join('\n');
}

export function renderOptions(a: Assessment, s: Style): string {
  if (!a.options || !a.pending || a.refusal) return '';
  const lines = ['Choices:'];
  for (const choice of ['rollback', 'promote'] as const) {
    const verdict = a.options[choice];
    const tag = verdict.allowed ? '' : s.red(' (refused)');
    const star = a.recommended === choice ? s.green(' (recommended)') : '';
    lines.push(`  ${s.bold(CHOICE_NAMES[choice].padEnd(11))}${explain(choice, a)}${star}${tag}`);
    lines.push(`  ${' '.repeat(11)}${s.dim(verdict.why)}`);
  }
  return lines.join('\n');
}

function explain(choice: Choice, a: Assessment): string {
  if (a.pending === a.current) {
    return choice === 'rollback'
      ? 'nothing to roll back: the rotation finished.'
      : `remove the leftover AWSPENDING from ${a.pending}; it stays AWSCURRENT.`;
  }
  if (choice === 'rollback') {
    return `remove AWSPENDING from ${a.pending}; AWSCURRENT stays on ${a.current ?? '(none)'}.`;
  }
  return `move AWSCURRENT onto ${a.pending}, then remove its AWSPENDING.`;
}

/** Each write of the plan as the API call and as the equivalent AWS CLI command. */
export function renderPlan(
  arn: string,
  region: string,
  plan: Plan,
  s: Style,
  heading = 'Plan',
): string {
  const calls = planCalls(arn, plan);
  if (calls.length === 0) return `${heading}: nothing to write.`;
  const title = plan.choice === 'nothing' ? '' : ` (${CHOICE_NAMES[plan.choice]})`;
  const lines = [`${s.bold(heading)}${title}:`];
  calls.forEach((c, i) => lines.push(`  ${i + 1}. ${c.api}`));
  lines.push('', 'The same with the AWS CLI:');
  for (const c of calls) lines.push(`  ${cli(c.cli, arn, region)}`);
  return lines.join('\n');
}

export interface PlannedCall {
  api: string;
  cli: string;
}

export function planCalls(arn: string, plan: Plan): PlannedCall[] {
  const calls: PlannedCall[] = [];
  if (plan.cancelRotation) {
    calls.push({
      api: `CancelRotateSecret SecretId=${arn}`,
      cli: 'cancel-rotate-secret',
    });
  }
  for (const move of plan.moves) calls.push(moveCall(arn, move));
  return calls;
}

export function moveCall(arn: string, move: LabelMove): PlannedCall {
  const api = [`UpdateSecretVersionStage SecretId=${arn} VersionStage=${move.label}`];
  const flags = [`update-secret-version-stage --version-stage ${move.label}`];
  if (move.moveTo) {
    api.push(`MoveToVersionId=${move.moveTo}`);
    flags.push(`--move-to-version-id ${move.moveTo}`);
  }
  if (move.removeFrom) {
    api.push(`RemoveFromVersionId=${move.removeFrom}`);
    flags.push(`--remove-from-version-id ${move.removeFrom}`);
  }
  return { api: api.join(' '), cli: flags.join(' ') };
}

export function cli(rest: string, arn: string, region: string): string {
  const [sub, ...flags] = rest.split(' ');
  const args = [sub, '--secret-id', shellQuote(arn), ...flags, '--region', region];
  return `aws secretsmanager ${args.join(' ')}`;
}

export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_\-.:/=@+,]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function renderLabelChange(before: LabelMap, after: LabelMap, s: Style): string {
  const ids = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const changed = ids.filter((id) => (before[id] ?? []).length + (after[id] ?? []).length > 0);
  const fmt = (labels: string[] | undefined) => (labels?.length ? labels.join(', ') : '(none)');
  const lines = [`${s.bold('Labels')}, before -> after:`];
  for (const id of changed) {
    const from = fmt(before[id]);
    const to = fmt(after[id]);
    const text = `  ${id}  ${from} -> ${to}`;
    lines.push(from === to ? s.dim(text) : text);
  }
  return lines.join('\n');
}

export function renderUndo(
  snap: Pick<SecretSnapshot, 'arn' | 'region' | 'rotationLambdaArn' | 'owningService'>,
  undo: LabelMove[],
  cancelled: boolean,
  s: Style,
): string {
  const { arn, region } = snap;
  const lines: string[] = [];
  if (undo.length > 0) {
    lines.push(`${s.bold('To undo')} the label change (labels only; no database is changed):`);
    for (const move of undo) lines.push(`  ${cli(moveCall(arn, move).cli, arn, region)}`);
    lines.push(s.dim('  Putting AWSPENDING back blocks rotation again.'));
  }
  if (cancelled) lines.push('Rotation is now off.');
  return [...lines, ...renderReenable(snap, s)].join('\n');
}

function renderReenable(
  snap: Pick<SecretSnapshot, 'arn' | 'region' | 'rotationLambdaArn' | 'owningService'>,
  s: Style,
): string[] {
  if (snap.owningService) {
    return [`Rotation is managed by ${snap.owningService}; turn it back on there.`];
  }
  if (!snap.rotationLambdaArn) {
    const setUp = cli(
      'rotate-secret --rotation-lambda-arn <function-arn> --rotation-rules AutomaticallyAfterDays=30',
      snap.arn,
      snap.region,
    );
    return [`${s.bold('Rotation is not configured')} for this secret. To set it up:`, `  ${setUp}`];
  }
  return [
    `${s.bold('To turn rotation back on')} (this starts a rotation at once):`,
    `  ${cli('rotate-secret', snap.arn, snap.region)}`,
    s.dim('  Add --no-rotate-immediately to wait for the next scheduled rotation.'),
  ];
}
