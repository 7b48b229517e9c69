import type { HttpProxyStatus } from '../http-proxy/router-proxy.js';
import type { RouterSamStatus } from '../sam/router-sam.js';
/**
 * The control protocol of a running router: newline-delimited JSON over a unix socket in its
 * home (`<home>/router/control.sock`, mode 0600). One request per line,
 * `{"id":1,"method":"status","params":{}}`, answered by one line with the same id:
 * `{"id":1,"result":…}` or `{"id":1,"error":{"code":"…","message":"…"}}`.
 * The socket's mode and its private directory are the access control: whoever can connect may
 * stop the router, as with i2pd's console bound to localhost.
 */

/** A request line is at most this long (newline excluded); a longer one closes the client. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** A response line the client accepts; status is a few hundred bytes, this leaves room to grow. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** What `status` answers. The Router fills it; `anon-router status` and `testnet status` read it. */
export interface RouterStatus {
  pid: number;
  home: string;
  uptimeMs: number;
  version: string;
  identity: { /** I2P base64 of the router hash. */ hash: string; shortId: string };
  netId: number;
  testnet: boolean;
  floodfill: boolean;
  caps: string;
  ntcp2: { host?: string; port: number; listening: boolean };
  /** Absent from routers that predate the proxy. */
  httpProxy?: HttpProxyStatus;
  /** Absent from routers that predate SAM. */
  sam?: RouterSamStatus;
  peers: { known: number; connected: number };
  sessions: { inbound: number; outbound: number };
  bytes: { in: number; out: number };
  tunnels: TunnelStatus;
  bandwidth: BandwidthStatus;
}

/** Our own tunnels, the ones we carry for others, and how our builds fare. */
export interface TunnelStatus {
  /** Live (built, not expired) tunnels of our exploratory and client pools. */
  inbound: number;
  outbound: number;
  /** Transit tunnels we are a hop of. */
  participating: number;
  /** Whether we accept transit builds (on by default). */
  transit: boolean;
  builds: {
    /** Our own builds since start. */
    attempted: number;
    succeeded: number;
    /** Refused by a hop (any reply code but 0). */
    rejected: number;
    timedOut: number;
    /** succeeded / (succeeded + rejected + timedOut), 0..1; 0 when none finished. */
    successRate: number;
  };
  /** Transit builds asked of us: accepted and refused (by reply code). */
  transitRequests: { accepted: number; refused: number };
  /** Tunnel tests of our own tunnels. */
  tests: { ok: number; failed: number };
}

/** Bytes per second now, and a minute of one-second samples for a sparkline (oldest first). */
export interface BandwidthStatus {
  inBps: number;
  outBps: number;
  transitBps: number;
  /** Total transit bytes relayed since start. */
  transitBytes: number;
  /** Limit for transit, bytes per second (the user's share). */
  transitLimitBps: number;
  /**
   * Tunnel messages dropped because a bandwidth bucket was empty: `transit` ones we relay for
   * others, `own` ones of our tunnels (their senders' protocols must resend). Absent from older routers.
   */
  dropped?: { transit: number; own: number };
  history: { in: number[]; out: number[]; transit: number[] };
}

/** `stop`: graceful lets transit tunnels drain (the Router decides how long); it answers first, then stops. */
export interface StopParams {
  graceful: boolean;
}

export type ControlErrorCode =
  | 'BAD_REQUEST' // not JSON, not an object, no method, bad id
  | 'UNKNOWN_METHOD'
  | 'HANDLER_FAILED' // the handler threw without a code of its own
  | 'TOO_LARGE' // a request line over MAX_REQUEST_BYTES (the server closes), or a response over the client's bound
  | 'BUSY' // too many clients
  | 'TIMEOUT' // the client gave up waiting
  | 'CLOSED' // the connection ended before the answer
  | 'BAD_RESPONSE' // the answer is not a response to our request
  | (string & {}); // a handler may throw an error with its own code (e.g. 'STOPPING')

/** An error answered by the router, or a failure talking to it. */
export class ControlError extends Error {
  override readonly name: string = 'ControlError';
  readonly exitCode = 1;
  constructor(
    readonly code: ControlErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Nobody listens on the control socket: no router runs in that home. */
export class RouterNotRunningError extends ControlError {
  override readonly name = 'RouterNotRunningError';
  constructor(
    readonly home: string,
    options?: { cause?: unknown },
  ) {
    super('NOT_RUNNING', `no router is running in ${home}`, options);
  }
}

/** A live router already answers on the socket we were asked to listen on. */
export class RouterAlreadyRunningError extends ControlError {
  override readonly name = 'RouterAlreadyRunningError';
  constructor(readonly socketPath: string) {
    super('ALREADY_RUNNING', `a router is already running (it answers on ${socketPath})`);
  }
}

export interface ControlRequest {
  id: number;
  method: string;
  params: unknown;
}

export type ControlResponse = { id: number | null; result: unknown } | { id: number | null; error: { code: string; message: string } };

const METHOD = /^[a-zA-Z][a-zA-Z0-9._-]{0,63}$/;
const CODE = /^[A-Z][A-Z0-9_]{0,31}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Parses one request line; a malformed one is a BAD_REQUEST ControlError carrying whatever id it had. */
export function parseRequest(line: string): ControlRequest {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new ControlError('BAD_REQUEST', 'request is not JSON');
  }
  if (!isObject(v)) throw new ControlError('BAD_REQUEST', 'request must be a JSON object');
  if (!isId(v.id)) throw new ControlError('BAD_REQUEST', 'request id must be a non-negative integer');
  if (typeof v.method !== 'string' || !METHOD.test(v.method)) throw new ControlError('BAD_REQUEST', 'request method must be a name');
  return { id: v.id, method: v.method, params: v.params === undefined ? {} : v.params };
}

/** The id of a line that failed to parse, if one can be read, so the client can match the error. */
export function requestIdOf(line: string): number | null {
  try {
    const v: unknown = JSON.parse(line);
    return isObject(v) && isId(v.id) ? v.id : null;
  } catch {
    return null;
  }
}

/** Parses one response line; anything else is a BAD_RESPONSE. */
export function parseResponse(line: string): ControlResponse {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new ControlError('BAD_RESPONSE', 'the router answered something that is not JSON');
  }
  if (!isObject(v) || !(v.id === null || isId(v.id))) throw new ControlError('BAD_RESPONSE', 'the router answered without a request id');
  if ('error' in v) {
    const e = v.error;
    if (!isObject(e) || typeof e.code !== 'string' || typeof e.message !== 'string') throw new ControlError('BAD_RESPONSE', 'the router answered a malformed error');
    return { id: v.id, error: { code: e.code, message: e.message } };
  }
  if (!('result' in v)) throw new ControlError('BAD_RESPONSE', 'the router answered neither result nor error');
  return { id: v.id, result: v.result };
}

/** The error object sent for a failure: the error's own code when it has a sane one. */
export function errorBody(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' && CODE.test(e.code) ? e.code : 'HANDLER_FAILED';
  const raw = typeof e?.message === 'string' ? e.message : String(err);
  // One line, bounded: the message ends up on a terminal.
  const message = raw.replace(/\s+/g, ' ').trim().slice(0, 1000) || 'error';
  return { code, message };
}

function num(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * Checks that a `status` result has the RouterStatus shape (extra fields are kept): what we
 * render comes from another process and must not crash the renderer.
 */
export function parseRouterStatus(v: unknown): RouterStatus {
  const bad = (what: string): never => {
    throw new ControlError('BAD_RESPONSE', `the router's status has no valid ${what}`);
  };
  if (!isObject(v)) return bad('object');
  if (!num(v.pid)) bad('pid');
  if (typeof v.home !== 'string') bad('home');
  if (!num(v.uptimeMs)) bad('uptimeMs');
  if (typeof v.version !== 'string') bad('version');
  if (!isObject(v.identity) || typeof v.identity.hash !== 'string' || typeof v.identity.shortId !== 'string') bad('identity');
  if (!num(v.netId)) bad('netId');
  if (typeof v.testnet !== 'boolean') bad('testnet');
  if (typeof v.floodfill !== 'boolean') bad('floodfill');
  if (typeof v.caps !== 'string') bad('caps');
  const n = v.ntcp2;
  if (!isObject(n) || !num(n.port) || typeof n.listening !== 'boolean' || (n.host !== undefined && typeof n.host !== 'string')) bad('ntcp2');
  const pair = (o: unknown, a: string, b: string) => isObject(o) && num(o[a]) && num(o[b]);
  if (!pair(v.peers, 'known', 'connected')) bad('peers');
  if (!pair(v.sessions, 'inbound', 'outbound')) bad('sessions');
  if (!pair(v.bytes, 'in', 'out')) bad('bytes');
  const t = v.tunnels;
  const nums = (o: unknown, keys: string[]) => isObject(o) && keys.every((k) => num(o[k]));
  if (
    !nums(t, ['inbound', 'outbound', 'participating']) ||
    typeof (t as Record<string, unknown>).transit !== 'boolean' ||
    !nums((t as Record<string, unknown>).builds, ['attempted', 'succeeded', 'rejected', 'timedOut', 'successRate']) ||
    !pair((t as Record<string, unknown>).transitRequests, 'accepted', 'refused') ||
    !pair((t as Record<string, unknown>).tests, 'ok', 'failed')
  )
    bad('tunnels');
  const b = v.bandwidth;
  const series = (a: unknown) => Array.isArray(a) && a.length <= 3600 && a.every((x) => num(x));
  if (!nums(b, ['inBps', 'outBps', 'transitBps', 'transitBytes', 'transitLimitBps'])) bad('bandwidth');
  const d = (b as Record<string, unknown>).dropped;
  if (d !== undefined && !pair(d, 'transit', 'own')) bad('bandwidth');
  const h = (b as Record<string, unknown>).history;
  if (!isObject(h) || !series(h.in) || !series(h.out) || !series(h.transit)) bad('bandwidth');
  return v as unknown as RouterStatus;
}
