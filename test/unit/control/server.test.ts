import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  callControl,
  ControlError,
  RouterAlreadyRunningError,
  RouterNotRunningError,
  startControlServer,
  type ControlServer,
} from '../../../src/router/api/control/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'anon-ctl-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** A fresh `<home>/router/control.sock` path, the layout the router uses. */
function socketPath(): { home: string; path: string } {
  const home = join(tmp, `h${n++}`);
  mkdirSync(join(home, 'router'), { recursive: true, mode: 0o700 });
  return { home, path: join(home, 'router', 'control.sock') };
}

const open: ControlServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function serve(path: string, handlers: Record<string, (p: unknown) => Promise<unknown>>, opts = {}): Promise<ControlServer> {
  const s = await startControlServer(path, handlers, opts);
  open.push(s);
  return s;
}

/** A raw client: send bytes, collect answer lines, learn when the server closed us. */
function rawClient(path: string) {
  const s = createConnection(path);
  sockets.push(s);
  let buf = '';
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  s.setEncoding('utf8');
  s.on('data', (d: string) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i !== -1; i = buf.indexOf('\n')) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
    waiters.splice(0).forEach((w) => w());
  });
  s.on('error', () => {});
  const closed = new Promise<void>((r) => s.on('close', () => r()));
  return {
    socket: s,
    lines,
    closed,
    async nextLines(count: number): Promise<unknown[]> {
      while (lines.length < count) await new Promise<void>((r) => waiters.push(r));
      return lines.splice(0, count).map((l) => JSON.parse(l));
    },
  };
}

const status = async () => ({ pid: process.pid, ok: true });

describe('control server', () => {
  it('creates the socket with mode 0600 and answers a request', async () => {
    const { path } = socketPath();
    await serve(path, { status });
    const st = statSync(path);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(await callControl(path, 'status')).toEqual({ pid: process.pid, ok: true });
    // No temporary bind directory is left beside it.
    expect(statSync(join(path, '..')).isDirectory()).toBe(true);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(join(path, '..'))).toEqual(['control.sock']);
  });

  it('passes params to the handler and null for an undefined result', async () => {
    const { path } = socketPath();
    const seen: unknown[] = [];
    await serve(path, {
      stop: async (p) => {
        seen.push(p);
      },
    });
    expect(await callControl(path, 'stop', { graceful: true })).toBeNull();
    expect(seen).toEqual([{ graceful: true }]);
  });

  it('answers an unknown method with UNKNOWN_METHOD, also for Object.prototype names', async () => {
    const { path } = socketPath();
    await serve(path, { status });
    for (const m of ['bogus', 'toString', 'constructor', 'hasOwnProperty']) {
      const err = await callControl(path, m).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ControlError);
      expect((err as ControlError).code).toBe('UNKNOWN_METHOD');
    }
  });

  it('turns a handler exception into an error answer and keeps serving', async () => {
    const { path } = socketPath();
    await serve(path, {
      boom: async () => {
        throw new Error('it broke\nbadly');
      },
      coded: async () => {
        throw Object.assign(new Error('already stopping'), { code: 'STOPPING' });
      },
      bigint: async () => 1n,
      status,
    });
    const a = (await callControl(path, 'boom').catch((e: unknown) => e)) as ControlError;
    expect(a).toBeInstanceOf(ControlError);
    expect(a.code).toBe('HANDLER_FAILED');
    expect(a.message).toBe('it broke badly');
    const b = (await callControl(path, 'coded').catch((e: unknown) => e)) as ControlError;
    expect(b.code).toBe('STOPPING');
    const c = (await callControl(path, 'bigint').catch((e: unknown) => e)) as ControlError;
    expect(c.code).toBe('HANDLER_FAILED');
    expect(await callControl(path, 'status')).toEqual({ pid: process.pid, ok: true });
  });

  it('answers pipelined requests in order, and malformed lines with BAD_REQUEST without closing', async () => {
    const { path } = socketPath();
    await serve(path, { echo: async (p) => p });
    const c = rawClient(path);
    c.socket.write('{"id":1,"method":"echo","params":"a"}\nnot json\n{"id":7,"method":3}\r\n\n{"id":2,"method":"echo","params":[1]}\n');
    const answers = await c.nextLines(4);
    expect(answers[0]).toEqual({ id: 1, result: 'a' });
    expect(answers[1]).toMatchObject({ id: null, error: { code: 'BAD_REQUEST' } });
    expect(answers[2]).toMatchObject({ id: 7, error: { code: 'BAD_REQUEST' } });
    expect(answers[3]).toEqual({ id: 2, result: [1] });
  });

  it('closes a client whose line exceeds the bound, after telling it why', async () => {
    const { path } = socketPath();
    await serve(path, { status }, { maxLineBytes: 1024 });
    const c = rawClient(path);
    c.socket.write('{"id":1,"method":"status","params":"' + 'x'.repeat(2000));
    await c.closed;
    expect(c.lines.map((l) => JSON.parse(l))).toEqual([{ id: null, error: { code: 'TOO_LARGE', message: 'request line longer than 1024 bytes' } }]);
    // The server is fine.
    expect(await callControl(path, 'status')).toMatchObject({ ok: true });
  });

  it('enforces the 64 KiB default even across many chunks', async () => {
    const { path } = socketPath();
    await serve(path, { status });
    const c = rawClient(path);
    for (let i = 0; i < 20; i++) c.socket.write('y'.repeat(4096));
    await c.closed;
    expect(JSON.parse(c.lines[0]!)).toMatchObject({ error: { code: 'TOO_LARGE' } });
  });

  it('answers BUSY beyond maxClients', async () => {
    const { path } = socketPath();
    await serve(path, { status }, { maxClients: 2 });
    const a = rawClient(path);
    const b = rawClient(path);
    a.socket.write('{"id":1,"method":"status"}\n');
    b.socket.write('{"id":1,"method":"status"}\n');
    await a.nextLines(1);
    await b.nextLines(1);
    const err = (await callControl(path, 'status').catch((e: unknown) => e)) as ControlError;
    expect(err).toBeInstanceOf(ControlError);
    expect(err.code).toBe('BUSY');
    a.socket.destroy();
    await a.closed;
    // A freed slot serves again (the server notices the close asynchronously: retry, bounded).
    let ok: unknown;
    for (let i = 0; i < 50 && ok === undefined; i++) ok = await callControl(path, 'status').catch(() => undefined);
    expect(ok).toMatchObject({ ok: true });
  });

  it('replaces a stale socket file nobody answers on', async () => {
    const { path } = socketPath();
    // A socket file left behind by a dead process: bind elsewhere, move it in, stop listening.
    const other = join(tmp, `stale-${n++}.sock`);
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(other, r));
    renameSync(other, path);
    await new Promise<void>((r) => dead.close(() => r()));
    expect(statSync(path).isSocket()).toBe(true);
    await expect(callControl(path, 'status')).rejects.toBeInstanceOf(RouterNotRunningError);

    await serve(path, { status });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await callControl(path, 'status')).toMatchObject({ ok: true });
  });

  it('refuses a socket a live router answers on, and leaves that router alone', async () => {
    const { path } = socketPath();
    await serve(path, { status });
    const err = await startControlServer(path, { status }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RouterAlreadyRunningError);
    expect((err as Error).message).toMatch(/a router is already running/);
    expect(await callControl(path, 'status')).toMatchObject({ ok: true });
  });

  it('refuses a path that is not a socket, and a path too long for a unix socket', async () => {
    const { path } = socketPath();
    writeFileSync(path, 'not a socket');
    await expect(startControlServer(path, {})).rejects.toMatchObject({ code: 'NOT_A_SOCKET' });
    const long = join(tmp, 'x'.repeat(120), 'control.sock');
    await expect(startControlServer(long, {})).rejects.toMatchObject({ code: 'PATH_TOO_LONG' });
  });

  it('close() lets an in-flight answer out, then removes the socket file', async () => {
    const { path } = socketPath();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    const server = await startControlServer(path, {
      slow: async () => {
        entered();
        await gate;
        return 'done';
      },
    });
    const call = callControl(path, 'slow');
    await inHandler;
    const closing = server.close();
    release();
    expect(await call).toBe('done');
    await closing;
    expect(existsSync(path)).toBe(false);
    await expect(callControl(path, 'slow')).rejects.toBeInstanceOf(RouterNotRunningError);
  });

  it('close() cuts off a handler that never answers after the grace period', async () => {
    const { path } = socketPath();
    const server = await startControlServer(path, { hang: () => new Promise(() => {}) }, { closeGraceMs: 50 });
    const call = callControl(path, 'hang').catch((e: unknown) => e);
    // Wait until the server holds the connection, then close.
    for (let i = 0; i < 100 && !(await serverAccepts(path)); i++);
    await server.close();
    expect(((await call) as ControlError).code).toBe('CLOSED');
  });
});

/** True once the socket accepts a connection (the hanging call's connection is then surely up too). */
async function serverAccepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describe('control client', () => {
  it('throws RouterNotRunningError naming the home when there is no socket', async () => {
    const { home, path } = socketPath();
    const err = await callControl(path, 'status').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RouterNotRunningError);
    expect((err as Error).message).toBe(`no router is running in ${home}`);
    expect((err as RouterNotRunningError).exitCode).toBe(1);
  });

  it('times out on a server that never answers', async () => {
    const { path } = socketPath();
    await serve(path, { hang: () => new Promise(() => {}) }, { closeGraceMs: 10 });
    const err = (await callControl(path, 'hang', {}, { timeoutMs: 100 }).catch((e: unknown) => e)) as ControlError;
    expect(err).toBeInstanceOf(ControlError);
    expect(err.code).toBe('TIMEOUT');
  });

  it('rejects an answer that is not the protocol', async () => {
    const { path } = socketPath();
    // resume(): a socket nobody reads never sees the client's EOF, and close() would wait on it.
    const liar = createServer((s) => s.resume().end('hello\n'));
    await new Promise<void>((r) => liar.listen(path, r));
    try {
      const err = (await callControl(path, 'status').catch((e: unknown) => e)) as ControlError;
      expect(err.code).toBe('BAD_RESPONSE');
    } finally {
      await new Promise<void>((r) => liar.close(() => r()));
    }
  });

  it('bounds the answer it reads', async () => {
    const { path } = socketPath();
    const flood = createServer((s) => {
      s.on('error', () => {});
      s.resume();
      const chunk = 'z'.repeat(64 * 1024);
      for (let i = 0; i < 20; i++) s.write(chunk);
    });
    await new Promise<void>((r) => flood.listen(path, r));
    try {
      const err = (await callControl(path, 'status').catch((e: unknown) => e)) as ControlError;
      expect(err.code).toBe('TOO_LARGE');
    } finally {
      await new Promise<void>((r) => flood.close(() => r()));
    }
  });
});
