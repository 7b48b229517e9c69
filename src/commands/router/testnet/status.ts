import { Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';

export default class RouterTestnetStatusCommand extends BaseCommand {
  static override summary = 'Show the routers of a test network started with `testnet up`.';
  static override description = `For each router recorded in <dir>/testnet.json: whether its process still runs, and what it answers on its control socket (router hash, peers known and connected, sessions). In a mixed testnet (\`up --i2pd\`), each i2pd router too: whether its process runs, its router hash (from its router.info) and the summary of its web console, read inside the namespace.

Exit codes: 0 reported (even if some routers are down: see their state), 1 failure (e.g. no testnet in --dir), 2 usage error.`;
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --dir /tmp/tn --json'];
  static override enableJsonFlag = true;
  static override flags = {
    dir: Flags.string({ description: 'where the testnet lives (default: <home>/testnet)' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(RouterTestnetStatusCommand);
    const { resolve, join } = await import('node:path');
    const { resolveHome } = await import('../../../state/home.js');
    const { testnetStatus } = await import('../../../router/testnet/status.js');
    const dir = flags.dir ? resolve(flags.dir) : join(resolveHome({ flag: flags.home }), 'testnet');
    const report = await testnetStatus(dir);
    if (!this.jsonEnabled()) {
      const { formatTestnetStatus } = await import('../../../router/testnet/format.js');
      this.log(formatTestnetStatus(report).join('\n'));
    }
    return report;
  }
}
