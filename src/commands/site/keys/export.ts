import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';

export default class SiteKeysExportCommand extends BaseCommand {
  static override summary = "Write a site's keys to a file (a backup, or to move the site).";
  static override description = `Writes the keys of --name to FILE with mode 0600: i2pd's private-keys layout followed by the 32-byte X25519 key of the LeaseSet. Whoever holds the file can run the site at its address: keep it private. An existing FILE is refused unless --force.

Exit codes: 0 written, 1 failure (no such site, the file exists), 2 usage error.`;
  static override examples = ['<%= config.bin %> <%= command.id %> blog.keys --name blog'];
  static override enableJsonFlag = true;
  static override args = { file: Args.string({ description: 'file to write', required: true }) };
  static override flags = {
    name: Flags.string({ description: 'site name', default: 'default' }),
    force: Flags.boolean({ description: 'overwrite FILE', default: false }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(SiteKeysExportCommand);
    const { resolveHome } = await import('../../../state/home.js');
    const { withSiteKeys } = await import('../../../apps/site/index.js');
    const s = await withSiteKeys(resolveHome({ flag: flags.home }), (store) => store.exportTo(flags.name, args.file, { overwrite: flags.force }));
    if (!this.jsonEnabled()) this.log(`${s.name}: keys of ${s.b32} written to ${args.file}`);
    return { name: s.name, b32: s.b32, file: args.file };
  }
}
