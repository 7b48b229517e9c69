import { chmodSync, lstatSync, mkdtempSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { errnoCode } from '../../../state/errors.js';
import { ControlError, errorBody, MAX_REQUEST_BYTES, parseRequest, RouterAlreadyRunningError, requestIdOf, type ControlResponse } from './protocol.js';

export type ControlHandler = (params: unknown) => Promise<unknown>;
export type ControlHandlers = Record<string, ControlHandler>;

export interface ControlServerOptions {
  /** Connections served at once; one more is answered BUSY and closed. */
  maxClients?: number;
  /** A request line longer than this closes its client. */
  maxLineBytes?: number;
  /** A client silent this long (and not waiting for an answer) is closed. */
  idleTimeoutMs?: number;
  /** How long close() lets answers in flight reach their clients before cutting them off. */
  closeGraceMs?: number;
  /** How long to wait for an existing socket to answer before calling it stale. */
  probeTimeoutMs?: number;
  /** Told about socket-level failures (the server itself never throws after it listens). */
  onError?: (err: Error) => void;
}

export interface ControlServer {
  readonly path: string;
  /**
   * Stops accepting, lets in-flight answers go out (bounded), closes every client and removes
   * the socket file. Do not await it inside a handler: the handler's own answer would wait on
   * it. A `stop` handler should answer and schedule the stop.
   */
  close(): Promise<void>;
}

/** Requests read ahead per client before we stop reading its socket (backpressure). */
const MAX_QUEUED_LINES = 32;
/** Unsent answers a client may pile up by not reading before we drop it. */
const MAX_UNSENT_BYTES = 1024 * 1024;
/** sockaddr_un.sun_path: 108 bytes with the NUL on Linux, 104 on the BSDs and macOS. */
const MAX_SOCKET_PATH = process.platform === 'linux' ? 107 : 103;

/**
 * Listens on a unix socket at `socketPath` that only this user can use (0600).
 *
 * The mode is right from the first instant a client could reach the socket: we bind inside a
 * fresh 0700 directory beside the target (no one else can traverse it), chmod the socket to
 * 0600, then rename it into place. A process-wide umask would also work but would race every
 * file and directory created meanwhile on libuv's thread pool (a 0700 mkdir would lose its x).
 * The rename also replaces a stale socket atomically; a socket someone answers on is refused.
 */
export async function startControlServer(socketPath: string, handlers: ControlHandlers, opts: ControlServerOptions = {}): Promise<ControlServer> {
  const o = {
    maxClients: opts.maxClients ?? 16,
    maxLineBytes: opts.maxLineBytes ?? MAX_REQUEST_BYTES,
    idleTimeoutMs: opts.idleTimeoutMs ?? 60_000,
    closeGraceMs: opts.closeGraceMs ?? 2_000,
    probeTimeoutMs: opts.probeTimeoutMs ?? 1_000,
    onError: opts.onError ?? (() => {}),
  };
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    throw new ControlError('PATH_TOO_LONG', `control socket path is longer than ${MAX_SOCKET_PATH} bytes (a unix socket limit): ${socketPath}; choose a shorter --home`);
  }
  await refuseLiveSocket(socketPath, o.probeTimeoutMs);

  let tmpDir: string;
  try {
    tmpDir = mkdtempSync(join(dirname(socketPath), '.c')); // 0700; '.cXXXXXX/s' is no longer than 'control.sock'
  } catch (err) {
    throw new ControlError('LISTEN_FAILED', `cannot listen on ${socketPath}: ${(err as Error).message}`, { cause: err });
  }
  const tmpPath = join(tmpDir, 's');
  const clients = new Set<ClientConnection>();
  const server = createServer((socket) => {
    if (closing || clients.size >= o.maxClients) {
      socket.on('error', () => {});
      socket.end(line({ id: null, error: { code: 'BUSY', message: closing ? 'the router is stopping' : 'too many control clients' } }), () => socket.destroy());
      return;
    }
    const c = new ClientConnection(socket, handlers, o);
    clients.add(c);
    socket.on('close', () => clients.delete(c));
  });
  let closing = false;
  let ino: number;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(tmpPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(tmpPath, 0o600);
    renameSync(tmpPath, socketPath);
    ino = statSync(socketPath).ino;
  } catch (err) {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(tmpDir, { recursive: true, force: true });
    if (err instanceof ControlError) throw err;
    throw new ControlError('LISTEN_FAILED', `cannot listen on ${socketPath}: ${(err as Error).message}`, { cause: err });
  }
  rmdirSync(tmpDir);
  server.on('error', (err) => o.onError(err));

  let closed: Promise<void> | undefined;
  return {
    path: socketPath,
    close() {
      closed ??= (async () => {
        closing = true;
        const serverClosed = new Promise<void>((r) => server.close(() => r()));
        removeIfOurs(socketPath, ino);
        for (const c of clients) c.finish();
        const grace = setTimeout(() => {
          for (const c of clients) c.destroy();
        }, o.closeGraceMs);
        await serverClosed; // resolves once every client connection has closed
        clearTimeout(grace);
      })();
      return closed;
    },
  };
}

/** Refuses a socket someone answers on; leaves a stale one for the rename to replace. */
async function refuseLiveSocket(socketPath: string, timeoutMs: number): Promise<void> {
  let st;
  try {
    st = lstatSync(socketPath);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw new ControlError('LISTEN_FAILED', `cannot check ${socketPath}: ${(err as Error).message}`, { cause: err });
  }
  if (!st.isSocket()) throw new ControlError('NOT_A_SOCKET', `${socketPath} exists and is not a socket; move it away`);
  if (await socketAnswers(socketPath, timeoutMs)) throw new RouterAlreadyRunningError(socketPath);
}

/**
 * Whether a process accepts connections on the socket. Refused or missing means stale; a
 * timeout or a full backlog (EAGAIN) means someone is there but slow: not ours to take.
 */
export function socketAnswers(socketPath: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(socketPath);
    const done = (alive: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(alive);
    };
    const timer = setTimeout(() => done(true), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', (err) => done(!['ECONNREFUSED', 'ENOENT', 'ENOTSOCK'].includes(errnoCode(err) ?? '')));
  });
}

/** Removes the socket file unless another server has replaced it since (then it is theirs). */
function removeIfOurs(socketPath: string, ino: number): void {
  try {
    if (statSync(socketPath).ino === ino) unlinkSync(socketPath);
  } catch {
    // already gone
  }
}

function line(r: ControlResponse): string {
  return JSON.stringify(r) + '\n';
}

/** One client: splits lines (bounded), answers them in order, one at a time. */
class ClientConnection {
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private readonly queue: string[] = [];
  private busy = false;
  private finishing = false;
  private dead = false;

  constructor(
    private readonly socket: Socket,
    private readonly handlers: ControlHandlers,
    private readonly o: { maxLineBytes: number; idleTimeoutMs: number },
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.destroy());
    socket.on('end', () => this.finish());
    socket.setTimeout(o.idleTimeoutMs, () => {
      if (!this.busy) this.destroy();
    });
  }

  private onData(chunk: Buffer): void {
    if (this.dead || this.finishing) return;
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      if (this.partialBytes + piece.length > this.o.maxLineBytes) return this.tooLarge();
      const bytes = this.partialBytes ? Buffer.concat([...this.partial, piece]) : piece;
      this.partial = [];
      this.partialBytes = 0;
      this.queue.push(bytes.toString('utf8'));
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (this.partialBytes + rest.length > this.o.maxLineBytes) return this.tooLarge();
      this.partial.push(Buffer.from(rest)); // a copy: a slice would pin the whole read buffer
      this.partialBytes += rest.length;
    }
    if (this.queue.length >= MAX_QUEUED_LINES) this.socket.pause();
    void this.pump();
  }

  private tooLarge(): void {
    this.dead = true;
    this.queue.length = 0;
    this.partial = [];
    const message = `request line longer than ${this.o.maxLineBytes} bytes`;
    this.socket.end(line({ id: null, error: { code: 'TOO_LARGE', message } }), () => this.socket.destroy());
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length > 0 && !this.dead) {
        const text = await this.answer(this.queue.shift()!);
        if (text === undefined || this.dead) continue;
        if (this.socket.writableLength > MAX_UNSENT_BYTES) return this.destroy(); // it does not read its answers
        this.socket.write(text);
        if (this.queue.length < MAX_QUEUED_LINES && this.socket.isPaused()) this.socket.resume();
      }
    } finally {
      this.busy = false;
    }
    if (this.finishing && !this.dead) this.socket.end();
  }

  private async answer(raw: string): Promise<string | undefined> {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return undefined;
    let id: number | null = null;
    try {
      const req = parseRequest(text);
      id = req.id;
      if (!Object.hasOwn(this.handlers, req.method)) {
        return line({ id, error: { code: 'UNKNOWN_METHOD', message: `unknown method ${JSON.stringify(req.method)}` } });
      }
      const result = await this.handlers[req.method]!(req.params);
      return line({ id, result: result === undefined ? null : result });
    } catch (err) {
      if (err instanceof ControlError && err.code === 'BAD_REQUEST') id = requestIdOf(text);
      try {
        return line({ id, error: errorBody(err) });
      } catch {
        return line({ id, error: { code: 'HANDLER_FAILED', message: 'error' } });
      }
    }
  }

  /** Answer what was asked, then close (the client ended, or the server is closing). */
  finish(): void {
    if (this.finishing) return;
    this.finishing = true;
    if (!this.busy && !this.dead) this.socket.end();
  }

  destroy(): void {
    this.dead = true;
    this.socket.destroy();
  }
}
