// Pagination, which moto cannot show: it returns every ListSecretVersionIds version in one page
// with NextToken "" (test-infra §3.3), so the fault proxy's 'paginate' mode pages it instead.
// First the mode itself (pages, MaxResults cap, empty first page, unknown tokens, endless),
// then rotctl through it on C13 (130 versions; the labelled three sit on the last page of 7):
// status and cancel see the same secret as without paging and follow every page, an endless
// list ends in a clear error without a write, and scan pages a real ListSecrets of 250.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
  paginateListSecretVersionIds,
} from '@aws-sdk/client-secrets-manager';
import type {
  ListSecretVersionIdsCommandOutput,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  assertExit,
  assertNoSentinels,
  describeRun,
  labelsOf,
  opsOf,
  parseJsonDoc,
  rotationEnabled,
  runCli,
  WRITE_OPS,
} from './helpers/cli.js';
import type { CliResult, Labels } from './helpers/cli.js';
import { useRecordingProxy } from './helpers/fault-proxy.js';
import type { Fault, FaultProxy, LogEntry } from './helpers/fault-proxy.js';
import { client, useMoto } from './helpers/moto.js';
import { C13_DEPRECATED_COUNT, seedC13 } from './helpers/seed.js';
import type { Seeded } from './helpers/seed.js';

const moto = useMoto();
/** The recording proxy in front of this file's moto, started on first use. */
const useProxy = useRecordingProxy(moto);

const LIST = 'ListSecretVersionIds';
const TOTAL = C13_DEPRECATED_COUNT + 3; // 127 unlabelled, then B, A and the placeholder P
const PAGE = 7;
const PAGES = Math.ceil(TOTAL / PAGE); // 19; the labelled B, A, P are all on the last one
/** rotctl's documented bound on ListSecretVersionIds pages per read (src/aws.ts). */
const MAX_VERSION_PAGES = 200;
const US = 'us-east-1';
const CUR = 'AWSCURRENT';
const PREV = 'AWSPREVIOUS';
const PEND = 'AWSPENDING';

const paginate = (extra: Partial<Fault> = {}): Fault => ({
  target: LIST,
  mode: 'paginate',
  pageSize: PAGE,
  ...extra,
});

// ---------------------------------------------------------------------------------------
// Reading the proxy log as chains of pages

interface Chain {
  /** Requests answered with a page. */
  pages: number;
  /** Requests of the chain answered otherwise (another fault), i.e. retried by the SDK. */
  retries: number;
  items: number;
  /** The last page served had no NextToken. */
  complete: boolean;
  /** The token the next request of this chain must carry. */
  want: string | undefined;
}

/**
 * Splits the ListSecretVersionIds requests into reads: a read starts without a NextToken and
 * must then send exactly the token the proxy issued last (a retry repeats it), until a page
 * comes back without one. Anything else (a token out of nowhere, a reused old token) fails.
 */
function chainsOf(log: readonly LogEntry[]): Chain[] {
  const chains: Chain[] = [];
  let open: Chain | undefined;
  for (const e of log.filter((x) => x.target === LIST)) {
    const token = e.body['NextToken'];
    const retryOfFirst = open !== undefined && open.pages === 0 && token === undefined;
    if (token === undefined && !retryOfFirst) {
      open = { pages: 0, retries: 0, items: 0, complete: false, want: undefined };
      chains.push(open);
    } else {
      assert.ok(open && !open.complete, `NextToken ${String(token)} sent after the list ended`);
      assert.equal(token, open.want, 'the client sent a NextToken other than the last issued');
    }
    assert.ok(open);
    if (e.page === undefined) {
      open.retries += 1;
      continue;
    }
    open.pages += 1;
    open.items += e.page.items;
    open.want = e.page.nextToken;
    open.complete = e.page.nextToken === undefined;
  }
  return chains;
}

/** Every read followed the whole chain: `pages` pages, all TOTAL versions, none missed. */
function assertFollowedEveryPage(p: FaultProxy, pages: number, what: string): Chain[] {
  const chains = chainsOf(p.log);
  const summary = JSON.stringify(chains.map((c) => [c.pages, c.items, c.complete]));
  assert.ok(chains.length > 0, `${what}: no ${LIST} request`);
  for (const c of chains) {
    assert.ok(c.complete, `${what}: a read stopped before the last page: ${summary}`);
    assert.equal(c.pages, pages, `${what}: pages per read (${summary})`);
    assert.equal(c.items, TOTAL, `${what}: versions per read`);
  }
  const answered = chains.reduce((n, c) => n + c.pages + c.retries, 0);
  assert.equal(p.count(LIST), answered, `${what}: ${LIST} requests outside any read`);
  return chains;
}

function assertNoWrites(p: FaultProxy, what: string): void {
  for (const op of WRITE_OPS) assert.equal(p.count(op), 0, `${what}: sent ${op}`);
  assert.equal(p.count('PutSecretValue'), 0, `${what}: sent PutSecretValue`);
}

// ---------------------------------------------------------------------------------------
// Helpers for the proxy checks (SDK straight through the proxy)

async function withClient<T>(endpoint: string, fn: (sm: SecretsManagerClient) => Promise<T>) {
  const sm = client(endpoint);
  try {
    return await fn(sm);
  } finally {
    sm.destroy();
  }
}

function list(
  sm: SecretsManagerClient,
  arn: string,
  extra: { NextToken?: string; MaxResults?: number } = {},
): Promise<ListSecretVersionIdsCommandOutput> {
  return sm.send(
    new ListSecretVersionIdsCommand({ SecretId: arn, IncludeDeprecated: true, ...extra }),
  );
}

type SdkError = Error & { $metadata?: { httpStatusCode?: number } };

async function failure(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (err) {
    return err as SdkError;
  }
  return assert.fail('expected the call to fail');
}

const idsOf = (out: { Versions?: { VersionId?: string }[] }): string[] =>
  (out.Versions ?? []).map((v) => v.VersionId ?? '?');

// ---------------------------------------------------------------------------------------
// The paginate mode itself

test('paginate: pages of 7 in moto order, NextToken until the last', moto.options, async () => {
  const s = await seedC13(moto().endpoint);
  const whole = await withClient(moto().endpoint, (sm) => list(sm, s.arn));
  assert.equal(whole.Versions?.length, TOTAL, 'moto lists every version in one answer');
  assert.equal(whole.NextToken, '', 'moto sends NextToken "" (test-infra §3.3)');
  const p = await useProxy();
  p.add(paginate());
  const got: string[] = [];
  const pages = await withClient(p.endpoint, async (sm) => {
    const sizes: number[] = [];
    let token: string | undefined;
    do {
      const out = await list(sm, s.arn, {
        MaxResults: 100,
        ...(token ? { NextToken: token } : {}),
      });
      got.push(...idsOf(out));
      sizes.push(out.Versions?.length ?? 0);
      token = out.NextToken;
      assert.notEqual(token, '', 'the proxy leaves NextToken out on the last page');
    } while (token !== undefined && sizes.length <= PAGES);
    return sizes;
  });
  assert.deepEqual(pages, [...Array<number>(PAGES - 1).fill(PAGE), TOTAL - (PAGES - 1) * PAGE]);
  assert.deepEqual(got, idsOf(whole), 'pages joined are moto’s whole list, in order');
  // The labels rotctl needs are not on the first page.
  const first = new Set(got.slice(0, PAGE));
  for (const v of whole.Versions ?? []) {
    if ((v.VersionStages ?? []).length > 0) assert.ok(!first.has(v.VersionId ?? ''));
  }
  const chains = assertFollowedEveryPage(p, PAGES, 'hand loop');
  assert.equal(chains.length, 1);
  // moto was asked without NextToken/MaxResults; the log keeps what the client sent.
  assert.equal(p.log[0]?.body['MaxResults'], 100);
  assert.deepEqual(
    p.log.map((e) => e.page?.offset),
    Array.from({ length: PAGES }, (_, i) => i * PAGE),
  );
});

test('paginate: MaxResults caps pageSize; default pageSize 100', moto.options, async () => {
  const s = await seedC13(moto().endpoint);
  const p = await useProxy();
  p.add(paginate());
  await withClient(p.endpoint, async (sm) => {
    const capped = await list(sm, s.arn, { MaxResults: 3 });
    assert.equal(capped.Versions?.length, 3);
    assert.ok(capped.NextToken);
    const next = await list(sm, s.arn, { MaxResults: 50, NextToken: capped.NextToken });
    assert.equal(next.Versions?.length, PAGE, 'pageSize 7 under MaxResults 50');
    p.clear();
    p.add({ target: LIST, mode: 'paginate' });
    const big = await list(sm, s.arn);
    assert.equal(big.Versions?.length, 100);
    const rest = await list(sm, s.arn, { NextToken: big.NextToken ?? '' });
    assert.deepEqual([rest.Versions?.length, rest.NextToken], [TOTAL - 100, undefined]);
  });
});

test('paginate: the SDK paginator follows every page', moto.options, async () => {
  const s = await seedC13(moto().endpoint);
  const p = await useProxy();
  p.add(paginate({ emptyPageFirst: true }));
  const sizes = await withClient(p.endpoint, async (sm) => {
    const out: number[] = [];
    const input = { SecretId: s.arn, IncludeDeprecated: true };
    for await (const page of paginateListSecretVersionIds({ client: sm, pageSize: 100 }, input)) {
      out.push(page.Versions?.length ?? 0);
    }
    return out;
  });
  assert.equal(sizes[0], 0, 'emptyPageFirst: the first answer holds no versions');
  assert.equal(sizes.length, PAGES + 1);
  assert.equal(
    sizes.reduce((a, b) => a + b, 0),
    TOTAL,
  );
  assertFollowedEveryPage(p, PAGES + 1, 'SDK paginator');
});

test('paginate: unknown NextToken -> 400 InvalidNextTokenException', moto.options, async () => {
  const s = await seedC13(moto().endpoint);
  await withClient(moto().endpoint, (sm) =>
    sm.send(new CreateSecretCommand({ Name: 'app/other', SecretString: 'x' })),
  );
  const p = await useProxy();
  p.add(paginate({ badToken: 'InvalidNextTokenException' }));
  await withClient(p.endpoint, async (sm) => {
    const first = await list(sm, s.arn);
    const issued = first.NextToken ?? '';
    assert.ok(issued);
    for (const [id, token] of [
      [s.arn, 'garbage'],
      [s.arn, `${issued}x`],
      ['app/other', issued], // issued for another secret
    ] as const) {
      const err = await failure(list(sm, id, { NextToken: token }));
      assert.equal(err.name, 'InvalidNextTokenException', `${id} ${token}`);
      assert.equal(err.$metadata?.httpStatusCode, 400);
    }
    // The issued token still works, and more than once.
    assert.equal((await list(sm, s.arn, { NextToken: issued })).Versions?.length, PAGE);
    assert.equal((await list(sm, s.arn, { NextToken: issued })).Versions?.length, PAGE);
  });
  // Without badToken an unknown token is a test bug, answered loudly.
  p.clear();
  p.add(paginate());
  const err = await withClient(p.endpoint, (sm) =>
    failure(list(sm, s.arn, { NextToken: 'garbage' })),
  );
  assert.equal(err.name, 'FaultProxyError');
  assert.equal(err.$metadata?.httpStatusCode, 502);
  assert.match(err.message, /never issued/);
});

test(
  'paginate: endless always sends a NextToken; past the end, empty pages',
  moto.options,
  async () => {
    const s = await seedC13(moto().endpoint);
    const p = await useProxy();
    p.add(paginate({ endless: true, pageSize: 50 }));
    const sizes = await withClient(p.endpoint, async (sm) => {
      const out: number[] = [];
      let token: string | undefined;
      for (let i = 0; i < 6; i++) {
        const page = await list(sm, s.arn, token ? { NextToken: token } : {});
        assert.ok(page.NextToken, `page ${i} has no NextToken`);
        token = page.NextToken;
        out.push(page.Versions?.length ?? 0);
      }
      return out;
    });
    assert.deepEqual(sizes, [50, 50, 30, 0, 0, 0]);
  },
);

test('paginate: validated in add(); other operations pass untouched', moto.options, async () => {
  const s = await seedC13(moto().endpoint);
  const p = await useProxy();
  assert.throws(() => p.add({ mode: 'paginate' }), /needs a target/);
  assert.throws(() => p.add({ mode: 'paginate', target: 'ListSecrets' }), /needs a target/);
  assert.throws(() => p.add(paginate({ pageSize: 0 })), /pageSize/);
  assert.throws(() => p.add(paginate({ pageSize: 1.5 })), /pageSize/);
  const bad = { badToken: 'Nope' } as unknown as Partial<Fault>;
  assert.throws(() => p.add(paginate(bad)), /badToken/);
  p.add(paginate());
  const d = await withClient(p.endpoint, (sm) =>
    sm.send(new DescribeSecretCommand({ SecretId: s.arn })),
  );
  assert.equal(d.ARN, s.arn);
  // A missing secret: moto's own error comes back as it was (HTTP 500 + HTML, §3.3).
  const err = await withClient(p.endpoint, (sm) => failure(list(sm, 'app/no-such-secret')));
  assert.notEqual(err.name, 'FaultProxyError');
  assert.equal(err.$metadata?.httpStatusCode, 500);
  assert.deepEqual(
    p.log.map((e) => [e.target, e.fault, e.page === undefined]),
    [
      ['DescribeSecret', null, true],
      [LIST, 'paginate', true],
    ],
  );
  // 'paginate' lasts until clear() by default; an explicit times still counts.
  p.clear();
  p.add(paginate({ times: 1 }));
  await withClient(p.endpoint, async (sm) => {
    assert.equal((await list(sm, s.arn)).Versions?.length, PAGE);
    assert.equal((await list(sm, s.arn)).Versions?.length, TOTAL, 'forwarded as moto answers');
  });
});

// ---------------------------------------------------------------------------------------
// rotctl through the paging proxy

/** Dates in the version table are moto's "now" (§3.3), so two runs may differ by a minute. */
const undated = (text: string): string => text.replace(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/g, '<date>');

interface VersionJson {
  id: string;
  labels: string[];
  value: string;
}

function versionsOf(r: CliResult): VersionJson[] {
  const doc = parseJsonDoc(r);
  const before = doc['before'] as { versions?: VersionJson[] } | undefined;
  assert.ok(Array.isArray(before?.versions), `no before.versions\n${describeRun(r)}`);
  return before.versions.map((v) => ({ id: v.id, labels: v.labels, value: v.value }));
}

async function stateOf(s: Seeded): Promise<string> {
  const labels = await labelsOf(moto().endpoint, s.arn);
  return JSON.stringify({ labels, on: await rotationEnabled(moto().endpoint, s.arn) });
}

/** C13 repaired by rollback: AWSPENDING gone from P, A and B as they were, the rest bare. */
function assertRolledBack(labels: Labels, s: Seeded): void {
  const { A, B, P } = s.versions;
  assert.ok(A && B && P);
  assert.deepEqual([labels[A], labels[B], labels[P]], [[CUR], [PREV], []]);
  assert.equal(Object.keys(labels).length, TOTAL);
  for (const id of s.deprecated ?? []) assert.deepEqual(labels[id], [], id);
  const pending = Object.entries(labels).filter(([, l]) => l.includes(PEND));
  assert.deepEqual(pending, [], 'AWSPENDING is still somewhere');
}

test(
  'status C13 paged by 7: same state, table and versions as unpaged; every page read',
  moto.options,
  async () => {
    const s = await seedC13(moto().endpoint);
    const direct = moto().endpoint;
    const plainText = await runCli(['status', s.name], { endpoint: direct });
    const plainJson = await runCli(['status', s.name, '--output', 'json'], { endpoint: direct });
    assertExit(plainText, 8);
    const p = await useProxy();
    p.add(paginate());
    const text = await runCli(['status', s.name], { endpoint: p.endpoint });
    assertFollowedEveryPage(p, PAGES, 'status');
    assert.equal(p.count(LIST), PAGES, 'status reads the versions once');
    p.clear();
    p.add(paginate());
    const json = await runCli(['status', s.name, '--output', 'json'], { endpoint: p.endpoint });
    assertFollowedEveryPage(p, PAGES, 'status --output json');
    assertNoWrites(p, 'status');

    assertExit(text, 8);
    assert.match(text.stdout, /^State\s+S3: /m, describeRun(text));
    assert.match(text.stdout, /^Blocks rotation\s+yes$/m, describeRun(text));
    assert.match(text.stdout, /\(\+127 version\(s\) with no staging label\)/, describeRun(text));
    assert.equal(undated(text.stdout), undated(plainText.stdout), 'paged output differs');
    assertExit(json, 8);
    const doc = parseJsonDoc(json) as { state?: { code?: string; blocking?: boolean } };
    assert.deepEqual([doc.state?.code, doc.state?.blocking], ['S3', true]);
    const versions = versionsOf(json);
    assert.equal(versions.length, TOTAL, 'before.versions holds every version');
    assert.deepEqual(versions, versionsOf(plainJson));
    for (const r of [text, json]) assertNoSentinels(r, s.sentinels);
  },
);

test(
  'cancel C13 --yes paged by 7: repaired, every read follows every page',
  moto.options,
  async () => {
    const s = await seedC13(moto().endpoint);
    const p = await useProxy();
    // A mangled NextToken would be refused the way AWS refuses it.
    p.add(paginate({ badToken: 'InvalidNextTokenException' }));
    const r = await runCli(['cancel', s.name, '--yes', '--output', 'json'], {
      endpoint: p.endpoint,
    });
    assertExit(r, 0);
    const chains = assertFollowedEveryPage(p, PAGES, 'cancel');
    assert.ok(chains.length >= 2, 'cancel reads the versions before and after writing');
    assert.equal(p.count(LIST), chains.length * PAGES);
    const versions = versionsOf(r);
    assert.equal(versions.length, TOTAL, 'before.versions holds every version');
    assert.deepEqual(
      versions.map((v) => v.id).sort(),
      Object.keys(await labelsOf(moto().endpoint, s.arn)).sort(),
    );
    assert.deepEqual(versions.find((v) => v.id === s.versions.P)?.labels, [PEND]);
    assertRolledBack(await labelsOf(moto().endpoint, s.arn), s);
    assert.equal(await rotationEnabled(moto().endpoint, s.arn), false);
    assert.equal(p.count('UpdateSecretVersionStage'), 1, opsOf(p.log).join(', '));
    assertNoSentinels(r, s.sentinels);
  },
);

test(
  'cancel C13 --yes with an empty first page: one more request per read, repaired',
  moto.options,
  async () => {
    const s = await seedC13(moto().endpoint);
    const p = await useProxy();
    p.add(paginate({ emptyPageFirst: true }));
    const r = await runCli(['cancel', s.name, '--yes'], { endpoint: p.endpoint });
    assertExit(r, 0);
    assert.match(r.stdout, /S3/, describeRun(r));
    const chains = assertFollowedEveryPage(p, PAGES + 1, 'cancel, empty first page');
    assert.ok(chains.length >= 2);
    assert.equal(p.count(LIST), chains.length * (PAGES + 1));
    assertRolledBack(await labelsOf(moto().endpoint, s.arn), s);
    assertNoSentinels(r, s.sentinels);
  },
);

test(
  'status C13: a page throttled mid-list is retried with the same token',
  moto.options,
  async () => {
    const s = await seedC13(moto().endpoint);
    const p = await useProxy();
    const tenth = (b: Record<string, unknown>): boolean =>
      p.log.filter((e) => e.target === LIST).length === 10 && typeof b['NextToken'] === 'string';
    p.add({ target: LIST, mode: 'throttle', match: tenth }, paginate());
    const r = await runCli(['status', s.name], { endpoint: p.endpoint });
    assertExit(r, 8);
    assert.match(r.stdout, /^State\s+S3: /m, describeRun(r));
    const chains = assertFollowedEveryPage(p, PAGES, 'throttled status');
    assert.deepEqual(
      chains.map((c) => c.retries),
      [1],
    );
  },
);

test(
  'endless NextToken: status and cancel stop with a clear error, exit 7, no write',
  moto.options,
  async () => {
    const s = await seedC13(moto().endpoint);
    const before = await stateOf(s);
    const p = await useProxy();
    const runs: [string, string[]][] = [
      ['status', ['status', s.name]],
      ['status json', ['status', s.name, '--output', 'json']],
      ['cancel', ['cancel', s.name, '--yes']],
    ];
    for (const [what, args] of runs) {
      p.clear();
      p.add(paginate({ endless: true }));
      const t0 = Date.now();
      const r = await runCli(args, { endpoint: p.endpoint, timeoutMs: 60_000 });
      const took = Date.now() - t0;
      assert.equal(r.signal, null, `${what}: killed after ${took} ms (hung)\n${describeRun(r)}`);
      assert.ok(took < 60_000, `${what}: took ${took} ms`);
      assert.ok(r.code === 7, `${what}: exit 7\n${describeRun(r)}`);
      const said = what.endsWith('json') ? r.stdout : r.stderr;
      assert.match(said, /ListSecretVersionIds/, `${what}: names the call\n${describeRun(r)}`);
      assert.match(said, /pages?/i, `${what}: says what went wrong\n${describeRun(r)}`);
      assert.doesNotMatch(r.stderr, /^\s+at /m, `${what}: stack trace\n${describeRun(r)}`);
      if (what.endsWith('json')) {
        const doc = parseJsonDoc(r) as { result?: { status?: string; exitCode?: number } };
        assert.deepEqual([doc.result?.status, doc.result?.exitCode], ['failed', r.code]);
      }
      const requests = p.count(LIST);
      assert.ok(requests > PAGES, `${what}: stopped at the end of the list, not at a bound`);
      assert.ok(requests <= MAX_VERSION_PAGES, `${what}: ${requests} ${LIST} requests`);
      assertNoWrites(p, what);
      assert.equal(await stateOf(s), before, `${what}: state changed`);
      assertNoSentinels(r, s.sentinels);
    }
  },
);

// ---------------------------------------------------------------------------------------
// ListSecrets: moto pages it for real

test('scan of 250 secrets pages ListSecrets: 3 requests', moto.options, async () => {
  const sm = client(moto().endpoint, US);
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < 250) {
        const i = next++;
        const name = `fleet/${String(i).padStart(5, '0')}`;
        await sm.send(new CreateSecretCommand({ Name: name, SecretString: `plain-${i}` }));
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  } finally {
    sm.destroy();
  }
  const p = await useProxy();
  const r = await runCli(['scan', '--region', US, '--output', 'json'], { endpoint: p.endpoint });
  assertExit(r, 0);
  const doc = parseJsonDoc(r) as {
    regions?: { region: string; secrets: number }[];
    blocked?: unknown[];
  };
  assert.deepEqual(
    doc.regions?.map((g) => [g.region, g.secrets]),
    [[US, 250]],
  );
  assert.deepEqual(doc.blocked, []);
  assert.equal(p.count('ListSecrets'), 3, opsOf(p.log).join(', '));
  const tokens = p.log.filter((e) => e.target === 'ListSecrets').map((e) => e.body['NextToken']);
  assert.equal(tokens[0], undefined);
  assert.ok(typeof tokens[1] === 'string' && tokens[1] !== '', 'page 2 without a token');
  assert.ok(typeof tokens[2] === 'string' && tokens[2] !== tokens[1], 'page 3 token');
  assert.deepEqual(opsOf(p.log), ['ListSecrets', 'ListSecrets', 'ListSecrets']);
});
