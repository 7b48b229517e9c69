import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';

export default class SiteServeCommand extends BaseCommand {
  static override summary = 'Host a site on the anonymous network: a directory, or a local web app.';
  static override description = `Serves DIR as a static site (index.html, MIME types, Range, ETag/Last-Modified and 304, HEAD, a 404 page; no directory listing unless --list; nothing outside DIR), or forwards visitors to a local web app with --proxy http://127.0.0.1:PORT.

The site's address is printed and kept: its keys live in <home>/apps/site under --name (default "default"), so the address is the same after a restart. Several sites run side by side under different names.

It uses the router running in --home (over its SAM bridge), else a SAM bridge at 127.0.0.1:7656 (anon-router, i2pd or Java I2P), else it starts the home's router in this process and says so; --sam HOST:PORT picks a bridge. An access log line per request goes to stdout, without the visitor's address unless --log-visitors. Ctrl-C (or SIGTERM) stops accepting, lets requests in flight finish for up to 5 s, and exits.

Exit codes: 0 stopped cleanly, 1 failure (no router reachable, the name is already being served), 2 usage error (missing or bad DIR, bad --proxy).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./public',
    '<%= config.bin %> <%= command.id %> ./public --name blog --list',
    '<%= config.bin %> <%= command.id %> --proxy http://127.0.0.1:8080 --visitor-header',
    '<%= config.bin %> <%= command.id %> ./public --sam 127.0.0.1:7656',
  ];
  static override args = {
    dir: Args.string({ description: 'directory to serve (omit with --proxy)' }),
  };
  static override flags = {
    proxy: Flags.string({ description: 'forward visitors to a local web app at http://127.0.0.1:PORT (loopback IPs only)' }),
    name: Flags.string({ description: 'which site (its keys, so its address)', default: 'default' }),
    list: Flags.boolean({ description: 'list directories that have no index file', default: false }),
    'visitor-header': Flags.boolean({ description: "with --proxy: tell the app the visitor's b32 in X-I2P-DestB32", default: false }),
    'log-visitors': Flags.boolean({ description: "put the visitor's b32 in access log lines", default: false }),
    quiet: Flags.boolean({ char: 'q', description: 'no access log', default: false }),
    hops: Flags.integer({ description: 'tunnel length each way (0-7; 3 is the default and what the network expects)', min: 0, max: 7, default: 3 }),
    sam: Flags.string({ description: 'use the SAM bridge at HOST:PORT (an IP address, never a name)' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SiteServeCommand);
    const { UsageError } = await import('../../cli/exit-codes.js');
    const { resolveHome } = await import('../../state/home.js');
    const site = await import('../../apps/site/index.js');
    const running = await import('../../apps/site/running.js');

    if ((args.dir === undefined) === (flags.proxy === undefined)) throw new UsageError('give a directory to serve, or --proxy http://127.0.0.1:PORT (not both)');
    if (flags['visitor-header'] && flags.proxy === undefined) throw new UsageError('--visitor-header only applies with --proxy');
    const name = usage(() => site.checkSiteName(flags.name), UsageError);
    const dir = args.dir === undefined ? undefined : usage(() => site.realSiteDir(args.dir!), UsageError);
    if (flags.proxy !== undefined) usage(() => site.parseProxyTarget(flags.proxy!), UsageError);
    if (flags.sam !== undefined) {
      const { parseSamAddress } = await import('../../apps/garlic/index.js');
      usage(() => parseSamAddress(flags.sam!), UsageError);
    }
    const home = resolveHome({ flag: flags.home });
    const other = running.listRunningSites(home).find((s) => s.name === name && s.running && s.pid !== process.pid);
    if (other) throw new Error(`site ${name} is already being served (pid ${other.pid}, ${other.b32}); stop it or choose another --name`);

    const keys = await site.withSiteKeys(home, (s) => s.getOrCreate(name));
    const { encodeDestinationKeys } = await import('../../router/client/destination-keys.js');
    const { linkToRouter } = await import('../../apps/router-link.js');
    const link = await linkToRouter({ home, sam: flags.sam });
    process.stderr.write(`${this.displayName}: ${link.message}\n`);
    let session;
    try {
      session = await link.backend.openSession({ keys: encodeDestinationKeys(keys.keys), name: `site-${name}`, tunnels: { length: flags.hops } });
    } catch (e) {
      await link.backend.close();
      throw e;
    }
    const handle = await site.serveSite({
      listen: (h) => session.listen({}, h),
      ...(dir !== undefined ? { dir } : { proxy: flags.proxy! }),
      list: flags.list,
      visitorHeader: flags['visitor-header'],
      logVisitors: flags['log-visitors'],
      ...(flags.quiet ? {} : { log: (line: string) => process.stdout.write(line + '\n') }),
    });
    const record = {
      name,
      pid: process.pid,
      b32: session.b32,
      destination: session.destination,
      serving: dir !== undefined ? { dir } : { proxy: flags.proxy! },
      backend: link.backend.description,
      startedAt: Date.now(),
    };
    const save = () => running.writeRunningSite(home, { ...record, updatedAt: Date.now(), counters: { ...handle.counters } });
    save();
    const refresh = setInterval(save, 2_000);
    process.stderr.write(`${this.displayName}: site ${name}${keys.isNew ? ' (new address)' : ''} at http://${session.b32}/ serving ${dir ?? flags.proxy}\n`);

    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    clearInterval(refresh);
    process.stderr.write(`${this.displayName}: stopping site ${name}\n`);
    await handle.close();
    await session.close().catch(() => undefined);
    await link.backend.close().catch(() => undefined);
    running.removeRunningSite(home, name);
  }
}

/** A check whose typed error is the user's to fix: one line, exit 2. */
function usage<T>(fn: () => T, UsageError: new (m: string) => Error): T {
  try {
    return fn();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
