import { BaseCommand } from '../../../cli/base-command.js';

export default class NamesListCommand extends BaseCommand {
  static override summary = "List the router's address book.";
  static override description = `One line per name: the name and its b32 address. --json gives every entry with its full destination (I2P base64) and when it was added.

Exit codes: 0 ok, 1 failure (e.g. the home is in use), 2 usage error.`;
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    const { flags } = await this.parse(NamesListCommand);
    const { callNames } = await import('../../../cli/names.js');
    type Entry = { name: string; b32: string; destination: string; added: string };
    const entries: Entry[] = [];
    let after: string | undefined;
    // Page through: a large book does not fit one control-socket answer.
    do {
      const page = (await callNames(flags.home, 'names.list', after === undefined ? {} : { after })) as { entries: Entry[]; next?: string };
      entries.push(...page.entries);
      after = page.next;
    } while (after !== undefined);
    if (!this.jsonEnabled()) {
      const { table } = await import('../../../router/testnet/format.js');
      if (entries.length > 0) this.log(table([['name', 'b32'], ...entries.map((e) => [e.name, e.b32])]).join('\n'));
      this.log(`${entries.length} name${entries.length === 1 ? '' : 's'}`);
    }
    return entries;
  }
}
