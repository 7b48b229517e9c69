import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';

export default class SiteKeysImportCommand extends BaseCommand {
  static override summary = 'Take over a site address from a keys file.';
  static override description = `Reads FILE (ours from \`keys export\`, or a private-keys file from i2pd or SAM's DEST GENERATE) and stores it under --name. FILE must be private (mode 0600). A name that already has keys is refused unless --replace.

Exit codes: 0 imported, 1 failure (the name has keys, the file is not keys or not private), 2 usage error.`;
  static override examples = ['<%= config.bin %> <%= command.id %> blog.keys --name blog'];
  static override enableJsonFlag = true;
  static override args = { file: Args.string({ description: 'keys file to read', required: true }) };
  static override flags = {
    name: Flags.string({ description: 'site name', default: 'default' }),
    replace: Flags.boolean({ description: 'replace the keys the name has (its old address is lost)', default: false }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(SiteKeysImportCommand);
    const { resolveHome } = await import('../../../state/home.js');
    const { withSiteKeys } = await import('../../../apps/site/index.js');
    const s = await withSiteKeys(resolveHome({ flag: flags.home }), (store) => store.importFrom(flags.name, args.file, { replace: flags.replace }));
    if (!this.jsonEnabled()) this.log(`${s.name}: ${s.b32}`);
    return { name: s.name, b32: s.b32 };
  }
}
