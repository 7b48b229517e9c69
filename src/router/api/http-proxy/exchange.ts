import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AddressBook } from '../../client/addressbook.js';
import { AddressBookError } from '../../client/addressbook.js';
import type { Logger } from '../../log.js';
import { choicePage, conflictPage, CONFIRM_PATH, extractAddressHelper, helperDestinationB32, siteUrl, type PendingChoices } from './addresshelper.js';
import { ChunkedDecoder } from './chunked.js';
import { HttpProxyError, type HttpProxyErrorCode } from './errors.js';
import { rewriteRequestHead, type BodyFraming } from './headers.js';
import { classifyHost, resolveTarget, type HostTarget } from './host.js';
import { errorPage, htmlResponse, redirectPage } from './pages.js';
import { parseRequestHead, RequestHeadReader, type ProxyRequest } from './request.js';
import { isInterim, parseResponseHead, ResponseHeadReader, rewriteResponseHead } from './response.js';

/**
 * One browser connection: read the request head, decide where it may go, open a stream to the
 * site, send the rewritten head and the body, and pass the answer back. One request per
 * connection (both sides are told `Connection: close`). Bodies stream both ways under
 * backpressure; only heads are buffered, and those are bounded.
 */

export interface ExchangeContext {
  /** A stream to the destination with this hash (I2P streaming); rejects with a coded error. */
  /** A stream to the site; `initialData` (the request head) must be its first bytes, sent with the SYN where the transport can. */
  connect(hash: Uint8Array, opts: { toPort: number; timeoutMs: number; initialData?: Uint8Array }): Promise<Duplex>;
  addressBook: Pick<AddressBook, 'resolve' | 'get' | 'add'>;
  choices: PendingChoices;
  log: Logger;
  connectTimeoutMs: number;
  headTimeoutMs: number;
  /** The site's response head must arrive within this long after the request went out. */
  responseTimeoutMs: number;
  counters: ExchangeCounters;
}

export interface ExchangeCounters {
  requests: number;
  connects: number;
  /** Answers of sites relayed (their head reached the browser). */
  responses: number;
  bytesToSites: number;
  bytesFromSites: number;
  errors: Partial<Record<HttpProxyErrorCode | 'INTERNAL', number>>;
}

const MAX_INTERIM_RESPONSES = 8;
/** How long a browser may keep its side open after our answer ended. */
const LINGER_MS = 5_000;

/** A streaming or destination error (by its code) as what the browser is told. */
export function connectFailure(e: unknown, host: string): HttpProxyError {
  if (e instanceof HttpProxyError) return e;
  const code = (e as { code?: unknown })?.code;
  const msg = (e as Error)?.message ?? String(e);
  switch (code) {
    case 'NO_ROUTE':
    case 'NO_LEASESET':
    case 'NO_LEASES':
      return new HttpProxyError('NO_LEASESET', `${host} could not be found in the network (no LeaseSet): the site is offline or unreachable (${msg})`);
    case 'TIMEOUT':
      return new HttpProxyError('CONNECT_TIMEOUT', `${host} did not answer in time: the site is unreachable (${msg})`);
    case 'REFUSED':
    case 'RESET':
    case 'CLOSED':
      return new HttpProxyError('REFUSED', `${host} refused the connection (${msg})`);
    case 'LIMIT':
      return new HttpProxyError('BUSY', `too many streams open: try again shortly (${msg})`);
    case 'NO_TUNNELS':
      return new HttpProxyError('NO_TUNNELS', `the proxy's tunnels are not built yet: try again in a minute (${msg})`);
    default:
      return new HttpProxyError('REFUSED', `cannot reach ${host}: ${msg}`);
  }
}

const TITLES: Partial<Record<HttpProxyErrorCode, string>> = {
  NOT_I2P: 'Not an I2P site',
  IP_LITERAL: 'Not an I2P site',
  LOCALHOST: 'Not an I2P site',
  BARE_NAME: 'Not an I2P site',
  UNKNOWN_NAME: 'Unknown host name',
  NO_LEASESET: 'Site unreachable',
  CONNECT_TIMEOUT: 'Site unreachable',
  REFUSED: 'Site refused the connection',
  BAD_RESPONSE: 'Bad answer from the site',
  BUSY: 'Proxy busy',
  NO_TUNNELS: 'Proxy not ready',
  HEAD_TIMEOUT: 'Request timed out',
};

export function pageFor(e: HttpProxyError): Buffer {
  const hint =
    e.code === 'UNKNOWN_NAME'
      ? '<p>Add it with <code>anon-router names add NAME DESTINATION</code>, use its b32 address, or follow a link that carries an <code>i2paddresshelper</code>.</p>'
      : e.code === 'NOT_I2P' || e.code === 'IP_LITERAL' || e.code === 'LOCALHOST' || e.code === 'BARE_NAME'
        ? '<p>Set this proxy for .i2p hosts only (or use a separate browser profile for I2P).</p>'
        : '';
  return errorPage(e.status, TITLES[e.code] ?? 'Bad request', e.message, hint);
}

export class Exchange {
  private stream: Duplex | undefined;
  private responded = false;
  private finished = false;
  private headDone = false;
  private headTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: ExchangeContext,
  ) {}

  run(): void {
    const { socket } = this;
    socket.setNoDelay(true);
    const reader = new RequestHeadReader();
    this.headTimer = setTimeout(() => this.fail(new HttpProxyError('HEAD_TIMEOUT', 'the request head did not arrive in time')), this.ctx.headTimeoutMs);
    const onData = (chunk: Buffer) => {
      let got: ReturnType<RequestHeadReader['push']>;
      try {
        got = reader.push(chunk);
      } catch (e) {
        socket.off('data', onData);
        this.fail(e);
        return;
      }
      if (!got) return;
      socket.off('data', onData);
      socket.pause();
      this.headDone = true;
      clearTimeout(this.headTimer);
      this.handle(got.head, got.rest).catch((e: unknown) => this.fail(e));
    };
    socket.on('data', onData);
    socket.on('error', () => this.teardown());
    socket.on('close', () => this.teardown());
    socket.once('end', () => {
      // Gone before its request was complete (an answer already on its way is left to finish).
      if (!this.headDone && !this.responded) this.teardown();
    });
    // Our side is done: a client that keeps its side open does not keep the connection for long.
    socket.once('finish', () => setTimeout(() => this.teardown(), LINGER_MS).unref());
  }

  private async handle(headBytes: Buffer, rest: Buffer): Promise<void> {
    this.ctx.counters.requests++;
    const req = parseRequestHead(headBytes);
    const target = classifyHost(req.host);
    if (target.kind === 'proxy') return this.proxyPage(req);
    if (req.connect) return this.tunnel(req, target, rest);
    const helper = extractAddressHelper(req.path);
    if (helper) return this.addressHelper(req, target, helper.destination, helper.cleanPath);
    const { hash } = await resolveTarget(target, this.ctx.addressBook);
    const { head, framing, expect100 } = rewriteRequestHead(req);
    // The head rides in the SYN: the site can answer in the first round trip.
    const stream = await this.open(hash, req, head);
    if (!stream) return;
    if (expect100) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
    this.forwardBody(stream, framing, rest);
    this.relayResponse(stream, req.host);
  }

  private async open(hash: Uint8Array, req: ProxyRequest, head?: Uint8Array): Promise<Duplex | undefined> {
    this.ctx.counters.connects++;
    let stream: Duplex;
    try {
      stream = await this.ctx.connect(hash, { toPort: req.port, timeoutMs: this.ctx.connectTimeoutMs, ...(head && { initialData: head }) });
    } catch (e) {
      throw connectFailure(e, req.host);
    }
    if (this.finished) {
      // The browser went away while we connected.
      stream.destroy();
      return undefined;
    }
    this.stream = stream;
    stream.on('error', (e: Error) => {
      this.ctx.log.debug('stream error', { host: req.host, error: e.message });
      if (!this.responded) this.fail(connectFailure(e, req.host));
      else this.teardown();
    });
    stream.on('close', () => {
      if (!this.responded) this.fail(new HttpProxyError('REFUSED', `${req.host} closed the connection without answering`));
      else if (!this.socket.writableEnded) this.socket.end();
    });
    return stream;
  }

  /** The request body, exactly as framed, into the stream; the browser is paused while the stream is full. */
  private forwardBody(stream: Duplex, framing: BodyFraming, rest: Buffer): void {
    const { socket } = this;
    if (framing.kind === 'none') return;
    let left = framing.length;
    const chunked = framing.kind === 'chunked' ? new ChunkedDecoder() : undefined;
    const listener = (c: Buffer) => {
      try {
        onData(c);
      } catch (e) {
        this.fail(e);
      }
    };
    const onData = (chunk: Buffer) => {
      let part: Buffer;
      let done: boolean;
      if (chunked) {
        const r = chunked.push(chunk);
        part = chunk.subarray(0, r.consumed);
        done = chunked.done;
      } else {
        part = chunk.subarray(0, Math.min(left, chunk.length));
        left -= part.length;
        done = left === 0;
      }
      this.ctx.counters.bytesToSites += part.length;
      const more = part.length === 0 || stream.write(part);
      if (done) {
        socket.off('data', listener);
        socket.pause();
        return;
      }
      if (!more) {
        socket.pause();
        stream.once('drain', () => socket.resume());
      }
    };
    try {
      if (rest.length > 0) onData(rest);
    } catch (e) {
      this.fail(e);
      return;
    }
    if (chunked ? chunked.done : left === 0) return;
    socket.on('data', listener);
    socket.resume();
  }

  /** The site's answer: its head rewritten (Connection: close), then the body piped through untouched. */
  private relayResponse(stream: Duplex, host: string): void {
    const { socket } = this;
    let reader = new ResponseHeadReader();
    let interim = 0;
    const timer = setTimeout(() => {
      if (!this.responded) this.fail(new HttpProxyError('CONNECT_TIMEOUT', `${host} accepted the connection but sent no answer in time`));
    }, this.ctx.responseTimeoutMs);
    const onData = (chunk: Buffer) => {
      let pending: Buffer | undefined = chunk;
      try {
        while (pending) {
          const got = reader.push(pending);
          if (!got) return;
          const head = parseResponseHead(got.head);
          if (isInterim(head)) {
            if (++interim > MAX_INTERIM_RESPONSES) throw new HttpProxyError('BAD_RESPONSE', 'too many informational (1xx) answers');
            socket.write(rewriteResponseHead(head));
            reader = new ResponseHeadReader();
            pending = got.rest.length > 0 ? got.rest : undefined;
            continue;
          }
          clearTimeout(timer);
          stream.off('data', onData);
          this.responded = true;
          this.ctx.counters.responses++;
          socket.write(rewriteResponseHead(head));
          if (got.rest.length > 0) {
            this.ctx.counters.bytesFromSites += got.rest.length;
            socket.write(got.rest);
          }
          stream.on('data', (c: Buffer) => (this.ctx.counters.bytesFromSites += c.length));
          stream.pipe(socket);
          stream.once('end', () => {
            // The site is done: close our side too (CLOSE, not RESET).
            if (!stream.writableEnded) stream.end();
          });
          return;
        }
      } catch (e) {
        clearTimeout(timer);
        stream.off('data', onData);
        this.fail(e);
      }
    };
    stream.on('data', onData);
    stream.once('close', () => clearTimeout(timer));
    // The site ended its side before a whole head: nothing more is coming.
    stream.once('end', () => {
      clearTimeout(timer);
      if (!this.responded) this.fail(new HttpProxyError('BAD_RESPONSE', `${host} closed the connection without a complete answer`));
    });
  }

  /** CONNECT to an .i2p host: a raw tunnel once the stream is open. */
  private async tunnel(req: ProxyRequest, target: Exclude<HostTarget, { kind: 'proxy' }>, rest: Buffer): Promise<void> {
    const { hash } = await resolveTarget(target, this.ctx.addressBook);
    const stream = await this.open(hash, req);
    if (!stream) return;
    this.responded = true;
    this.socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
    if (rest.length > 0) stream.write(rest);
    stream.pipe(this.socket);
    this.socket.pipe(stream);
    this.socket.resume();
  }

  private async addressHelper(req: ProxyRequest, target: HostTarget, destination: string, cleanPath: string): Promise<void> {
    // A b32 address needs no helper: go on without it.
    if (target.kind !== 'name') return this.reply(redirectPage(siteUrl(req.host, req.port, cleanPath)));
    const offered = helperDestinationB32(destination);
    const saved = await this.ctx.addressBook.get(target.host);
    if (saved?.destination === destination) return this.reply(redirectPage(siteUrl(target.host, req.port, cleanPath)));
    if (saved) return this.reply(conflictPage(target.host, saved.b32, offered, req.port, cleanPath));
    const nonce = this.ctx.choices.offer({ host: target.host, destination, cleanPath, port: req.port });
    return this.reply(choicePage(target.host, offered, nonce));
  }

  /** http://proxy.i2p/…: the address-helper choices, and a short page saying what this is. */
  private async proxyPage(req: ProxyRequest): Promise<void> {
    const [path, query = ''] = req.path.split('?', 2);
    if (req.connect || path !== CONFIRM_PATH) {
      return this.reply(htmlResponse(200, 'anon HTTP proxy', '<p>This proxy reaches .i2p sites only: b32 addresses and names in your address book. There is no outproxy.</p>'));
    }
    const params = new URLSearchParams(query);
    const choice = this.ctx.choices.take(params.get('nonce') ?? '');
    if (!choice) {
      return this.reply(errorPage(403, 'Link expired', 'This address-helper choice is unknown, expired or was already used. Open the original link again.'));
    }
    const offered = helperDestinationB32(choice.destination);
    if (params.get('action') === 'once') return this.reply(redirectPage(siteUrl(offered, choice.port, choice.cleanPath)));
    if (params.get('action') !== 'save') return this.reply(errorPage(400, 'Bad request', 'The choice must be save or once.'));
    try {
      await this.ctx.addressBook.add(choice.host, choice.destination);
    } catch (e) {
      if (e instanceof AddressBookError && e.code === 'NAME_TAKEN') {
        const saved = await this.ctx.addressBook.get(choice.host);
        return this.reply(conflictPage(choice.host, saved?.b32 ?? 'another destination', offered, choice.port, choice.cleanPath));
      }
      throw e;
    }
    this.ctx.log.info('address helper saved', { name: choice.host, b32: offered });
    return this.reply(redirectPage(siteUrl(choice.host, choice.port, choice.cleanPath)));
  }

  private reply(page: Buffer): void {
    this.responded = true;
    this.socket.end(page);
  }

  private fail(e: unknown): void {
    if (this.finished) return;
    const err = e instanceof HttpProxyError ? e : undefined;
    const code = err?.code ?? 'INTERNAL';
    this.ctx.counters.errors[code] = (this.ctx.counters.errors[code] ?? 0) + 1;
    if (!err) this.ctx.log.warn('proxy request failed', { error: (e as Error)?.message ?? String(e) });
    this.stream?.destroy();
    if (this.responded || this.socket.destroyed) {
      this.teardown();
      return;
    }
    this.responded = true;
    const page = err ? pageFor(err) : errorPage(500, 'Proxy error', 'The proxy failed on this request.');
    this.socket.end(page);
    // Whatever the browser still sends is not read: let it go once the page is out.
    this.socket.resume();
  }

  private teardown(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.headTimer);
    const s = this.stream;
    // A stream closed both ways is done; anything else is cut off (RESET).
    if (s && !(s.readableEnded && s.writableEnded)) s.destroy();
    if (!this.socket.destroyed) this.socket.destroy();
  }
}
