// Reliability tally: the fault, bad-input and leak tests append one JSON line per event they
// observe to the file named by ROTCTL_TALLY_FILE; scripts/reliability.mjs counts them.
// Without ROTCTL_TALLY_FILE nothing is written. Events never carry a secret value.
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

export type TallyEvent =
  /** A fault was armed on the proxy and the proxy log shows it fired `requests` times. */
  | { kind: 'fault-injected'; id: string; op: string; mode: string; requests: number }
  /** The run (possibly after one re-run) ended in the right end state. */
  | { kind: 'fault-survived'; id: string }
  /** One bad input was tried; `ok` says rotctl answered it as documented. */
  | { kind: 'bad-input'; id: string; exit: number | null; ok: boolean }
  /** One run's stdout, stderr (and JSON document) were searched for `sentinels` values. */
  | { kind: 'output-searched'; id: string; sentinels: number }
  /** A value was found in rotctl's output; `where` is stdout, stderr or json. */
  | { kind: 'value-leaked'; id: string; where: string }
  /** A secret's labels were read after a run; `currents` = versions holding AWSCURRENT. */
  | { kind: 'end-state'; id: string; currents: number };

export function tally(event: TallyEvent): void {
  const file = process.env['ROTCTL_TALLY_FILE'];
  if (!file) return;
  // The directory is made again if something cleaned the temp dir meanwhile.
  mkdirSync(path.dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify({ ...event, at: new Date().toISOString() })}\n`);
}

/** How many versions hold AWSCURRENT in a label map (version id -> labels). */
export function currentHolders(labels: Readonly<Record<string, readonly string[]>>): number {
  return Object.values(labels).filter((l) => l.includes('AWSCURRENT')).length;
}

/** Records the end state of one secret and returns the number of AWSCURRENT holders. */
export function tallyEndState(
  id: string,
  labels: Readonly<Record<string, readonly string[]>>,
): number {
  const currents = currentHolders(labels);
  tally({ kind: 'end-state', id, currents });
  return currents;
}
