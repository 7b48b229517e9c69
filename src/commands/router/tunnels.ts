import { BaseCommand } from '../../cli/base-command.js';

interface TunnelsList {
  own: { direction: string; pool: string; hops: string[]; expiresInMs: number; messages: number; bytes: number }[];
  participating: { receiveTunnelId: number; role: string; next: string; expiresAt: number; bytes: number }[];
  transit: Record<string, number>;
  builds: Record<string, unknown>;
}

export default class RouterTunnelsCommand extends BaseCommand {
  static override summary = "List the running router's tunnels: its own, and the ones it carries.";
  static override description = `Our tunnels (pool, direction, hops in order from us, time left, traffic), then the transit tunnels we are a hop of (our receive id, role: participant, inbound gateway or outbound endpoint, next hop, traffic).

Exit codes: 0 ok, 1 failure (e.g. no router is running in that home), 2 usage error.`;
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    const { flags } = await this.parse(RouterTunnelsCommand);
    const { askRouter } = await import('../../cli/ask-router.js');
    const list = (await askRouter(flags.home, 'tunnels.list')) as TunnelsList;
    if (!this.jsonEnabled()) {
      const { table } = await import('../../router/testnet/format.js');
      const { formatBytes } = await import('../../router/api/control/format.js');
      const own = [
        ['pool', 'dir', 'hops', 'expires in', 'messages', 'traffic'],
        ...list.own.map((t) => [t.pool, t.direction === 'inbound' ? 'in' : 'out', t.hops.map((h) => h.slice(0, 6)).join(' > ') || '(zero-hop)', `${Math.max(0, Math.round(t.expiresInMs / 1000))} s`, String(t.messages), formatBytes(t.bytes)]),
      ];
      this.log(`our tunnels: ${list.own.length}`);
      if (list.own.length > 0) this.log(table(own).join('\n'));
      const now = Date.now();
      const roles: Record<string, string> = { participant: 'participant', ibgw: 'inbound gateway', obep: 'outbound endpoint' };
      const transit = [
        ['id', 'role', 'next', 'expires in', 'traffic'],
        ...list.participating.map((t) => [String(t.receiveTunnelId), roles[t.role] ?? t.role, t.next, `${Math.max(0, Math.round((t.expiresAt - now) / 1000))} s`, formatBytes(t.bytes)]),
      ];
      this.log(`\nparticipating: ${list.participating.length}`);
      if (list.participating.length > 0) this.log(table(transit).join('\n'));
    }
    return list;
  }
}
