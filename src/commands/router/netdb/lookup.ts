import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import { UsageError } from '../../../cli/exit-codes.js';

export default class NetdbLookupCommand extends BaseCommand {
  static override summary = 'Look up a router (by hash) or a destination (by b32 address) in the netDb.';
  static override description = `A .b32.i2p address looks up that destination's LeaseSet2 (its leases: the inbound gateways and tunnels where it can be reached), through the floodfills closest to it; the answer is verified against the destination before it is shown.

HASH is a router hash in I2P base64 (44 characters). The running router answers from its own netDb when it can, else searches the floodfills closest to the hash (an iterative Kademlia lookup over direct NTCP2 sessions, following the closer floodfills each one names, at most 8 asked). With --floodfill it asks that floodfill alone. A RouterInfo found is verified and kept.

Exit codes: 0 found, 1 not found or failure (no router running, no floodfill answered), 2 usage error (e.g. a malformed hash).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> 65QzoMP9cZvXz~fpbmiP7yqjm~teRlf7K~SPkY8FXAk=',
    '<%= config.bin %> <%= command.id %> g6xulydt6upg4qldn72jeqvujkiah4ysddhmuspfougwqsfjfhta.b32.i2p',
  ];
  static override enableJsonFlag = true;
  static override args = { hash: Args.string({ description: 'router hash (I2P base64) or destination (xxx.b32.i2p)', required: true }) };
  static override flags = {
    floodfill: Flags.string({ description: 'ask this floodfill (hash, I2P base64) instead of one chosen at random' }),
    timeout: Flags.integer({ description: 'seconds to wait for the floodfill', default: 15, min: 1, max: 120 }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(NetdbLookupCommand);
    const { i2pBase64Decode, i2pBase64Encode } = await import('../../../router/data/base64.js');
    if (args.hash.toLowerCase().endsWith('.i2p')) return this.lookupDestination(args.hash, flags.home, flags.timeout, i2pBase64Encode);
    for (const [what, value] of [['HASH', args.hash], ['--floodfill', flags.floodfill]] as const) {
      if (value === undefined) continue;
      let ok = false;
      try {
        ok = i2pBase64Decode(value).length === 32;
      } catch {
        ok = false;
      }
      if (!ok) throw new UsageError(`${what}: not a router hash (44 characters of I2P base64) nor a .b32.i2p address`);
    }
    const { askRouter } = await import('../../../cli/ask-router.js');
    const { CommandFailure } = await import('../../../cli/exit-codes.js');
    const r = (await askRouter(flags.home, 'netdb.find', { key: args.hash, floodfill: flags.floodfill, timeoutMs: flags.timeout * 1000 }, flags.timeout * 1000 + 5000)) as {
      found: boolean;
      source: string;
      router?: Record<string, unknown>;
      closerPeers?: string[];
      floodfill?: string;
      queried?: string[];
      rttMs?: number;
    };
    if (!this.jsonEnabled()) {
      const { renderTree } = await import('../../../cli/render.js');
      this.log(renderTree(r as Parameters<typeof renderTree>[0]).join('\n'));
    }
    if (!r.found) {
      if (this.jsonEnabled()) process.exitCode = 1;
      else {
        const asked = r.queried ? `asked ${r.queried.length} floodfill${r.queried.length === 1 ? '' : 's'}` : `floodfill ${r.floodfill?.slice(0, 6)} knows ${r.closerPeers?.length ?? 0} closer peers`;
        throw new CommandFailure(`${args.hash}: not found (${asked})`);
      }
    }
    return r;
  }

  private async lookupDestination(address: string, home: string | undefined, timeout: number, toBase64: (b: Uint8Array) => string): Promise<unknown> {
    const { parseB32Address } = await import('../../../router/data/b32.js');
    const { CommandFailure } = await import('../../../cli/exit-codes.js');
    let hash: Uint8Array;
    try {
      hash = parseB32Address(address);
    } catch {
      throw new UsageError(`${address}: not a b32 address (52 base32 characters, then .b32.i2p); names need the address book`);
    }
    const { askRouter } = await import('../../../cli/ask-router.js');
    const r = (await askRouter(home, 'netdb.findLeaseSet', { key: toBase64(hash), timeoutMs: timeout * 1000 }, timeout * 1000 + 5000)) as {
      found: boolean;
      reason?: string;
      queried?: string[];
    };
    if (!this.jsonEnabled()) {
      const { renderTree } = await import('../../../cli/render.js');
      this.log(renderTree(r as Parameters<typeof renderTree>[0]).join('\n'));
    }
    if (!r.found) {
      if (this.jsonEnabled()) process.exitCode = 1;
      else throw new CommandFailure(`${address}: no LeaseSet found (${r.reason ?? 'not found'}; asked ${r.queried?.length ?? 0} floodfills)`);
    }
    return r;
  }
}
