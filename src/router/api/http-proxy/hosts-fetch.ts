import type { Duplex } from 'node:stream';
import type { Resolved } from '../../client/addressbook.js';
import { ChunkedDecoder } from './chunked.js';
import { HttpProxyError } from './errors.js';
import { FIXED_USER_AGENT, hostHeader } from './headers.js';
import { classifyHost, resolveTarget } from './host.js';
import { parseAuthority } from './request.js';
import { headerValues } from './request.js';
import { parseResponseHead, ResponseHeadReader } from './response.js';

/**
 * One conditional HTTP/1.1 GET of a hosts.txt over I2P streaming (subscription.rst): the
 * subscription's .i2p URL, its ETag and Last-Modified from the last fetch, a bounded body.
 */

export interface HostsFetchDeps {
  connect(hash: Uint8Array, opts: { toPort: number; timeoutMs: number }): Promise<Duplex>;
  addressBook: { resolve(name: string): Promise<Resolved | undefined> };
}

export interface HostsFetchOptions {
  etag?: string;
  lastModified?: string;
  timeoutMs: number;
  maxBytes: number;
}

export type HostsFetchResult = { status: 'not-modified' } | { status: 'ok'; text: string; etag?: string; lastModified?: string; bytes: number };

/** A subscription URL: http://<.i2p host>[:port]/path. Throws HttpProxyError for anything else. */
export function parseSubscriptionUrl(url: string): { host: string; port: number; path: string } {
  if (typeof url !== 'string' || url.length > 2048) throw new HttpProxyError('BAD_TARGET', 'a subscription URL must be a string of at most 2048 characters');
  const m = /^http:\/\/([^/?#]+)(\/[^#\s]*)?$/i.exec(url.trim());
  if (!m) throw new HttpProxyError('BAD_TARGET', `${JSON.stringify(url.slice(0, 80))} is not an http:// URL`);
  const { host, port } = parseAuthority(m[1], 80);
  const target = classifyHost(host);
  if (target.kind === 'proxy') throw new HttpProxyError('BAD_HOST', 'proxy.i2p hosts no subscriptions');
  return { host, port, path: m[2] ?? '/' };
}

export async function fetchHostsTxt(url: string, deps: HostsFetchDeps, opts: HostsFetchOptions): Promise<HostsFetchResult> {
  const { host, port, path } = parseSubscriptionUrl(url);
  const target = classifyHost(host);
  if (target.kind === 'proxy') throw new HttpProxyError('BAD_HOST', 'proxy.i2p hosts no subscriptions');
  const { hash } = await resolveTarget(target, deps.addressBook);
  const stream = await deps.connect(hash, { toPort: port, timeoutMs: opts.timeoutMs });
  const lines = [`GET ${path} HTTP/1.1`, `Host: ${hostHeader(host, port)}`, `User-Agent: ${FIXED_USER_AGENT}`, 'Accept-Encoding: identity', 'Connection: close'];
  if (opts.etag) lines.push(`If-None-Match: ${opts.etag}`);
  if (opts.lastModified) lines.push(`If-Modified-Since: ${opts.lastModified}`);
  stream.write(`${lines.join('\r\n')}\r\n\r\n`);
  return new Promise<HostsFetchResult>((resolve, reject) => {
    const reader = new ResponseHeadReader();
    let phase: 'head' | 'body' = 'head';
    let framing: { kind: 'length'; left: number } | { kind: 'chunked'; dec: ChunkedDecoder } | { kind: 'close' } = { kind: 'close' };
    const parts: Buffer[] = [];
    let bytes = 0;
    let meta: { etag?: string; lastModified?: string } = {};
    const timer = setTimeout(() => finish(new HttpProxyError('CONNECT_TIMEOUT', `${host} did not send the hosts.txt in time`)), opts.timeoutMs);
    const finish = (err?: Error, result?: HostsFetchResult) => {
      clearTimeout(timer);
      stream.removeAllListeners('data');
      if (!stream.destroyed) {
        if (err) stream.destroy();
        else stream.end();
      }
      if (err) reject(err);
      else resolve(result!);
    };
    const done = () => finish(undefined, { status: 'ok', text: Buffer.concat(parts).toString('utf8'), bytes, ...meta });
    const take = (b: Buffer) => {
      bytes += b.length;
      if (bytes > opts.maxBytes) throw new HttpProxyError('BAD_RESPONSE', `the hosts.txt is larger than ${opts.maxBytes} bytes`);
      parts.push(b);
    };
    const body = (chunk: Buffer) => {
      if (framing.kind === 'length') {
        const b = chunk.subarray(0, framing.left);
        framing.left -= b.length;
        take(b);
        if (framing.left === 0) done();
      } else if (framing.kind === 'chunked') {
        const r = framing.dec.push(chunk);
        for (const d of r.data) take(d);
        if (framing.dec.done) done();
      } else {
        take(chunk);
      }
    };
    stream.on('data', (chunk: Buffer) => {
      try {
        if (phase === 'body') return body(chunk);
        const got = reader.push(chunk);
        if (!got) return;
        const head = parseResponseHead(got.head);
        if (head.status >= 100 && head.status < 200) throw new HttpProxyError('BAD_RESPONSE', 'informational answers are not expected here');
        if (head.status === 304) return finish(undefined, { status: 'not-modified' });
        if (head.status !== 200) throw new HttpProxyError('BAD_RESPONSE', `${host} answered HTTP ${head.status}`);
        const etag = headerValues(head.headers, 'etag')[0];
        const lastModified = headerValues(head.headers, 'last-modified')[0];
        meta = { ...(etag && { etag }), ...(lastModified && { lastModified }) };
        const te = headerValues(head.headers, 'transfer-encoding').join(',').toLowerCase();
        const cl = headerValues(head.headers, 'content-length')[0];
        if (te.includes('chunked')) framing = { kind: 'chunked', dec: new ChunkedDecoder('BAD_RESPONSE') };
        else if (cl !== undefined && /^\d{1,15}$/.test(cl.trim())) {
          const n = Number(cl.trim());
          if (n > opts.maxBytes) throw new HttpProxyError('BAD_RESPONSE', `the hosts.txt is ${n} bytes, more than ${opts.maxBytes}`);
          framing = { kind: 'length', left: n };
          if (n === 0) return done();
        }
        phase = 'body';
        if (got.rest.length > 0) body(got.rest);
      } catch (e) {
        finish(e as Error);
      }
    });
    stream.once('end', () => {
      if (phase === 'body' && framing.kind === 'close') done();
      else finish(new HttpProxyError('BAD_RESPONSE', `${host} closed the connection before the hosts.txt was complete`));
    });
    stream.once('error', (e: Error) => finish(e));
  });
}
