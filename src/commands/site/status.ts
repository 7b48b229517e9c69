import { BaseCommand } from '../../cli/base-command.js';

export default class SiteStatusCommand extends BaseCommand {
  static override summary = 'Show the sites being served from this home.';
  static override description = `One line per site that \`anon-site serve\` runs (or ran) from --home: its name, address, what it serves, the router it uses, and its visitors' streams and requests so far. A site whose process is gone shows as stopped.

Exit codes: 0 ok, 1 failure, 2 usage error.`;
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    const { flags } = await this.parse(SiteStatusCommand);
    const { resolveHome } = await import('../../state/home.js');
    const { listRunningSites } = await import('../../apps/site/running.js');
    const sites = listRunningSites(resolveHome({ flag: flags.home }));
    if (!this.jsonEnabled()) {
      if (sites.length === 0) this.log('no sites are being served from this home (start one with `anon-site serve DIR`)');
      else {
        const { table } = await import('../../router/testnet/format.js');
        const rows = sites.map((s) => [
          s.name,
          s.running ? 'serving' : 'stopped',
          s.b32,
          'dir' in s.serving ? s.serving.dir : `proxy ${s.serving.proxy}`,
          s.running ? `${Math.round((Date.now() - s.startedAt) / 1000)} s` : '-',
          String(s.counters.requests),
          String(s.counters.active),
        ]);
        this.log(table([['name', 'state', 'address', 'serving', 'up', 'requests', 'open streams'], ...rows]).join('\n'));
      }
    }
    return { sites };
  }
}
