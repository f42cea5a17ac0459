/**
 * rotctl scan: one paged ListSecrets per region finds the candidates (its label map is enough),
 * then each hit is re-confirmed with DescribeSecret because ListSecrets can lag by minutes.
 */
import { advise } from '../advice.js';
import type { SecretSummary, Secrets } from '../aws.js';
import type { RotctlError } from '../errors.js';
import { ExitCode, usageError } from '../errors.js';
import { checkRegion } from '../input.js';
import { assess } from '../plan.js';
import { date, table } from '../render.js';
import { SCHEMA_VERSION } from '../report.js';
import { KNOWN_REGIONS, age, isOverdue, mapLimit } from '../scan.js';
import { PENDING, isBlocked } from '../state.js';
import type { Ui } from '../ui.js';
import {
  asRotctlError,
  connection,
  connectFor,
  failCommand,
  mostSevere,
  uiFor,
  type CommonFlags,
} from './shared.js';

interface ScanFlags extends Omit<CommonFlags, 'region'> {
  region?: string[];
  allRegions?: boolean;
  all?: boolean;
  concurrency?: string;
}

export interface BlockedSecret {
  region: string;
  name: string;
  arn: string;
  rotationEnabled: boolean;
  pendingSince: string | null;
  pendingFor: string;
  state: string;
  title: string;
  fix: string | null;
}

interface RegionResult {
  region: string;
  secrets: number;
  blocked: BlockedSecret[];
  overdue: Array<{ region: string; name: string; arn: string; nextRotationDate: string | null }>;
  healthy: Array<{ region: string; name: string; arn: string }>;
  error?: { exitCode: number; message: string } | undefined;
  /** Exit codes of hits that could not be re-confirmed; they are still reported. */
  unconfirmed: number[];
  skipped?: string | undefined;
}

const PER_REGION_CONFIRMS = 4;

export async function runScanCommand(raw: Record<string, unknown>): Promise<number> {
  const flags = raw as ScanFlags;
  const ui = await uiFor({ ...flags, region: undefined });
  try {
    const regions = scanRegions(flags);
    const limit = concurrency(flags.concurrency);
    const base = connection({ ...flags, region: undefined });
    const now = new Date();
    let done = 0;
    const results = await ui.spin(`Scanning ${regions.length} region(s)`, (update) =>
      mapLimit(regions, limit, async (region) => {
        const result = await scanRegion(region, { ...base, region }, ui, now, flags, regions);
        update(`Scanned ${++done} of ${regions.length} region(s)`);
        return result;
      }),
    );
    return report(results, ui, Boolean(flags.all));
  } catch (err) {
    return failCommand(ui, 'scan', '', err, flags.verbose);
  }
}

function scanRegions(flags: ScanFlags): string[] {
  const named = (flags.region ?? []).map((r) => checkRegion(r, '--region'));
  if (named.length > 0 && flags.allRegions) {
    throw usageError('Use --region or --all-regions, not both.');
  }
  if (flags.allRegions) return KNOWN_REGIONS;
  if (named.length > 0) return [...new Set(named)];
  const env = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
  if (env) return [checkRegion(env, 'AWS_REGION')];
  throw usageError(
    'No region to scan.',
    'Pass --region (repeatable), --all-regions, or set AWS_REGION.',
  );
}

function concurrency(raw: string | undefined): number {
  const n = Number(raw ?? '4');
  if (!Number.isInteger(n) || n < 1 || n > 32) {
    throw usageError(`--concurrency must be a whole number from 1 to 32, not "${raw}".`);
  }
  return n;
}

async function scanRegion(
  region: string,
  conn: ReturnType<typeof connection>,
  ui: Ui,
  now: Date,
  flags: ScanFlags,
  /** Every region of this scan: a replica whose primary is among them is reported once. */
  scanned: readonly string[],
): Promise<RegionResult> {
  const result: RegionResult = {
    region,
    secrets: 0,
    blocked: [],
    overdue: [],
    healthy: [],
    unconfirmed: [],
  };
  let aws: Secrets | undefined;
  try {
    aws = await connectFor(conn, ui);
    const list = await aws.listSecrets();
    result.secrets = list.length;
    const client = aws;
    const confirmed = await mapLimit(
      list.filter((s) => isBlocked(s.labels)),
      PER_REGION_CONFIRMS,
      (s) =>
        confirm(client, s, region, now, scanned).catch((err: unknown) =>
          unconfirmedHit(result, s, region, asRotctlError(err)),
        ),
    );
    result.blocked = confirmed.filter((b): b is BlockedSecret => b !== undefined);
    const blockedArns = new Set(result.blocked.map((b) => b.arn));
    const rest = list.filter((s) => !blockedArns.has(s.arn));
    result.overdue = rest.filter((s) => isOverdue(s, now)).map((s) => overdueEntry(region, s));
    if (flags.all) result.healthy = rest.map((s) => ({ region, name: s.name, arn: s.arn }));
  } catch (err) {
    recordRegionError(result, asRotctlError(err), Boolean(flags.allRegions));
  } finally {
    aws?.close();
  }
  return result;
}

/** Regions an account has not enabled reject its credentials; --all-regions skips them. */
function recordRegionError(result: RegionResult, err: RotctlError, allRegions: boolean): void {
  const notEnabled = /UnrecognizedClientException|InvalidClientTokenId|security token/i;
  if (allRegions && notEnabled.test(err.message)) {
    result.skipped = 'not enabled for this account';
    return;
  }
  result.error = { exitCode: err.exitCode, message: err.message };
}

async function confirm(
  aws: Secrets,
  listed: SecretSummary,
  region: string,
  now: Date,
  scanned: readonly string[],
): Promise<BlockedSecret | undefined> {
  const snap = await aws.describeSecret(listed.arn);
  const a = assess(snap, now);
  if (!a.blocking) return undefined;
  // A replica mirrors its primary's labels: when the primary is scanned too, report it once.
  if (a.code === 'S14' && snap.primaryRegion && scanned.includes(snap.primaryRegion)) {
    return undefined;
  }
  const versions = await aws.listVersionInfo(snap.arn);
  const since = versions.find((v) => v.labels.includes(PENDING))?.createdDate;
  return {
    region,
    name: snap.name,
    arn: snap.arn,
    rotationEnabled: snap.rotationEnabled,
    pendingSince: since?.toISOString() ?? null,
    pendingFor: age(since, now),
    // Without reading values, an empty placeholder (S3) and a stored value (S6) look the same.
    state: a.code === 'S6' && a.pendingValue === 'not-checked' ? 'S3/S6' : a.code,
    title: a.title,
    fix: advise(snap, a).command ?? null,
  };
}

/**
 * One hit that could not be re-read (denied, throttled) is reported as ListSecrets showed it,
 * with the reason; the rest of the region is not lost with it.
 */
function unconfirmedHit(
  result: RegionResult,
  listed: SecretSummary,
  region: string,
  err: RotctlError,
): BlockedSecret {
  result.unconfirmed.push(err.exitCode);
  return {
    region,
    name: listed.name,
    arn: listed.arn,
    rotationEnabled: listed.rotationEnabled,
    pendingSince: null,
    pendingFor: '-',
    state: 'unconfirmed',
    title: `blocked per ListSecrets; not re-confirmed: ${err.message}`,
    fix: `rotctl status ${listed.arn}`,
  };
}

function overdueEntry(region: string, s: SecretSummary) {
  return {
    region,
    name: s.name,
    arn: s.arn,
    nextRotationDate: s.nextRotationDate?.toISOString() ?? null,
  };
}

function report(results: RegionResult[], ui: Ui, all: boolean): number {
  const blocked = results.flatMap((r) => r.blocked);
  const errors = results.filter((r) => r.error);
  const exitCode = mostSevere([
    blocked.length > 0 ? ExitCode.blocked : ExitCode.ok,
    ...errors.map((r) => r.error?.exitCode ?? ExitCode.internal),
    ...results.flatMap((r) => r.unconfirmed),
  ]);
  if (ui.json) {
    process.stdout.write(`${JSON.stringify(scanDocument(results, exitCode, all), null, 2)}\n`);
  } else {
    ui.out(renderScan(results, ui, all));
  }
  for (const r of errors)
    process.stderr.write(`${ui.style.red('error:')} ${r.region}: ${r.error?.message}\n`);
  return exitCode;
}

function scanDocument(results: RegionResult[], exitCode: number, all: boolean) {
  return {
    schemaVersion: SCHEMA_VERSION,
    command: 'scan',
    regions: results.map((r) => ({
      region: r.region,
      secrets: r.secrets,
      ...(r.skipped ? { skipped: r.skipped } : {}),
      ...(r.error ? { error: r.error } : {}),
    })),
    blocked: results.flatMap((r) => r.blocked),
    overdue: results.flatMap((r) => r.overdue),
    ...(all ? { healthy: results.flatMap((r) => r.healthy) } : {}),
    result: { exitCode, blocked: results.reduce((n, r) => n + r.blocked.length, 0) },
  };
}

function renderScan(results: RegionResult[], ui: Ui, all: boolean): string {
  const s = ui.style;
  const blocked = results.flatMap((r) => r.blocked);
  const overdue = results.flatMap((r) => r.overdue);
  const lines: string[] = [];
  if (blocked.length > 0) {
    lines.push(
      s.bold('Blocked rotations'),
      table(
        ['REGION', 'SECRET', 'STATE', 'ROTATION', 'PENDING FOR', 'FIX'],
        blocked.map((b) => [
          b.region,
          b.name,
          b.state,
          b.rotationEnabled ? 'on' : 'off',
          b.pendingFor,
          b.fix ?? '-',
        ]),
        s.dim,
      ),
      '',
    );
  }
  if (overdue.length > 0) {
    lines.push(
      s.bold('Rotation overdue (enabled, next rotation date in the past)'),
      table(
        ['REGION', 'SECRET', 'NEXT ROTATION'],
        overdue.map((o) => [
          o.region,
          o.name,
          date(o.nextRotationDate ? new Date(o.nextRotationDate) : undefined),
        ]),
        s.dim,
      ),
      '',
    );
  }
  if (all) {
    const healthy = results.flatMap((r) => r.healthy.map((h) => [h.region, h.name]));
    if (healthy.length > 0)
      lines.push(s.bold('Healthy'), table(['REGION', 'SECRET'], healthy, s.dim), '');
  }
  const total = results.reduce((n, r) => n + r.secrets, 0);
  const scanned = results.filter((r) => !r.skipped && !r.error).length;
  lines.push(
    `Scanned ${total} secret(s) in ${scanned} region(s): ${blocked.length} blocked, ` +
      `${overdue.length} overdue.`,
  );
  const skipped = results.filter((r) => r.skipped).map((r) => r.region);
  if (skipped.length > 0) lines.push(s.dim(`Skipped (not enabled): ${skipped.join(', ')}`));
  return lines.join('\n');
}
