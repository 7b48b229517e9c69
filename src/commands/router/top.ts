import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';

export default class RouterTopCommand extends BaseCommand {
  static override summary = 'Watch the running router: peers, tunnels, builds, bandwidth.';
  static override description = `Asks the router running in --home for its status every --interval ms and shows its identity, peers, tunnels (ours and those we carry for others), how our tunnel builds fare, and bandwidth with a minute of history. On a terminal the view redraws in place until q or Ctrl-C; without one (a pipe, CI) it prints --count text snapshots, one per interval.

Exit codes: 0 quit or done, 1 failure (e.g. no router is running in that home), 2 usage error.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --interval 500',
    '<%= config.bin %> <%= command.id %> --count 5 > top.log',
    '<%= config.bin %> <%= command.id %> --json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    interval: Flags.integer({ description: 'milliseconds between two polls of the router', min: 200, default: 1000 }),
    count: Flags.integer({ description: 'stop after this many frames (default: 1 without a terminal, until q on one)', min: 1 }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(RouterTopCommand);
    const { resolveHome } = await import('../../state/home.js');
    const { routerPaths } = await import('../../router/home.js');
    const { routerStatus } = await import('../../router/api/control/client.js');
    const home = resolveHome({ flag: flags.home });
    const socket = routerPaths(home).controlSocket;
    const timeoutMs = Math.max(2_000, flags.interval);
    const fetch = () => routerStatus(socket, { home, timeoutMs });
    // Asked before any drawing, so that no router running is one line and exit 1.
    const first = await fetch();
    if (this.jsonEnabled()) return first;
    const interactive = process.stdout.isTTY === true && process.stdin.isTTY === true && typeof process.stdin.setRawMode === 'function';
    if (!interactive) {
      const { printSnapshots } = await import('../../ui/top/snapshots.js');
      await printSnapshots({ first, fetch, count: flags.count ?? 1, intervalMs: flags.interval, writeLine: (l) => this.log(l) });
      return undefined;
    }
    const { runDashboard } = await import('../../ui/top/dashboard.js');
    await runDashboard({ first, fetch, intervalMs: flags.interval, count: flags.count });
    return undefined;
  }
}
