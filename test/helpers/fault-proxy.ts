// In-process fault-injecting HTTP proxy for tests: SDK client -> proxy -> local moto_server.
// Faults are set from the test itself (add/clear), so no control endpoint is exposed on the wire.
// Measured SDK behaviour under each fault: /work/shared/notes/test-infra.md §5.
// 'paginate' makes up for moto never paging ListSecretVersionIds (test-infra §3.3): the proxy
// fetches the whole list and answers with pages and NextTokens of its own.
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { after, beforeEach } from 'node:test';

export type FaultMode =
  | 'throttle'
  | 'http500'
  | '503'
  | 'reset'
  | 'reset-after'
  | 'delay'
  | 'hang'
  | 'deny'
  | 'hook'
  | 'paginate';

export interface Fault {
  /** X-Amz-Target operation name, e.g. 'UpdateSecretVersionStage'; undefined = any. */
  target?: string;
  mode: FaultMode;
  /** How many matching requests to fault; default 1 ('paginate': Infinity); Infinity allowed. */
  times?: number;
  /** For 'delay': how long to hold the request before forwarding it (default 1000). */
  delayMs?: number;
  /** For 'deny' (and overrides the text of the other injected errors). */
  message?: string;
  /** For 'hook': awaited before forwarding, e.g. another writer moving a label. */
  hook?: () => Promise<void>;
  /** Only requests whose parsed JSON body satisfies this are faulted. */
  match?: (body: Record<string, unknown>) => boolean;
  /** For 'paginate': items per page (default 100); the request's MaxResults caps it. */
  pageSize?: number;
  /** For 'paginate': a chain's first answer holds no items, only a NextToken (AWS may). */
  emptyPageFirst?: boolean;
  /**
   * For 'paginate': answer a NextToken the proxy never issued (for this secret) like AWS,
   * HTTP 400 InvalidNextTokenException. Without it such a token is a test bug: HTTP 502
   * FaultProxyError.
   */
  badToken?: 'InvalidNextTokenException';
  /** For 'paginate': every answer carries a NextToken; past the end, pages are empty. */
  endless?: boolean;
}

/** What a 'paginate' fault answered, recorded on the request's log entry. */
export interface PageServed {
  /** Index of the page's first item in the full list. */
  offset: number;
  /** Items in this page. */
  items: number;
  /** Items in the full list moto returned. */
  total: number;
  /** The token the client must send for the next page; absent on the last page. */
  nextToken?: string;
}

export interface LogEntry {
  target: string;
  fault: FaultMode | null;
  body: Record<string, unknown>;
  /** Set when a 'paginate' fault answered with a page. */
  page?: PageServed;
}

export interface FaultProxy {
  /** http://127.0.0.1:PORT, to pass as the SDK client's endpoint. */
  endpoint: string;
  add(...f: Fault[]): void;
  /** Drops pending faults and empties the log (the log array keeps its identity). */
  clear(): void;
  /** Every request received, faulted or not, in arrival order. */
  log: LogEntry[];
  /** Requests received for one operation, or all requests when target is undefined. */
  count(target?: string): number;
  /** Stops listening and destroys every socket, timer and upstream request it opened. */
  close(): Promise<void>;
}

interface ArmedFault extends Fault {
  left: number;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const MODES = new Set<FaultMode>([
  'throttle',
  'http500',
  '503',
  'reset',
  'reset-after',
  'delay',
  'hang',
  'deny',
  'hook',
  'paginate',
]);
/** Operations 'paginate' can page, and the list each one's answer holds. */
const PAGED_LISTS: Readonly<Record<string, string>> = { ListSecretVersionIds: 'Versions' };
const DEFAULT_PAGE_SIZE = 100;
// Hop-by-hop headers must not be copied: the proxy re-frames the buffered body itself.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/** Throws unless upstream is plain HTTP on a loopback host: tests must never leave the machine. */
function parseUpstream(upstream: string): URL {
  const url = new URL(upstream);
  if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname)) {
    const allowed = '127.0.0.1/localhost/[::1]';
    throw new Error(`fault proxy: upstream must be http on ${allowed}, got ${upstream}`);
  }
  return url;
}

function defaultTimes(f: Fault): number {
  // A chain of pages needs the fault armed for every page, so 'paginate' stays until clear().
  return f.times ?? (f.mode === 'paginate' ? Infinity : 1);
}

function validate(f: Fault): void {
  const times = defaultTimes(f);
  if (!MODES.has(f.mode)) throw new Error(`fault proxy: unknown mode ${String(f.mode)}`);
  if (!(times > 0)) throw new Error(`fault proxy: times must be > 0, got ${times}`);
  if (f.mode === 'hook' && !f.hook) throw new Error("fault proxy: mode 'hook' needs hook()");
  if (f.delayMs !== undefined && !(f.delayMs >= 0)) {
    throw new Error(`fault proxy: delayMs must be >= 0, got ${f.delayMs}`);
  }
  if (f.mode === 'paginate') validatePaging(f);
}

function validatePaging(f: Fault): void {
  const ops = Object.keys(PAGED_LISTS).join(', ');
  if (f.target === undefined || !(f.target in PAGED_LISTS)) {
    throw new Error(`fault proxy: mode 'paginate' needs a target among ${ops}`);
  }
  if (f.pageSize !== undefined && !(Number.isInteger(f.pageSize) && f.pageSize >= 1)) {
    throw new Error(`fault proxy: pageSize must be an integer >= 1, got ${f.pageSize}`);
  }
  if (f.badToken !== undefined && f.badToken !== 'InvalidNextTokenException') {
    throw new Error(`fault proxy: badToken must be 'InvalidNextTokenException'`);
  }
}

function operationOf(req: IncomingMessage): string {
  const header = req.headers['x-amz-target'];
  return (
    String(Array.isArray(header) ? header[0] : (header ?? ''))
      .split('.')
      .pop() ?? ''
  );
}

function parseBody(raw: Buffer): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(raw.toString('utf8'));
    const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
    return isObject ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {}; // moto control calls and other non-JSON bodies are still logged, with {}
  }
}

export function denyMessage(op: string, body: Record<string, unknown>): string {
  const resource = typeof body.SecretId === 'string' ? body.SecretId : '*';
  return (
    `User: arn:aws:iam::123456789012:user/test is not authorized to perform: ` +
    `secretsmanager:${op} on resource: ${resource} because no identity-based policy ` +
    `allows the secretsmanager:${op} action`
  );
}

/** Answers like the AWS JSON 1.1 protocol does, so the SDK maps it to a typed exception. */
function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify({ __type: type, message });
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(body),
    'x-amzn-errortype': type,
    'x-amzn-requestid': `fault-proxy-${Date.now()}`,
  });
  res.end(body);
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

interface Upstream {
  status: number;
  headers: http.OutgoingHttpHeaders;
  body: Buffer;
}

/** Where an issued NextToken points: a secret's list, from this item on. */
interface TokenTarget {
  secretId: unknown;
  offset: number;
}

/** MaxResults when the client sent a positive integer, else undefined (no cap). */
function maxResultsOf(body: Record<string, unknown>): number | undefined {
  const m = body.MaxResults;
  return typeof m === 'number' && Number.isInteger(m) && m >= 1 ? m : undefined;
}

function without(doc: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(doc).filter(([k]) => !keys.includes(k)));
}

function sendJson(res: ServerResponse, headers: http.OutgoingHttpHeaders, doc: object): void {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(JSON.stringify(doc));
  res.writeHead(200, { ...headers, 'content-length': body.length });
  res.end(body);
}

class FaultProxyServer implements FaultProxy {
  endpoint = '';
  readonly log: LogEntry[] = [];
  private faults: ArmedFault[] = [];
  /** NextTokens issued by 'paginate' answers; each is unique, so a log shows who sent which. */
  private readonly tokens = new Map<string, TokenTarget>();
  private tokenSerial = 0;
  private readonly server = http.createServer((q, s) => void this.handle(q, s));
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  // Own agent so close() can destroy upstream sockets without touching the global agent.
  private readonly agent = new http.Agent({ keepAlive: true });
  private closed = false;

  constructor(private readonly upstream: URL) {
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = this.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('fault proxy: no address');
    this.endpoint = `http://127.0.0.1:${addr.port}`;
  }

  add(...faults: Fault[]): void {
    faults.forEach(validate);
    this.faults.push(...faults.map((f) => ({ ...f, left: defaultTimes(f) })));
  }

  clear(): void {
    this.faults = [];
    this.log.length = 0;
    this.tokens.clear();
  }

  count(target?: string): number {
    return this.log.filter((e) => target === undefined || e.target === target).length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Destroying the sockets is what ends a 'hang'; server.close() alone waits for them.
    for (const s of this.sockets) s.destroy();
    this.agent.destroy();
    await stopped;
  }

  /** First armed fault for this request; consumes one of its uses. */
  private take(target: string, body: Record<string, unknown>): ArmedFault | undefined {
    const hit = this.faults.find(
      (f) =>
        f.left > 0 &&
        (f.target === undefined || f.target === target) &&
        (f.match === undefined || f.match(body)),
    );
    if (hit) hit.left -= 1;
    this.faults = this.faults.filter((f) => f.left > 0);
    return hit;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const raw = await readAll(req);
      const target = operationOf(req);
      const body = parseBody(raw);
      const fault = this.take(target, body);
      const entry: LogEntry = { target, fault: fault?.mode ?? null, body };
      this.log.push(entry);
      if (fault?.mode === 'paginate') return await this.paginate(fault, entry, req, res);
      await this.apply(fault, target, body, req, res, raw);
    } catch (err) {
      // A throwing match()/hook() or a dead upstream must be loud, not a silent pass-through.
      sendError(res, 502, 'FaultProxyError', `fault proxy: ${String(err)}`);
    }
  }

  private async apply(
    fault: ArmedFault | undefined,
    target: string,
    body: Record<string, unknown>,
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer,
  ): Promise<void> {
    const msg = fault?.message;
    switch (fault?.mode) {
      case undefined:
        return this.relay(req, res, raw);
      case 'throttle':
        return sendError(res, 400, 'ThrottlingException', msg ?? 'Rate exceeded');
      case 'http500':
        return sendError(res, 500, 'InternalServiceError', msg ?? 'injected 500');
      case '503':
        return sendError(res, 503, 'ServiceUnavailable', msg ?? 'injected 503');
      case 'deny':
        return sendError(res, 400, 'AccessDeniedException', msg ?? denyMessage(target, body));
      case 'reset':
        return void req.socket.resetAndDestroy();
      case 'reset-after':
        await this.forward(req, raw); // moto applies the request; its answer is thrown away
        return void req.socket.resetAndDestroy();
      case 'delay':
        await this.sleep(fault.delayMs ?? 1000);
        return this.relay(req, res, raw);
      case 'hang':
        return; // socket stays open until the client gives up or close()
      case 'hook':
        await fault.hook?.();
        return this.relay(req, res, raw);
      case 'paginate':
        return; // handled by paginate(), which records the page it served
    }
  }

  /**
   * Asks moto for the whole list (no NextToken, no MaxResults: moto ignores both anyway) and
   * answers with the page the client's NextToken and MaxResults select. moto's errors
   * (missing secret: 404 or 500 HTML) are relayed as they came.
   */
  private async paginate(
    fault: ArmedFault,
    entry: LogEntry,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const { body } = entry;
    const token = body.NextToken;
    let offset = 0;
    if (token !== undefined) {
      const at = typeof token === 'string' ? this.tokens.get(token) : undefined;
      if (at === undefined || at.secretId !== body.SecretId) {
        return this.unknownToken(fault, res, token);
      }
      offset = at.offset;
    }
    const whole = without(body, ['NextToken', 'MaxResults']);
    const up = await this.forward(req, Buffer.from(JSON.stringify(whole)));
    if (res.destroyed || res.headersSent) return;
    if (up.status !== 200) {
      res.writeHead(up.status, { ...up.headers, 'content-length': up.body.length });
      return void res.end(up.body);
    }
    const listKey = PAGED_LISTS[entry.target] ?? '';
    const answer = parseBody(up.body);
    const all = answer[listKey];
    if (!Array.isArray(all)) throw new Error(`paginate: moto's answer has no ${listKey} list`);
    const emptyFirst = fault.emptyPageFirst === true && token === undefined;
    const size = Math.min(fault.pageSize ?? DEFAULT_PAGE_SIZE, maxResultsOf(body) ?? Infinity);
    const items: unknown[] = emptyFirst ? [] : all.slice(offset, offset + size);
    const next = emptyFirst ? offset : Math.min(offset + items.length, all.length);
    const more = emptyFirst || next < all.length || fault.endless === true;
    const page: PageServed = { offset, items: items.length, total: all.length };
    if (more) page.nextToken = this.issueToken(body.SecretId, next);
    entry.page = page;
    sendJson(res, up.headers, {
      ...without(answer, ['NextToken']),
      [listKey]: items,
      ...(page.nextToken ? { NextToken: page.nextToken } : {}),
    });
  }

  private issueToken(secretId: unknown, offset: number): string {
    this.tokenSerial += 1;
    const token = Buffer.from(`page:${offset}:${this.tokenSerial}`).toString('base64url');
    this.tokens.set(token, { secretId, offset });
    return token;
  }

  private unknownToken(fault: ArmedFault, res: ServerResponse, token: unknown): void {
    if (fault.badToken === 'InvalidNextTokenException') {
      const msg = fault.message ?? 'The NextToken value is invalid.';
      return sendError(res, 400, 'InvalidNextTokenException', msg);
    }
    const shown = JSON.stringify(token);
    const why = `paginate: NextToken ${shown} was never issued by this proxy for this secret`;
    sendError(res, 502, 'FaultProxyError', `fault proxy: ${why}`);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private async relay(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const up = await this.forward(req, raw);
    // The client may have timed out meanwhile; moto has applied the request regardless.
    if (res.destroyed || res.headersSent) return;
    res.writeHead(up.status, { ...up.headers, 'content-length': up.body.length });
    res.end(up.body);
  }

  private forward(req: IncomingMessage, raw: Buffer): Promise<Upstream> {
    if (this.closed) return Promise.reject(new Error('closed'));
    return new Promise((resolve, reject) => {
      const out = http.request(
        {
          host: this.upstream.hostname.replace(/^\[|\]$/g, ''),
          port: this.upstream.port || 80,
          method: req.method,
          path: req.url,
          headers: { ...stripHopByHop(req.headers), 'content-length': raw.length },
          agent: this.agent,
        },
        (answer) => {
          readAll(answer).then(
            (buf) =>
              resolve({
                status: answer.statusCode ?? 502,
                headers: stripHopByHop(answer.headers),
                body: buf,
              }),
            reject,
          );
        },
      );
      out.on('error', reject);
      out.end(raw);
    });
  }
}

function stripHopByHop(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const kept: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k)) kept[k] = v;
  }
  return kept;
}

/** Starts a proxy on 127.0.0.1 (random port) in front of a loopback upstream such as moto. */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const proxy = new FaultProxyServer(parseUpstream(upstream));
  await proxy.listen();
  return proxy;
}

/**
 * For node:test files: one recording proxy in front of the file's moto, started on first use,
 * with its faults and log cleared before each test and on every call, closed after the file.
 */
export interface RecordingProxy {
  (): Promise<FaultProxy>;
  /** The running proxy, for synchronous matchers; throws before the first call. */
  current(): FaultProxy;
}

export function useRecordingProxy(upstream: () => { endpoint: string }): RecordingProxy {
  let proxy: FaultProxy | undefined;
  after(async () => {
    await proxy?.close();
  });
  beforeEach(() => {
    proxy?.clear();
  });
  const use = async (): Promise<FaultProxy> => {
    proxy ??= await startFaultProxy(upstream().endpoint);
    proxy.clear();
    return proxy;
  };
  const current = (): FaultProxy => {
    if (!proxy) throw new Error('fault proxy is not running');
    return proxy;
  };
  return Object.assign(use, { current });
}
