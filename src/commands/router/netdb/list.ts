import { BaseCommand } from '../../../cli/base-command.js';

export default class NetdbListCommand extends BaseCommand {
  static override summary = "List the RouterInfos in the running router's netDb.";
  static override description = `One line per router: hash, caps, version, NTCP2 address, published.

Exit codes: 0 ok, 1 failure (e.g. no router is running in that home), 2 usage error.`;
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    const { flags } = await this.parse(NetdbListCommand);
    const { askRouter } = await import('../../../cli/ask-router.js');
    const list = (await askRouter(flags.home, 'netdb.list')) as { hash: string; caps: string; version?: string; ntcp2: string[]; publishedIso: string }[];
    if (!this.jsonEnabled()) {
      const { table } = await import('../../../router/testnet/format.js');
      const rows = [['router', 'caps', 'version', 'ntcp2', 'published'], ...list.map((r) => [r.hash.slice(0, 6), r.caps, r.version ?? '-', r.ntcp2.join(' ') || '-', r.publishedIso])];
      this.log(table(rows).join('\n'));
      this.log(`${list.length} router${list.length === 1 ? '' : 's'}`);
    }
    return list;
  }
}
