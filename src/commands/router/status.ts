import { BaseCommand } from '../../cli/base-command.js';

export default class RouterStatusCommand extends BaseCommand {
  static override summary = 'Show what the running router is doing.';
  static override description = `Asks the router running in --home over its control socket (<home>/router/control.sock) for its identity, network, NTCP2 listener, peers, sessions and traffic. Start one with \`anon-router start\`.

Exit codes: 0 ok, 1 failure (e.g. no router is running in that home), 2 usage error.`;
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json', '<%= config.bin %> <%= command.id %> --home /tmp/anon-test'];
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    const { flags } = await this.parse(RouterStatusCommand);
    const { resolveHome } = await import('../../state/home.js');
    const { routerPaths } = await import('../../router/home.js');
    const { routerStatus } = await import('../../router/api/control/client.js');
    const home = resolveHome({ flag: flags.home });
    const status = await routerStatus(routerPaths(home).controlSocket, { home });
    if (!this.jsonEnabled()) {
      const { renderTree } = await import('../../cli/render.js');
      const { formatStatus } = await import('../../router/api/control/format.js');
      this.log(renderTree(formatStatus(status)).join('\n'));
    }
    return status;
  }
}
