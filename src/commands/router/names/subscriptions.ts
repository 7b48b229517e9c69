import { Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';

export default class NamesSubscriptionsCommand extends BaseCommand {
  static override summary = "List the address book's subscriptions and how their last fetch went.";
  static override description = `--refresh fetches them all now (through the running router's HTTP proxy destination) and waits for the result.

Exit codes: 0 ok, 1 failure, 2 usage error.`;
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --refresh --json'];
  static override enableJsonFlag = true;
  static override flags = { refresh: Flags.boolean({ description: 'fetch every subscription now' }) };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(NamesSubscriptionsCommand);
    const { callSubscriptions } = await import('../../../cli/subscriptions.js');
    type Sub = { url: string; lastFetched?: number; lastResult?: { ok: boolean; error?: string; added?: number; notModified?: boolean } };
    const subs = (await callSubscriptions(flags.home, flags.refresh ? 'names.refreshSubscriptions' : 'names.subscriptions', {})) as Sub[];
    if (!this.jsonEnabled()) {
      const { table } = await import('../../../router/testnet/format.js');
      const last = (s: Sub) =>
        !s.lastResult ? 'not fetched yet' : !s.lastResult.ok ? `failed: ${s.lastResult.error}` : s.lastResult.notModified ? 'not modified' : `${s.lastResult.added} names added`;
      if (subs.length > 0) this.log(table([['url', 'last fetch', 'result'], ...subs.map((s) => [s.url, s.lastFetched ? new Date(s.lastFetched).toISOString() : '-', last(s)])]).join('\n'));
      this.log(`${subs.length} subscription${subs.length === 1 ? '' : 's'}`);
    }
    return subs;
  }
}
