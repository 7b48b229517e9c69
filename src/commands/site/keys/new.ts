import { Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';

export default class SiteKeysNewCommand extends BaseCommand {
  static override summary = 'Make the keys (so the address) of a new site.';
  static override description = `Creates keys for --name and prints the address a \`serve --name\` will have. A name that already has keys is refused: replacing them would throw its address away.

Exit codes: 0 created, 1 failure (the name has keys, the home is in use), 2 usage error.`;
  static override examples = ['<%= config.bin %> <%= command.id %> --name blog'];
  static override enableJsonFlag = true;
  static override flags = { name: Flags.string({ description: 'site name (a-z, 0-9, _ and -)', default: 'default' }) };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(SiteKeysNewCommand);
    const { resolveHome } = await import('../../../state/home.js');
    const { withSiteKeys } = await import('../../../apps/site/index.js');
    const s = await withSiteKeys(resolveHome({ flag: flags.home }), (store) => store.create(flags.name));
    if (!this.jsonEnabled()) this.log(`${s.name}: ${s.b32}`);
    return { name: s.name, b32: s.b32, created: s.created };
  }
}
