import { connect as netConnect, isIP, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { GarlicError } from './errors.js';
import { formatSamCommand, MAX_SAM_LINE, parseSamLine, parseSamVersion, SamProtocolError, type SamMessage, type SamParams } from './sam-protocol.js';
import type { GarlicStream } from './session.js';

/**
 * One TCP connection to a SAM bridge, read line by line until it becomes a data stream (after
 * STREAM CONNECT/ACCEPT) or stays a control socket (SESSION CREATE, NAMING LOOKUP). Commands on
 * it run one at a time: each waits for the line that answers it.
 */
export class SamSocket {
  private buf: Buffer = Buffer.alloc(0);
  private readonly lines: string[] = [];
  private waiter: { resolve: (l: string) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private detached = false;
  private tail: Promise<unknown> = Promise.resolve();
  /** Lines that arrive unasked (PING from a 3.2+ bridge, datagrams on v1-style sessions). */
  onUnsolicited: ((m: SamMessage) => void) | undefined;
  version = '3.1';

  private constructor(
    readonly socket: Socket,
    private readonly where: string,
  ) {
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('error', (e) => this.fail(new GarlicError('BACKEND_DOWN', `SAM bridge at ${where}: ${e.message}`, { cause: e })));
    socket.on('close', () => this.fail(new GarlicError('BACKEND_DOWN', `the SAM bridge at ${where} closed the connection`)));
  }

  /** Connects to an IP literal only: a host name would be a DNS lookup, which we never make. */
  static open(host: string, port: number, timeoutMs: number): Promise<SamSocket> {
    if (isIP(host) === 0) return Promise.reject(new GarlicError('BAD_ADDRESS', `the SAM host must be an IP address, not ${JSON.stringify(host)} (no DNS lookups)`));
    if (!Number.isInteger(port) || port < 1 || port > 65535) return Promise.reject(new GarlicError('BAD_ADDRESS', `bad SAM port ${port}`));
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new GarlicError('BACKEND_DOWN', `no SAM bridge answered at ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new SamSocket(socket, `${host}:${port}`));
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(new GarlicError('BACKEND_DOWN', `no SAM bridge at ${host}:${port}: ${e.message}`, { cause: e }));
      });
    });
  }

  /** A connection the bridge made to us (STREAM FORWARD): its first line is the accept line. */
  static adopt(socket: Socket, where: string): SamSocket {
    const s = new SamSocket(socket, where);
    s.streamAfterLines(1);
    return s;
  }

  /** HELLO VERSION MIN=3.1 MAX=3.3: the version the bridge chose. */
  async hello(timeoutMs: number, min = '3.1', max = '3.3'): Promise<string> {
    const r = await this.command('HELLO', 'VERSION', [['MIN', min], ['MAX', max]], timeoutMs);
    if (r.topic !== 'HELLO' || r.verb !== 'REPLY') throw new GarlicError('PROTOCOL', `unexpected answer to HELLO: ${r.topic} ${r.verb}`);
    const result = r.params.get('RESULT');
    if (result === 'NOVERSION') throw new GarlicError('UNSUPPORTED', `the SAM bridge at ${this.where} speaks no version in ${min}..${max}`);
    if (result !== 'OK') throw new GarlicError('BACKEND_DOWN', `HELLO refused: ${result ?? '?'} ${r.params.get('MESSAGE') ?? ''}`.trim());
    try {
      const v = parseSamVersion(r.params.get('VERSION'));
      if (v.major !== 3) throw new SamProtocolError('BAD_VALUE', `version ${v.text}`);
      this.version = v.text;
    } catch (e) {
      throw new GarlicError('PROTOCOL', `the SAM bridge answered HELLO with ${(e as Error).message}`);
    }
    return this.version;
  }

  /** Sends one command and resolves with the next line (commands queue behind each other). */
  command(topic: string, verb: string, params: SamParams, timeoutMs: number): Promise<SamMessage> {
    const run = async () => {
      let line: string;
      try {
        line = formatSamCommand(topic, verb, params);
      } catch (e) {
        throw new GarlicError('BAD_ADDRESS', (e as Error).message);
      }
      this.write(line);
      return this.readMessage(timeoutMs, `${topic} ${verb}`);
    };
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p;
  }

  write(text: string | Uint8Array): void {
    if (this.failure) throw this.failure;
    this.socket.write(text);
  }

  async readMessage(timeoutMs: number, what: string): Promise<SamMessage> {
    for (;;) {
      const line = await this.readLine(timeoutMs, what);
      let m: SamMessage;
      try {
        m = parseSamLine(line);
      } catch (e) {
        this.close();
        throw new GarlicError('PROTOCOL', `the SAM bridge sent a line we cannot read (${(e as Error).message})`);
      }
      // A 3.2 bridge may PING at any time: answer and keep waiting for our reply.
      if (m.topic === 'PING') {
        this.socket.write(`PONG${line.slice(4)}\n`);
        continue;
      }
      return m;
    }
  }

  /** The next line; TIMEOUT after `timeoutMs` (0 = wait as long as the socket lives). */
  readLine(timeoutMs: number, what = 'a line'): Promise<string> {
    if (this.lines.length > 0) return Promise.resolve(this.lines.shift()!);
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiter) return Promise.reject(new GarlicError('PROTOCOL', 'two readers on one SAM socket'));
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.waiter = undefined;
              reject(new GarlicError('TIMEOUT', `no answer to ${what} from the SAM bridge within ${Math.round(timeoutMs / 1000)} s`));
            }, timeoutMs)
          : undefined;
      this.waiter = {
        resolve: (l) => {
          if (timer) clearTimeout(timer);
          resolve(l);
        },
        reject: (e) => {
          if (timer) clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  private readonly onData = (chunk: Buffer): void => {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    // After the line that turns this connection into a stream, the bytes are stream data: they
    // stay unsplit for `detach()`.
    while (!this.detached && this.linesBeforeData !== 0) {
      const nl = this.buf.indexOf(0x0a);
      if (nl === -1) break;
      const line = this.buf.subarray(0, nl).toString('utf8');
      this.buf = this.buf.subarray(nl + 1);
      if (this.linesBeforeData > 0) this.linesBeforeData--;
      this.deliver(line);
    }
    if (this.linesBeforeData === 0 || this.detached) {
      // Stream data waits here until detach(); a bridge that floods before that is cut off.
      if (this.buf.length > 1024 * 1024) this.fail(new GarlicError('PROTOCOL', 'stream data before the stream was set up'), true);
      return;
    }
    if (this.buf.length > MAX_SAM_LINE) this.fail(new GarlicError('PROTOCOL', `the SAM bridge sent a line longer than ${MAX_SAM_LINE} bytes`), true);
  };

  /** -1: a control socket (every line is a line); n: stream data starts after n more lines. */
  private linesBeforeData = -1;

  /** Stream data follows the next `n` lines (1 after STREAM CONNECT's status, 2 after ACCEPT's). */
  streamAfterLines(n: number): void {
    this.linesBeforeData = n;
  }

  private deliver(line: string): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w.resolve(line);
      return;
    }
    if (this.onUnsolicited) {
      try {
        this.onUnsolicited(parseSamLine(line));
      } catch {
        /* an unreadable unsolicited line is dropped; the command replies still parse */
      }
      return;
    }
    if (this.lines.length >= 16) {
      this.fail(new GarlicError('PROTOCOL', 'the SAM bridge sent lines nobody asked for'), true);
      return;
    }
    this.lines.push(line);
  }

  private fail(e: Error, destroy = false): void {
    if (!this.failure) this.failure = e;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.failure);
    if (destroy) this.socket.destroy();
  }

  get isClosed(): boolean {
    return this.failure !== undefined;
  }

  /** Hands the connection over as a data stream (what followed the last line comes first). */
  detach(info: { remoteB32: string; remoteDestinationBase64: string | undefined; localPort: number; remotePort: number }): GarlicStream {
    this.detached = true;
    this.socket.off('data', this.onData);
    this.socket.removeAllListeners('error');
    this.socket.removeAllListeners('close');
    const leftover = this.buf;
    this.buf = Buffer.alloc(0);
    return new SamStream(this.socket, leftover, info);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A stream over a SAM data socket, with the remote's address and ports. */
export class SamStream extends Duplex implements GarlicStream {
  readonly remoteB32: string;
  readonly remoteDestinationBase64: string | undefined;
  readonly localPort: number;
  readonly remotePort: number;

  constructor(
    private readonly socket: Socket,
    leftover: Buffer,
    info: { remoteB32: string; remoteDestinationBase64: string | undefined; localPort: number; remotePort: number },
  ) {
    super({ allowHalfOpen: true });
    this.remoteB32 = info.remoteB32;
    this.remoteDestinationBase64 = info.remoteDestinationBase64;
    this.localPort = info.localPort;
    this.remotePort = info.remotePort;
    if (leftover.length > 0) this.push(leftover);
    socket.on('data', (d: Buffer) => {
      if (!this.push(d)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (e) => this.destroy(new GarlicError('UNREACHABLE', `stream with ${this.remoteB32.slice(0, 12)}…: ${e.message}`, { cause: e })));
    socket.on('close', () => {
      if (!this.readableEnded) this.push(null);
    });
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.socket.destroyed) return cb(new GarlicError('CLOSED', 'the stream is closed'));
    this.socket.write(chunk, (e) => cb(e ?? null));
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.socket.end(() => cb());
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }
}
