import { Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';

export default class RouterTestnetUpCommand extends BaseCommand {
  static override summary = 'Start a private test network of anon-routers on this machine.';
  static override description = `Starts --routers anon-routers in the background, router k on 127.0.1.k, port <base-port>+k, home <dir>/r<k> (log in <dir>/r<k>/router.log), all on one network id other than 2 (the main network). They start one after the other, each bootstrapping from the RouterInfos of those already up (<dir>/reseed). Their pids are recorded in <dir>/testnet.json for \`testnet status\` and \`testnet down\`. If a router fails to start, the ones started are stopped again.

With --i2pd M (3..20) the network is mixed: M i2pd routers are started first by i2pd-testnet.sh (../shared/interop, or --i2pd-script) on the same network id, in that script's network namespace (i2pd 2.45 refuses peers on 127/8), i2pd router k on 198.18.0.k. Ours then run inside the same namespace on 198.18.1.k, bootstrapping from the i2pd RouterInfos and from each other; i2pd learns of ours as they connect and publish. Inside the namespace, our SAM listens on 127.0.0.1:<base-port>+100+k and our HTTP proxy on 127.0.0.1:<base-port>+150+k; i2pd router k uses <base-port>+200+10k..+3 (NTCP2, web console, HTTP proxy, SAM). Reach them with \`i2pd-testnet.sh exec CMD\` (I2PDNET_DIR=<dir>/i2pd). \`testnet status\` lists both kinds, \`testnet down\` stops both. Needs root, i2pd and the script; without them --i2pd refuses before starting anything.

Exit codes: 0 all routers up, 1 failure (a router did not start: the message names it and its log; or a testnet already runs in --dir; or --i2pd without root, i2pd or the script), 2 usage error.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --routers 3',
    '<%= config.bin %> <%= command.id %> --routers 5 --dir /tmp/tn --netid 99 --base-port 30000 --json',
    '<%= config.bin %> <%= command.id %> --routers 2 --i2pd 3 --dir /tmp/mixed',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    routers: Flags.integer({ description: 'how many routers (1..50)', required: true }),
    floodfills: Flags.integer({ description: 'routers 1..N run as floodfills (default 2)', min: 0 }),
    dir: Flags.string({ description: 'where the testnet lives (default: <home>/testnet)' }),
    netid: Flags.integer({ description: 'network id, 1..255 but not 2 (default: random 10..250)' }),
    'base-port': Flags.integer({ description: 'router k listens on base-port + k (default: random in 20000..31999)' }),
    i2pd: Flags.integer({ description: 'also start this many i2pd routers (0, or 3..20; needs root and i2pd): a mixed network in a namespace', min: 0 }),
    'i2pd-script': Flags.string({ description: 'path of i2pd-testnet.sh (default: $ANON_I2PD_TESTNET, else ../shared/interop/i2pd-testnet.sh beside the install)' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(RouterTestnetUpCommand);
    const { validateTestnetOptions, testnetUp } = await import('../../../router/testnet/up.js');
    validateTestnetOptions({ routers: flags.routers, netId: flags.netid, basePort: flags['base-port'], ...(flags.floodfills !== undefined && { floodfills: flags.floodfills }), ...(flags.i2pd !== undefined && { i2pd: flags.i2pd }) });
    const { resolve, join } = await import('node:path');
    const { resolveHome } = await import('../../../state/home.js');
    const { routerUpLine, i2pdUpLines } = await import('../../../router/testnet/format.js');
    const { defaultI2pdScript } = await import('../../../router/testnet/i2pd.js');
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
      ...(flags.i2pd ? { i2pd: flags.i2pd, i2pdScript: resolve(flags['i2pd-script'] ?? defaultI2pdScript(this.config.root)) } : {}),
      onI2pdUp: (sec) => text && this.log(i2pdUpLines(sec).join('\n')),
    });
    if (text) {
      this.log(`Testnet up in ${dir}: ${manifest.routers.length} routers${manifest.i2pd ? ` and ${manifest.i2pd.routers.length} i2pd routers (namespace of pid ${manifest.i2pd.netnsPid})` : ''}, netId ${manifest.netId}.`);
      this.log(`See it with \`${this.displayName.replace(/ up$/, ' status')} --dir ${dir}\`; stop it with \`${this.displayName.replace(/ up$/, ' down')} --dir ${dir}\`.`);
    }
    return manifest;
  }
}
