import { Args } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import { CommandFailure } from '../../../cli/exit-codes.js';

export default class NamesUnsubscribeCommand extends BaseCommand {
  static override summary = 'Remove an address-book subscription (the names it brought stay).';
  static override description = `Exit codes: 0 removed, 1 failure (no such subscription), 2 usage error.`;
  static override examples = ['<%= config.bin %> <%= command.id %> http://reg.i2p/hosts.txt'];
  static override enableJsonFlag = true;
  static override args = { url: Args.string({ description: 'the subscription URL, as `names subscriptions` lists it', required: true }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(NamesUnsubscribeCommand);
    const { callSubscriptions } = await import('../../../cli/subscriptions.js');
    const r = (await callSubscriptions(flags.home, 'names.unsubscribe', { url: args.url })) as { removed: boolean };
    if (!r.removed) throw new CommandFailure(`${args.url}: no such subscription`, 1);
    if (!this.jsonEnabled()) this.log(`${args.url}: unsubscribed`);
    return { url: args.url, ...r };
  }
}
