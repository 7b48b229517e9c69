import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';

export default class RouterInspectCommand extends BaseCommand {
  static override summary = 'Decode a RouterInfo, LeaseSet2, Destination or private-keys file and check its signature.';
  static override description = `Reads FILE (ours or i2pd's: router.info, netDb/r?/routerInfo-*.dat, router.keys, a destination's keys .dat, a LeaseSet2 with or without its leading type byte), prints every field, and says whether the signature verifies.

Exit codes: 0 decoded (and the signature verifies, where there is one), 1 the file cannot be read or decoded (the line names the field and byte offset) or its signature does not verify, 2 usage error.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> ~/.local/share/anon/router/router.info',
    '<%= config.bin %> <%= command.id %> /var/lib/i2pd/router.info --json',
  ];
  static override enableJsonFlag = true;
  static override args = {
    file: Args.string({ description: 'the file to decode', required: true }),
  };

  static override flags = {
    'reveal-secrets': Flags.boolean({ description: 'print private keys too (they are hidden by default)', default: false }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(RouterInspectCommand);
    const { inspectFile } = await import('../../router/inspect-file.js');
    const report = await inspectFile(args.file, { revealSecrets: flags['reveal-secrets'] });
    if (!this.jsonEnabled()) {
      const { renderTree } = await import('../../cli/render.js');
      this.log(`${report.file}: ${report.kind}, ${report.size} bytes`);
      this.log(renderTree(report.fields).join('\n'));
      this.log(`signature: ${report.signature}`);
    }
    if (report.signature === 'invalid') {
      process.exitCode = 1;
      if (!this.jsonEnabled()) process.stderr.write(`${this.displayName}: ${report.file}: the signature does not verify\n`);
    }
    return report;
  }
}
