import { Duplex } from 'node:stream';
import type { Destination } from '../../data/keys-and-cert.js';
import type { ConnectionEndReason } from './connection.js';
import { StreamError } from './errors.js';

/** What a stream asks of its connection (the manager drives the state machine and its timer). */
export interface StreamDriver {
  write(data: Uint8Array): void;
  canWrite(): boolean;
  close(): void;
  reset(): void;
  drained(): void;
  /** false: send a short tail at once instead of waiting a moment for more writes. */
  setNagle(on: boolean): void;
  /** Timers on the router's clock (idle timeouts). */
  setTimer(ms: number, fn: () => void): unknown;
  clearTimer(handle: unknown): void;
}

export interface StreamInfo {
  remoteDestination: Destination;
  remoteHash: Uint8Array;
  remoteB32: string;
  localPort: number;
  remotePort: number;
}

/**
 * A streaming connection as a Node Duplex: `write`/`end` (end sends CLOSE: a half-close, the
 * peer may still send), `data`/`end` for what the peer sent, `destroy()` sends RESET. Writes
 * wait while the connection's send buffer is full; unread data makes the connection choke the
 * peer.
 */
export class I2pStream extends Duplex {
  readonly remoteDestination: Destination;
  readonly remoteHash: Uint8Array;
  readonly remoteB32: string;
  readonly localPort: number;
  readonly remotePort: number;
  private pendingWrite: ((err?: Error | null) => void) | undefined;
  private finalCallback: ((err?: Error | null) => void) | undefined;
  private localDone = false;
  private remoteDone = false;
  private idleMs = 0;
  private idleTimer: unknown;

  /** @internal created by StreamManager */
  constructor(
    info: StreamInfo,
    private readonly driver: StreamDriver,
    highWaterMark = 64 * 1024,
  ) {
    super({ allowHalfOpen: true, readableHighWaterMark: highWaterMark, writableHighWaterMark: highWaterMark });
    this.remoteDestination = info.remoteDestination;
    this.remoteHash = info.remoteHash;
    this.remoteB32 = info.remoteB32;
    this.localPort = info.localPort;
    this.remotePort = info.remotePort;
  }

  /**
   * As net.Socket: emit 'timeout' after `ms` without data in either direction (0 turns it off);
   * the stream stays open. Lets node's http server and client use their timeouts on streams.
   */
  setTimeout(ms: number, callback?: () => void): this {
    if (callback) this.once('timeout', callback);
    this.idleMs = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.touch();
    return this;
  }

  /** As net.Socket: true sends each write's tail at once (no coalescing delay). */
  setNoDelay(noDelay = true): this {
    this.driver.setNagle(!noDelay);
    return this;
  }

  private touch(): void {
    if (this.idleTimer !== undefined) this.driver.clearTimer(this.idleTimer);
    this.idleTimer = undefined;
    if (this.idleMs === 0 || this.destroyed) return;
    this.idleTimer = this.driver.setTimer(this.idleMs, () => {
      this.idleTimer = undefined;
      this.emit('timeout');
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.idleMs > 0) this.touch();
    this.driver.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    if (this.driver.canWrite()) callback();
    else this.pendingWrite = callback;
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (this.localDone) {
      callback();
      return;
    }
    this.finalCallback = callback;
    this.driver.close();
  }

  override _read(): void {
    this.driver.drained();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (this.idleTimer !== undefined) this.driver.clearTimer(this.idleTimer);
    this.idleTimer = undefined;
    this.driver.reset();
    this.release(err ?? undefined);
    callback(err);
  }

  /** @internal */
  onData(bytes: Uint8Array): void {
    if (this.idleMs > 0) this.touch();
    if (!this.remoteDone) this.push(bytes);
  }

  /** @internal the peer's CLOSE */
  onRemoteClosed(): void {
    if (this.remoteDone) return;
    this.remoteDone = true;
    this.push(null);
  }

  /** @internal */
  onWritable(): void {
    const cb = this.pendingWrite;
    this.pendingWrite = undefined;
    cb?.();
  }

  /** @internal our CLOSE was acknowledged */
  onLocalCloseAcked(): void {
    this.localDone = true;
    const cb = this.finalCallback;
    this.finalCallback = undefined;
    cb?.();
  }

  /** @internal the connection is over */
  onEnded(reason: ConnectionEndReason | undefined): void {
    if (reason === undefined) {
      this.onLocalCloseAcked();
      this.onRemoteClosed();
      return;
    }
    // Our own reset (destroy(), or the manager closing) is no error to report to ourselves.
    if (reason === 'CLOSED') this.destroy();
    else this.destroy(new StreamError(reason, reason === 'TIMEOUT' ? 'the peer stopped acknowledging' : 'the peer reset the stream'));
  }

  /** @internal unread bytes, for flow control */
  backlog(): number {
    return this.readableLength;
  }

  private release(err: Error | undefined): void {
    const w = this.pendingWrite;
    const f = this.finalCallback;
    this.pendingWrite = undefined;
    this.finalCallback = undefined;
    if (w) w(err ?? null);
    if (f) f(err ?? null);
  }
}
