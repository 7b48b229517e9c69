import { Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';

export default class RouterTestnetUpCommand extends BaseCommand {
  static override summary = 'Start a private test network of anon-routers on this machine.';
  static override description = `Starts --routers anon-routers in the background, router k on 127.0.1.k, port <base-port>+k, home <dir>/r<k> (log in <dir>/r<k>/router.log), all on one network id other than 2 (the main network). They start one after the other, each bootstrapping from the RouterInfos of those already up (<dir>/reseed). Their pids are recorded in <dir>/testnet.json for \`testnet status\` and \`testnet down\`. If a router fails to start, the ones started are stopped again.

Exit codes: 0 all routers up, 1 failure (a router did not start: the message names it and its log; or a testnet already runs in --dir), 2 usage error.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --routers 3',
    '<%= config.bin %> <%= command.id %> --routers 5 --dir /tmp/tn --netid 99 --base-port 30000 --json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    routers: Flags.integer({ description: 'how many routers (1..50)', required: true }),
    floodfills: Flags.integer({ description: 'routers 1..N run as floodfills (default 2)', min: 0 }),
    dir: Flags.string({ description: 'where the testnet lives (default: <home>/testnet)' }),
    netid: Flags.integer({ description: 'network id, 1..255 but not 2 (default: random 10..250)' }),
    'base-port': Flags.integer({ description: 'router k listens on base-port + k (default: random in 20000..31999)' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(RouterTestnetUpCommand);
    const { validateTestnetOptions, testnetUp } = await import('../../../router/testnet/up.js');
    validateTestnetOptions({ routers: flags.routers, netId: flags.netid, basePort: flags['base-port'], ...(flags.floodfills !== undefined && { floodfills: flags.floodfills }) });
    const { resolve, join } = await import('node:path');
    const { resolveHome } = await import('../../../state/home.js');
    const { routerUpLine } = await import('../../../router/testnet/format.js');
    const dir = flags.dir ? resolve(flags.dir) : join(resolveHome({ flag: flags.home }), 'testnet');
    const text = !this.jsonEnabled();
    const manifest = await testnetUp({
      routers: flags.routers,
      ...(flags.floodfills !== undefined ? { floodfills: flags.floodfills } : {}),
      dir,
      ...(flags.netid !== undefined ? { netId: flags.netid } : {}),
      ...(flags['base-port'] !== undefined ? { basePort: flags['base-port'] } : {}),
      bin: join(this.config.root, 'bin', 'anon-router.js'),
      onRouterUp: (r, s) => text && this.log(routerUpLine(r, s)),
    });
    if (text) {
      this.log(`Testnet up in ${dir}: ${manifest.routers.length} routers, netId ${manifest.netId}.`);
      this.log(`See it with \`${this.displayName.replace(/ up$/, ' status')} --dir ${dir}\`; stop it with \`${this.displayName.replace(/ up$/, ' down')} --dir ${dir}\`.`);
    }
    return manifest;
  }
}
