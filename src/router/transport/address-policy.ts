import { isIP } from 'node:net';

/**
 * Which IP addresses a router may publish or dial. On the public network only globally
 * routable addresses make sense (and a private one would leak our LAN layout); a private test
 * network (`--testnet`) may use anything, loopback included. Host names are never accepted:
 * resolving one would be a DNS lookup, which an anonymous router must not make.
 */
export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'reserved';

function v4(addr: string): number[] {
  return addr.split('.').map(Number);
}

export function classifyAddress(addr: string): AddressClass | 'not-an-ip' {
  const family = isIP(addr);
  if (family === 4) {
    const [a, b] = v4(addr);
    if (a === 0) return 'unspecified';
    if (a === 127) return 'loopback';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'private';
    if (a === 169 && b === 254) return 'link-local';
    // 198.18/15 is the benchmarking range our i2pd test networks use; 224+ multicast/reserved.
    if ((a === 198 && (b === 18 || b === 19)) || a >= 224) return 'reserved';
    return 'public';
  }
  if (family === 6) {
    const lower = addr.toLowerCase();
    if (lower === '::') return 'unspecified';
    if (lower === '::1') return 'loopback';
    if (/^f[cd]/.test(lower)) return 'private';
    if (/^fe[89ab]/.test(lower)) return 'link-local';
    if (lower.startsWith('::ffff:')) return classifyAddress(lower.slice(7));
    if (/^ff/.test(lower)) return 'reserved';
    return 'public';
  }
  return 'not-an-ip';
}

export class AddressPolicyError extends Error {
  override readonly name = 'AddressPolicyError';
}

/** Throws unless `addr` is an IP literal this router may use (publish, bind or dial). */
export function checkRouterAddress(addr: string, testnet: boolean): void {
  const c = classifyAddress(addr);
  if (c === 'not-an-ip') throw new AddressPolicyError(`${JSON.stringify(addr)} is not an IP address (host names are never resolved: no DNS)`);
  if (c === 'unspecified') throw new AddressPolicyError(`${addr} cannot be published: give the address peers should dial`);
  if (c !== 'public' && !testnet) throw new AddressPolicyError(`${addr} is a ${c} address: use --testnet for a private test network`);
}
