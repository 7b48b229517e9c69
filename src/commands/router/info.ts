import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';

export default class RouterInfoCommand extends BaseCommand {
  static override summary = "Show this router's identity and a freshly signed RouterInfo.";
  static override description = `Creates the router identity on first use (X25519 encryption key, type 4; Ed25519 signing key, type 7), kept in <home>/router/router.keys (mode 0600, i2pd's layout). Prints the router hash, its short id and a RouterInfo signed now, and writes that RouterInfo to <home>/router/router.info. The same home always gives the same identity.

Exit codes: 0 ok, 1 failure (e.g. the home is in use by a running router), 2 usage error.`;
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json', '<%= config.bin %> <%= command.id %> --home /tmp/anon-test'];
  static override enableJsonFlag = true;
  static override flags = {
    base64: Flags.boolean({ description: 'also print the whole signed RouterInfo in I2P base64', default: false }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(RouterInfoCommand);
    const { showRouterInfo } = await import('../../router/info.js');
    const { resolveHome } = await import('../../state/home.js');
    const report = await showRouterInfo(resolveHome({ flag: flags.home }));
    if (!this.jsonEnabled()) {
      const { renderTree } = await import('../../cli/render.js');
      this.log(`${report.created ? 'Created a new router identity' : 'Router identity'} in ${report.dir}`);
      this.log(renderTree({ hash: report.hash, 'short id': report.shortId, keys: report.keys }).join('\n'));
      this.log('');
      this.log(`RouterInfo (signed now, ${report.routerInfo.size} bytes, written to ${report.routerInfoFile})`);
      this.log(renderTree(report.routerInfo.summary).join('\n'));
      if (flags.base64) this.log(`\n${report.routerInfo.base64}`);
    }
    return report;
  }
}
