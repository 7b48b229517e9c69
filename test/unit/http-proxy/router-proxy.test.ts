import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHttpProxy } from '../../../src/router/api/control/format.js';
import { RouterHttpProxy } from '../../../src/router/api/http-proxy/router-proxy.js';
import { httpProxyControlHandlers } from '../../../src/router/api/http-proxy/control-handlers.js';
import { AddressBook } from '../../../src/router/client/addressbook.js';
import { checkRouterConfig, defaultRouterConfig, HTTP_PROXY_DEFAULTS, loadRouterConfig, RouterConfigError, saveRouterConfig } from '../../../src/router/config.js';
import { silentLogger } from '../../../src/router/log.js';
import { cryptoRandom } from '../../../src/router/runtime/random.js';
import { ROUTER_SCHEMA_VERSION } from '../../../src/state/layout.js';
import { openMemoryStorage } from '../../../src/state/memory-storage.js';
import type { Storage } from '../../../src/state/store.js';
import { ClientNetwork } from '../client/client-network.js';

describe("the router's HTTP proxy (its destination, listener and status)", () => {
  let cn: ClientNetwork;
  let storage: Storage;

  beforeAll(async () => {
    cn = await ClientNetwork.create({ routers: 4, seed: 'router proxy', floodfills: [0] });
    storage = await openMemoryStorage({ schema: ROUTER_SCHEMA_VERSION });
  });
  afterAll(async () => {
    await storage?.close();
    cn?.stop();
  });

  const make = (config: Partial<typeof HTTP_PROXY_DEFAULTS>) =>
    new RouterHttpProxy(
      { ...HTTP_PROXY_DEFAULTS, ...config },
      { destinations: cn.client(1).destinations, addressBook: AddressBook.fromStorage(storage), random: cryptoRandom, clock: cn.net.clock, storage, log: silentLogger },
    );

  it('defaults: 127.0.0.1:4444, 3 hops, on; kept in the router config; the host must be an IP literal', async () => {
    expect(HTTP_PROXY_DEFAULTS).toEqual({ enabled: true, host: '127.0.0.1', port: 4444, hops: 3 });
    const config = defaultRouterConfig(() => 0);
    expect(config.httpProxy).toEqual(HTTP_PROXY_DEFAULTS);
    const s = await openMemoryStorage({ schema: ROUTER_SCHEMA_VERSION });
    try {
      await saveRouterConfig(s, { ...config, httpProxy: { enabled: false, host: '127.0.1.5', port: 4545, hops: 1 } });
      expect((await loadRouterConfig(s, () => 0)).httpProxy).toEqual({ enabled: false, host: '127.0.1.5', port: 4545, hops: 1 });
    } finally {
      await s.close();
    }
    for (const bad of [{ host: 'localhost' }, { host: 'proxy.example' }, { port: 0 }, { hops: 8 }]) {
      expect(() => checkRouterConfig({ ...config, httpProxy: { ...HTTP_PROXY_DEFAULTS, ...bad } })).toThrow(RouterConfigError);
    }
  });

  it('listens with an unpublished destination of its own whose pool has the configured hops', async () => {
    const p = make({ port: 0, hops: 2 });
    await p.start();
    try {
      const s = p.status();
      expect(s).toMatchObject({ enabled: true, listening: true, host: '127.0.0.1', hops: 2 });
      expect(s.port).toBeGreaterThan(0);
      const dest = cn.client(1).destinations.list().find((d) => d.b32 === s.b32)!;
      expect(dest.options.publish).toBe(false);
      expect(dest.options.inbound.length).toBe(2);
      expect(dest.options.outbound.length).toBe(2);
      expect(formatHttpProxy(s)).toMatch(/^127\.0\.0\.1:\d+, listening, 2 hops, tunnels \d+ in \/ \d+ out$/);
    } finally {
      await p.stop();
    }
  });

  it('a port already taken leaves the proxy off, says why, and keeps no destination', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    const port = (blocker.address() as { port: number }).port;
    const before = cn.client(1).destinations.list().length;
    const p = make({ port });
    try {
      await p.start();
      const s = p.status();
      expect(s.listening).toBe(false);
      expect(s.error).toContain('EADDRINUSE');
      expect(cn.client(1).destinations.list()).toHaveLength(before);
      expect(formatHttpProxy(s)).toContain('not listening');
      await expect(p.subscriptions.refresh()).rejects.toMatchObject({ code: 'NO_PROXY' });
    } finally {
      await p.stop();
      await new Promise((r) => blocker.close(r));
    }
  });

  it('control methods: status, subscribe (validated), list, unsubscribe', async () => {
    const p = make({ enabled: false });
    const h = httpProxyControlHandlers(p);
    expect(await h['httpProxy.status']({})).toMatchObject({ enabled: false });
    await expect(h['names.subscribe']({})).rejects.toThrow(/params.url/);
    await expect(h['names.subscribe']({ url: 'http://example.com/hosts.txt' })).rejects.toMatchObject({ code: 'INVALID_URL' });
    expect(await h['names.subscribe']({ url: 'http://feed.i2p/hosts.txt' })).toEqual({ url: 'http://feed.i2p/hosts.txt', status: 'added' });
    expect(await h['names.subscriptions']({})).toMatchObject([{ url: 'http://feed.i2p/hosts.txt' }]);
    await expect(h['names.refreshSubscriptions']({})).rejects.toMatchObject({ code: 'NO_PROXY' });
    expect(await h['names.unsubscribe']({ url: 'http://feed.i2p/hosts.txt' })).toEqual({ removed: true });
    expect(await h['names.subscriptions']({})).toEqual([]);
  });

  it('disabled: nothing created, status says off', async () => {
    const before = cn.client(1).destinations.list().length;
    const p = make({ enabled: false });
    await p.start();
    expect(p.status()).toMatchObject({ enabled: false, listening: false });
    expect(formatHttpProxy(p.status())).toBe('off');
    expect(cn.client(1).destinations.list()).toHaveLength(before);
  });
});
