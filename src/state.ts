/** What rotctl knows about one secret: labels, dates and value presence, never a value. */

export const CURRENT = 'AWSCURRENT';
export const PENDING = 'AWSPENDING';
export const PREVIOUS = 'AWSPREVIOUS';
export const RESERVED_LABELS = [CURRENT, PENDING, PREVIOUS] as const;

/**
 * present: GetSecretValue returned a value; absent: the version has none; unknown: it could
 * not be read (access, KMS); not-checked: rotctl did not ask (only AWSPENDING is probed).
 */
export type ValuePresence = 'present' | 'absent' | 'unknown' | 'not-checked';

export interface VersionInfo {
  id: string;
  labels: string[];
  createdDate: Date | undefined;
  value: ValuePresence;
  /** Why the value is unknown (e.g. "no kms:Decrypt on the key"); never value material. */
  valueNote?: string | undefined;
}

export interface SecretSnapshot {
  arn: string;
  name: string;
  /** The region the client talks to. */
  region: string;
  rotationEnabled: boolean;
  rotationLambdaArn: string | undefined;
  lastRotatedDate: Date | undefined;
  nextRotationDate: Date | undefined;
  lastChangedDate: Date | undefined;
  deletedDate: Date | undefined;
  owningService: string | undefined;
  primaryRegion: string | undefined;
  externalType: string | undefined;
  kmsKeyId: string | undefined;
  versions: VersionInfo[];
}

/** version id → labels, the part of a snapshot that label writes change. */
export type LabelMap = Record<string, string[]>;

export function labelMap(versions: readonly Pick<VersionInfo, 'id' | 'labels'>[]): LabelMap {
  const map: LabelMap = {};
  for (const v of versions) map[v.id] = [...v.labels].sort();
  return map;
}

export function holdersOf(map: LabelMap, label: string): string[] {
  return Object.keys(map).filter((id) => map[id]?.includes(label));
}

export function sameLabels(a: LabelMap, b: LabelMap): boolean {
  const ids = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const id of ids) {
    const left = (a[id] ?? []).join(',');
    const right = (b[id] ?? []).join(',');
    if (left !== right) return false;
  }
  return true;
}

export function isReserved(label: string): boolean {
  return (RESERVED_LABELS as readonly string[]).includes(label);
}

/** AWSPENDING on a version other than AWSCURRENT: RotateSecret fails until it is repaired. */
export function isBlocked(labels: LabelMap): boolean {
  const pending = holdersOf(labels, PENDING);
  const current = holdersOf(labels, CURRENT);
  return pending.some((id) => !current.includes(id));
}
