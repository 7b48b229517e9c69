import { parseB32Address } from '../../data/b32.js';
import { hostNameProblem, type Resolved } from '../../client/addressbook.js';
import { HttpProxyError } from './errors.js';

/**
 * Which hosts the proxy reaches: `.i2p` only. A b32 address (52 base32 characters, the hash
 * itself) or a name from the router's address book. Nothing is ever resolved through DNS:
 * there is no outproxy, so a clearnet host, an IP literal or localhost gets an error page.
 */

/** The proxy's own pages (naming.html reserves proxy.i2p for this). */
export const PROXY_HOST = 'proxy.i2p';

export type HostTarget = { kind: 'b32'; host: string; hash: Uint8Array } | { kind: 'name'; host: string } | { kind: 'proxy' };

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
/** Anything a resolver or a socket might read as a number: 127.1, 0x7f000001, 2130706433. */
const NUMERIC = /^(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+))*$/;

const REFUSED = "anon's proxy only reaches .i2p sites; there is no outproxy";

/** Classifies `host` (lower case, as request.ts leaves it); throws an HttpProxyError for anything not reachable. */
export function classifyHost(hostIn: string): HostTarget {
  let host = hostIn.toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  // RFC 9476: browsers may use .i2p.alt for the same names.
  if (host.endsWith('.i2p.alt')) host = host.slice(0, -'.alt'.length);
  if (host.startsWith('[') || host.includes(':') || IPV4.test(host) || NUMERIC.test(host)) {
    throw new HttpProxyError('IP_LITERAL', `${hostIn} is an IP address: ${REFUSED}`);
  }
  if (host === 'localhost' || host.endsWith('.localhost')) throw new HttpProxyError('LOCALHOST', `${hostIn} is this computer: ${REFUSED}`);
  if (!host.includes('.')) throw new HttpProxyError('BARE_NAME', `${hostIn} is not a full host name: ${REFUSED}`);
  if (!host.endsWith('.i2p')) throw new HttpProxyError('NOT_I2P', `${hostIn} is not an I2P site: ${REFUSED}`);
  if (host === PROXY_HOST) return { kind: 'proxy' };
  if (host.endsWith('.b32.i2p')) {
    const label = host.slice(0, -'.b32.i2p'.length);
    if (/^[a-z2-7]{56,}$/.test(label)) throw new HttpProxyError('B33_UNSUPPORTED', `${hostIn} is an encrypted LeaseSet address (b33): not supported yet`);
    try {
      return { kind: 'b32', host, hash: parseB32Address(host) };
    } catch (e) {
      throw new HttpProxyError('BAD_HOST', `${hostIn} is not a valid b32 address (${(e as Error).message})`);
    }
  }
  // A full base64 destination with ".i2p" appended: old clients did this; it is not a host name.
  if (host.length > 300 && /^[a-z0-9~-]+\.i2p$/.test(host)) {
    throw new HttpProxyError('BASE64_HOST', 'a full base64 destination as host name is not supported: add it to the address book, or use its b32 address');
  }
  const problem = hostNameProblem(host);
  if (problem) throw new HttpProxyError('BAD_HOST', `${hostIn} is not a valid I2P host name: ${problem}`);
  return { kind: 'name', host };
}

/** The destination hash to connect to: a b32 is its own hash, a name goes through the address book. */
export async function resolveTarget(target: Exclude<HostTarget, { kind: 'proxy' }>, book: { resolve(name: string): Promise<Resolved | undefined> }): Promise<{ hash: Uint8Array; resolved?: Resolved }> {
  if (target.kind === 'b32') return { hash: target.hash };
  const r = await book.resolve(target.host);
  if (!r) throw new HttpProxyError('UNKNOWN_NAME', `${target.host} is not in the address book`);
  return { hash: r.hash, resolved: r };
}
