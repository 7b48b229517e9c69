import { BaseCommand } from '../../../cli/base-command.js';

export default class NetdbStatsCommand extends BaseCommand {
  static override summary = "Show the running router's netDb counters.";
  static override description = `RouterInfos and floodfills known, lookups in flight, what arrived (accepted, refused, undecodable), our RouterInfo's publications and their verification, and, on a floodfill, the lookups answered, the stores acknowledged and flooded, and the verification of what we flooded (floodVerify: a floodfill we flooded to is asked for the entry some seconds later; verified, missing, failed, or skipped when over the rate or the cap on pending checks).

Exit codes: 0 ok, 1 failure (e.g. no router is running in that home), 2 usage error.`;
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    const { flags } = await this.parse(NetdbStatsCommand);
    const { askRouter } = await import('../../../cli/ask-router.js');
    const stats = (await askRouter(flags.home, 'netdb.stats')) as Record<string, unknown>;
    if (!this.jsonEnabled()) {
      const { renderTree } = await import('../../../cli/render.js');
      this.log(renderTree(stats as Parameters<typeof renderTree>[0]).join('\n'));
    }
    return stats;
  }
}
