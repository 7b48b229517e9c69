import { Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';

export default class RouterTestnetDownCommand extends BaseCommand {
  static override summary = 'Stop the routers of a test network started with `testnet up`.';
  static override description = `Stops exactly the routers recorded in <dir>/testnet.json: asks each to stop over its control socket, then sends SIGTERM, then SIGKILL, each after a bounded wait. A pid is only signalled while it still runs anon-router for its recorded home. In a mixed testnet, the i2pd routers are stopped after ours with i2pd-testnet.sh down (then each recorded i2pd pid is checked, and killed if it survived). testnet.json is removed once all are gone; the routers' homes and logs are kept.

Exit codes: 0 all stopped, 1 failure (no testnet in --dir, or a router would not stop), 2 usage error.`;
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --dir /tmp/tn --json'];
  static override enableJsonFlag = true;
  static override flags = {
    dir: Flags.string({ description: 'where the testnet lives (default: <home>/testnet)' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(RouterTestnetDownCommand);
    const { resolve, join } = await import('node:path');
    const { resolveHome } = await import('../../../state/home.js');
    const { testnetDown } = await import('../../../router/testnet/down.js');
    const dir = flags.dir ? resolve(flags.dir) : join(resolveHome({ flag: flags.home }), 'testnet');
    const report = await testnetDown(dir);
    if (!this.jsonEnabled()) {
      const { formatTestnetDown } = await import('../../../router/testnet/format.js');
      this.log(formatTestnetDown(report).join('\n'));
    }
    if (!report.allGone) {
      const { CommandFailure } = await import('../../../cli/exit-codes.js');
      // With --json the report above is the output; the failure still sets exit 1.
      if (this.jsonEnabled()) {
        process.exitCode = 1;
        return report;
      }
      throw new CommandFailure(`some routers in ${dir} would not stop: ${report.routers.filter((r) => r.outcome === 'still-running').map((r) => r.pid).join(', ')}`);
    }
    return report;
  }
}
