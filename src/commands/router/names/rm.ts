import { Args } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';

export default class NamesRmCommand extends BaseCommand {
  static override summary = "Remove a host name from the router's address book.";
  static override description = `With a router running in the home, it makes the change; otherwise the home's state is opened directly.

Exit codes: 0 removed, 1 failure (the name is not in the book, the home is in use), 2 usage error.`;
  static override examples = ['<%= config.bin %> <%= command.id %> example.i2p'];
  static override enableJsonFlag = true;
  static override args = { name: Args.string({ description: 'host name, e.g. example.i2p', required: true }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(NamesRmCommand);
    const { callNames } = await import('../../../cli/names.js');
    const r = (await callNames(flags.home, 'names.remove', { name: args.name })) as { name: string; removed: boolean };
    if (!this.jsonEnabled()) this.log(`${r.name}: removed`);
    return r;
  }
}
