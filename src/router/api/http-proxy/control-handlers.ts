import type { RouterHttpProxy } from './router-proxy.js';

/**
 * Control methods of the HTTP proxy's address-book subscriptions (`anon-router names
 * subscribe|unsubscribe|subscriptions`): thin, each validates its params and calls in.
 */
export function httpProxyControlHandlers(proxy: RouterHttpProxy): Record<string, (params: unknown) => Promise<unknown>> {
  const url = (params: unknown): string => {
    const p = (params ?? {}) as { url?: unknown };
    if (typeof p.url !== 'string') throw new Error('params.url: an http:// URL of a hosts.txt on an .i2p host');
    return p.url;
  };
  return {
    'httpProxy.status': async () => proxy.status(),
    'names.subscriptions': async () => proxy.subscriptions.list(),
    'names.subscribe': async (params) => proxy.subscriptions.add(url(params)),
    'names.unsubscribe': async (params) => ({ removed: await proxy.subscriptions.remove(url(params)) }),
    'names.refreshSubscriptions': async (params) => {
      const p = (params ?? {}) as { url?: unknown };
      return proxy.subscriptions.refresh(typeof p.url === 'string' ? p.url : undefined);
    },
  };
}
