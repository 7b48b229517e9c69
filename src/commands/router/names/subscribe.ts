import { Args } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';

export default class NamesSubscribeCommand extends BaseCommand {
  static override summary = 'Subscribe the address book to a hosts.txt on an .i2p site.';
  static override description = `The running router fetches each subscription through its HTTP proxy's destination a few minutes after start and every 12 hours (conditionally: ETag, Last-Modified), and adds the names it lists; a name already in the book is never replaced. Only http:// URLs on .i2p hosts (b32 or a name in the book).

Exit codes: 0 subscribed (or already), 1 failure, 2 usage error (a bad URL).`;
  static override examples = ['<%= config.bin %> <%= command.id %> http://reg.i2p/hosts.txt'];
  static override enableJsonFlag = true;
  static override args = { url: Args.string({ description: 'http://<host>.i2p/<path> of a hosts.txt', required: true }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(NamesSubscribeCommand);
    const { callSubscriptions } = await import('../../../cli/subscriptions.js');
    const r = (await callSubscriptions(flags.home, 'names.subscribe', { url: args.url })) as { url: string; status: string };
    if (!this.jsonEnabled()) this.log(`${r.url}: ${r.status === 'added' ? 'subscribed' : 'already subscribed'}`);
    return r;
  }
}
