import { BaseCommand } from '../../../cli/base-command.js';

export default class SiteKeysListCommand extends BaseCommand {
  static override summary = "List this home's sites and their addresses.";
  static override description = `Every site name that has keys in <home>/apps/site, with its address and when its keys were made.

Exit codes: 0 ok, 1 failure (the home is in use), 2 usage error.`;
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    const { flags } = await this.parse(SiteKeysListCommand);
    const { resolveHome } = await import('../../../state/home.js');
    const { withSiteKeys } = await import('../../../apps/site/index.js');
    const sites = await withSiteKeys(resolveHome({ flag: flags.home }), (store) => store.list());
    if (!this.jsonEnabled()) {
      if (sites.length === 0) this.log('no site keys yet (`anon-site keys new` or `anon-site serve DIR` makes them)');
      for (const s of sites) this.log(`${s.name}\t${s.b32}\t${new Date(s.created).toISOString()}`);
    }
    return { sites };
  }
}
