/**
 * openGarlic: a SAM bridge the user named, else the one a running router offers, else a router
 * started in this process; the message says which and why.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GarlicError, openGarlic } from '../../../src/apps/garlic/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'anon-open-garlic-'));
const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

async function listen(onLine?: (line: string, write: (s: string) => void) => void): Promise<number> {
  const server = createServer((sock) => {
    sock.on('error', () => undefined);
    sock.on('data', (d) => {
      for (const line of d.toString().split('\n').filter(Boolean)) onLine?.(line, (s) => sock.write(s));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, () => r()));
  return (server.address() as { port: number }).port;
}

async function closedPort(): Promise<number> {
  const port = await listen();
  const s = servers.pop()!;
  await new Promise((r) => s.close(r));
  return port;
}

describe('openGarlic', () => {
  it('uses the SAM bridge the user named, and says so', async () => {
    const port = await listen((line, write) => line.startsWith('HELLO') && write('HELLO REPLY RESULT=OK VERSION=3.3\n'));
    const g = await openGarlic({ sam: `127.0.0.1:${port}` });
    expect(g.kind).toBe('sam');
    expect(g.message).toBe(`using the SAM 3.3 bridge at 127.0.0.1:${port}`);
    await g.backend.close();
  });

  it('does not fall back when the named bridge is down, nor resolve host names', async () => {
    const port = await closedPort();
    await expect(openGarlic({ sam: `127.0.0.1:${port}`, embedded: { home: join(tmp, 'never') } })).rejects.toMatchObject({ code: 'BACKEND_DOWN' });
    await expect(openGarlic({ sam: `localhost:${port}` })).rejects.toMatchObject({ code: 'BAD_ADDRESS' });
  });

  it('without a bridge and without an embedded router to start, says how to get one', async () => {
    const port = await closedPort();
    const e = await openGarlic({ probe: `127.0.0.1:${port}` }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GarlicError);
    expect((e as GarlicError).code).toBe('BACKEND_DOWN');
    expect((e as GarlicError).message).toMatch(/anon-router start/);
  });

  it('starts an embedded router when no bridge answers, and stops it on close', async () => {
    const port = await closedPort();
    const home = join(tmp, 'embedded');
    const g = await openGarlic({
      probe: `127.0.0.1:${port}`,
      embedded: { home, config: { netId: 99, testnet: true } },
    });
    expect(g.kind).toBe('embedded');
    expect(g.message).toMatch(new RegExp(`^no SAM bridge at 127\\.0\\.0\\.1:${port} \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\); started an embedded router in this process \\(home ${home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`));
    expect(g.backend.description).toMatch(/embedded router/);
    // Keys come from the embedded side without any network.
    const keys = await g.backend.generateKeys();
    expect(keys.length).toBeGreaterThan(600);
    await g.backend.close();
    // The router let go of its home: a second start on it works.
    const again = await openGarlic({ probe: `127.0.0.1:${port}`, embedded: { home } });
    expect(again.kind).toBe('embedded');
    await again.backend.close();
  }, 30_000);
});
