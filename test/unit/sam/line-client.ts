/**
 * A minimal SAM client for tests: lines and raw bytes over one TCP connection, read in order.
 * Used by the unit tests (against a SamServer on a simulated network) and the e2e tests
 * (against a real anon-router).
 */
import { connect, type Socket } from 'node:net';

export class LineClient {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      this.wake();
    });
    // The bridge ending its side is the end for a reader (the socket is half-open until we end).
    for (const ev of ['end', 'close']) {
      socket.on(ev, () => {
        this.closed = true;
        this.wake();
      });
    }
    socket.on('error', () => {});
  }

  static open(port: number, host = '127.0.0.1'): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host, allowHalfOpen: true }, () => resolve(new LineClient(s)));
      s.once('error', reject);
    });
  }

  /** Connects and says HELLO; the reply's VERSION is returned. */
  static async hello(port: number, host = '127.0.0.1', line = 'HELLO VERSION MIN=3.1 MAX=3.3'): Promise<LineClient> {
    const c = await LineClient.open(port, host);
    c.send(line);
    const r = await c.line();
    if (!r.startsWith('HELLO REPLY RESULT=OK')) throw new Error(`HELLO refused: ${r}`);
    return c;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private wait(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }

  send(line: string): void {
    this.socket.write(line + '\n');
  }

  write(bytes: Uint8Array | string): void {
    this.socket.write(bytes);
  }

  /** The next line (without "\n"); rejects when the connection closed first. */
  async line(): Promise<string> {
    for (;;) {
      const nl = this.buf.indexOf(0x0a);
      if (nl >= 0) {
        const l = this.buf.subarray(0, nl).toString('utf8');
        this.buf = this.buf.subarray(nl + 1);
        return l;
      }
      if (this.closed) throw new Error(`connection closed (unread: ${JSON.stringify(this.buf.toString('utf8').slice(0, 80))})`);
      await this.wait();
    }
  }

  async bytes(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.closed) throw new Error(`connection closed after ${this.buf.length} of ${n} bytes`);
      await this.wait();
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return Buffer.from(out);
  }

  /** Everything until the other side closes. */
  async rest(): Promise<Buffer> {
    while (!this.closed) await this.wait();
    const out = this.buf;
    this.buf = Buffer.alloc(0);
    return out;
  }

  async waitClosed(): Promise<void> {
    while (!this.closed) await this.wait();
  }

  close(): void {
    this.socket.destroy();
  }
}

/** KEY=VALUE fields of a reply line (values unquoted). */
export function fields(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/(\w[\w.:]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) out[m[1]] = m[2].startsWith('"') ? m[2].slice(1, -1).replace(/\\(.)/g, '$1') : m[2];
  return out;
}
