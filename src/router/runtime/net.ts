import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { RuntimeError, type RuntimeErrorCode } from './errors.js';

export interface ConnectionEvents {
  data: [chunk: Uint8Array];
  /** The send buffer fell below its high-water mark after `write` returned false. */
  drain: [];
  /** Always followed by `close(true)`. Without a listener an error is not thrown. */
  error: [err: Error];
  close: [hadError: boolean];
}

/**
 * A byte stream to a peer: what a transport needs of a TCP socket, and no more, so a
 * simulation can supply its own. Received chunks may be views of larger buffers: copy what
 * you keep.
 */
export interface Connection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** Queue bytes (not to be mutated afterwards); false means "wait for drain". */
  write(bytes: Uint8Array): boolean;
  /** Finish sending what is queued, then close. */
  close(): void;
  /** Close at once, dropping what is queued. */
  destroy(err?: Error): void;
  setNoDelay(noDelay?: boolean): void;
  on<E extends keyof ConnectionEvents>(event: E, listener: (...args: ConnectionEvents[E]) => void): this;
  off<E extends keyof ConnectionEvents>(event: E, listener: (...args: ConnectionEvents[E]) => void): this;
}

export interface Listener {
  readonly host: string;
  /** The bound port (the assigned one when 0 was asked for). */
  readonly port: number;
  /** Stop accepting; open connections stay open. */
  close(): Promise<void>;
}

export interface DialOptions {
  /** Source address to bind (routers bind their published host, see PITFALLS.md). */
  readonly localAddress?: string;
  readonly signal?: AbortSignal;
}

export interface Network {
  listen(host: string, port: number, onConnection: (conn: Connection) => void): Promise<Listener>;
  dial(host: string, port: number, options?: DialOptions): Promise<Connection>;
}

const KNOWN_CODES = new Set<string>(['ECONNREFUSED', 'EADDRINUSE', 'ECONNRESET', 'EPIPE', 'ENOBUFS']);

function toRuntimeError(err: unknown, what: string): RuntimeError {
  const code = (err as { code?: unknown }).code;
  const mapped: RuntimeErrorCode = typeof code === 'string' && KNOWN_CODES.has(code) ? (code as RuntimeErrorCode) : 'EIO';
  return new RuntimeError(mapped, `${what}: ${(err as Error).message}`, { cause: err });
}

/** net.Socket as a Connection. */
class SocketConnection implements Connection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;

  constructor(private readonly socket: Socket) {
    // Captured now: Node clears them once the socket is destroyed.
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = socket.localAddress ?? '';
    this.localPort = socket.localPort ?? 0;
    socket.setNoDelay(true);
    // A peer's reset must not crash the process; 'close(true)' still reports it.
    socket.on('error', () => undefined);
  }

  write(bytes: Uint8Array): boolean {
    return this.socket.write(bytes);
  }

  close(): void {
    this.socket.end();
  }

  destroy(err?: Error): void {
    this.socket.destroy(err);
  }

  setNoDelay(noDelay = true): void {
    this.socket.setNoDelay(noDelay);
  }

  on<E extends keyof ConnectionEvents>(event: E, listener: (...args: ConnectionEvents[E]) => void): this {
    this.socket.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<E extends keyof ConnectionEvents>(event: E, listener: (...args: ConnectionEvents[E]) => void): this {
    this.socket.off(event, listener as (...args: unknown[]) => void);
    return this;
  }
}

/** Wrap a connected net.Socket (sets TCP_NODELAY: Nagle costs ~40 ms per hop). */
export function socketConnection(socket: Socket): Connection {
  return new SocketConnection(socket);
}

/** TCP through node:net. */
export const nodeNetwork: Network = {
  listen(host, port, onConnection) {
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true }, (socket) => onConnection(new SocketConnection(socket)));
      const onError = (err: Error): void => reject(toRuntimeError(err, `listen on ${host}:${port}`));
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        // Errors after listening (rare: EMFILE on accept) must not crash the router.
        server.on('error', () => undefined);
        const address = server.address();
        const bound = typeof address === 'object' && address !== null ? address.port : port;
        resolve({
          host,
          port: bound,
          close: () =>
            new Promise<void>((done) => {
              // server.close's callback waits for every connection to end; the handle itself
              // stops listening at once, which is all this promises.
              server.close();
              setImmediate(done);
            }),
        });
      });
    });
  },

  dial(host, port, options = {}) {
    return new Promise((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted) {
        reject(new RuntimeError('EABORTED', `dial ${host}:${port} aborted`, { cause: signal.reason }));
        return;
      }
      const socket = connect({
        host,
        port,
        noDelay: true,
        ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
      });
      const cleanup = (): void => {
        socket.off('connect', onConnect);
        socket.off('error', onError);
        signal?.removeEventListener('abort', onAbort);
      };
      const onConnect = (): void => {
        cleanup();
        resolve(new SocketConnection(socket));
      };
      const onError = (err: Error): void => {
        cleanup();
        socket.destroy();
        reject(toRuntimeError(err, `dial ${host}:${port}`));
      };
      const onAbort = (): void => {
        cleanup();
        socket.destroy();
        reject(new RuntimeError('EABORTED', `dial ${host}:${port} aborted`, { cause: signal?.reason }));
      };
      socket.once('connect', onConnect);
      socket.once('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};
