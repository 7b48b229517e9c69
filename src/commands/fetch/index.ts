import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { exitCodeHelp } from '../../apps/fetch/exit-codes.js';

export default class FetchCommand extends BaseCommand {
  static override summary = 'Fetch a .i2p URL over garlic tunnels, the way curl fetches one.';
  static override description = `URL is http://HOST/PATH where HOST is a b32 address (<52 chars>.b32.i2p), a name from the router's address book (\`anon-router names …\`), or a full base64 destination. Names are never looked up in DNS; a URL that is not .i2p is refused.

It uses the router running in --home (over its SAM bridge), else a SAM bridge at 127.0.0.1:7656 (anon-router, i2pd or Java I2P), else it starts the home's router in this process and says so; --sam HOST:PORT picks a bridge.

${exitCodeHelp()}`;
  static override examples = [
    '<%= config.bin %> http://<52 chars>.b32.i2p/',
    '<%= config.bin %> -o page.html http://example.i2p/',
    '<%= config.bin %> -O -C - http://example.i2p/big.iso',
    '<%= config.bin %> -I http://example.i2p/',
    "<%= config.bin %> -X POST -d 'a=1' -H 'X-Thing: 2' http://example.i2p/form",
    '<%= config.bin %> -v -L --max-time 60 http://example.i2p/',
  ];
  static override args = { url: Args.string({ description: 'http:// URL of a .i2p site', required: true }) };
  static override flags = {
    output: Flags.string({ char: 'o', description: 'write the body to FILE instead of stdout' }),
    'remote-name': Flags.boolean({ char: 'O', description: "write the body to a file named as the URL's last path segment" }),
    head: Flags.boolean({ char: 'I', description: 'HEAD: print the response headers only' }),
    request: Flags.string({ char: 'X', description: 'request method (GET, POST, PUT, …)' }),
    data: Flags.string({ char: 'd', description: 'POST this data (repeatable; @FILE reads a file)', multiple: true, multipleNonGreedy: true }),
    header: Flags.string({ char: 'H', description: "add a request header 'Name: value' (repeatable; 'Name:' removes one)", multiple: true, multipleNonGreedy: true }),
    'max-time': Flags.string({ description: 'give up after SECONDS in all (lookup, connect and transfer)' }),
    silent: Flags.boolean({ char: 's', description: 'no progress bar' }),
    verbose: Flags.boolean({ char: 'v', description: 'show the request, the response headers and timings (lookup, connect, first byte, total) on stderr' }),
    location: Flags.boolean({ char: 'L', description: 'follow redirects (to .i2p URLs only)' }),
    'max-redirs': Flags.integer({ description: 'with -L, follow at most N redirects (default 20)', min: 0, max: 100 }),
    fail: Flags.boolean({ char: 'f', description: 'exit 22 on an HTTP status of 400 or more, without writing the body' }),
    'continue-at': Flags.string({ char: 'C', description: "resume: '-' continues from the output file's size, or give a byte offset" }),
    hops: Flags.integer({ description: 'tunnel length each way (0-7, default 3)', min: 0, max: 7, default: 3 }),
    sam: Flags.string({ description: 'use the SAM bridge at HOST:PORT (an IP address, never a name); a .b32.i2p host goes to it without NAMING LOOKUP' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(FetchCommand);
    const fetch = await import('../../apps/fetch/index.js');
    const { UsageError, CommandFailure } = await import('../../cli/exit-codes.js');
    let maxTime: number | undefined;
    if (flags['max-time'] !== undefined) {
      maxTime = Number(flags['max-time']);
      if (!/^[0-9]+(\.[0-9]+)?$/.test(flags['max-time']) || !(maxTime > 0)) throw new UsageError(`--max-time ${flags['max-time']}: expected seconds, more than 0`);
    }
    let opts;
    try {
      opts = fetch.buildFetchOptions(args.url, {
        ...(flags.output !== undefined && { output: flags.output }),
        remoteName: flags['remote-name'] ?? false,
        head: flags.head ?? false,
        ...(flags.request !== undefined && { request: flags.request }),
        data: flags.data ?? [],
        header: flags.header ?? [],
        ...(maxTime !== undefined && { maxTime }),
        silent: flags.silent ?? false,
        verbose: flags.verbose ?? false,
        location: flags.location ?? false,
        ...(flags['max-redirs'] !== undefined && { maxRedirs: flags['max-redirs'] }),
        fail: flags.fail ?? false,
        ...(flags['continue-at'] !== undefined && { continueAt: flags['continue-at'] }),
      });
    } catch (e) {
      if (e instanceof fetch.FetchUrlError) throw new CommandFailure(e.message, fetch.FetchExit.BAD_URL, 'BAD_URL');
      if (e instanceof fetch.FetchUsageError) throw new UsageError(e.message);
      throw e;
    }
    if (flags.sam !== undefined) {
      const { parseSamAddress } = await import('../../apps/garlic/index.js');
      try {
        parseSamAddress(flags.sam);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
    const { resolveHome } = await import('../../state/home.js');
    const { linkToRouter } = await import('../../apps/router-link.js');
    const say = (line: string) => process.stderr.write(`${this.displayName}: ${line}\n`);
    const link = await linkToRouter({ home: resolveHome({ flag: flags.home }), sam: flags.sam });
    if (opts.verbose || link.kind === 'embedded') say(link.message);
    let session;
    const opening = performance.now();
    try {
      session = await link.backend.openSession({ name: 'fetch', tunnels: { length: flags.hops } });
      // The bridge builds the session's tunnels first: on a young network that is most of the wait.
      if (opts.verbose) process.stderr.write(`* session ready in ${Math.round(performance.now() - opening)} ms\n`);
    } catch (e) {
      await link.backend.close().catch(() => undefined);
      throw e;
    }
    const showProgress = !opts.silent && !opts.verbose && process.stderr.isTTY === true && (opts.output.kind === 'file' || !process.stdout.isTTY);
    const started = performance.now();
    let lastDraw = 0;
    const result = await fetch.fetchUrl(opts, {
      connect: (host, port) => session.connect(host, { port }),
      lookup: (host) => session.lookup(host),
      // A b32 needs no name resolution; a bridge not ours may be i2pd 2.45 with its address
      // book off, which NAMING LOOKUP crashes. STREAM CONNECT takes the b32 as it is.
      lookupWanted: (target) => link.ours || target.kind !== 'b32',
      stdout: process.stdout,
      verboseLog: (line) => process.stderr.write(line + '\n'),
      ...(showProgress && {
        onProgress: (p) => {
          const now = performance.now();
          if (now - lastDraw < 100) return;
          lastDraw = now;
          process.stderr.write('\r' + fetch.formatProgressLine(p, now - started, process.stderr.columns ?? 80));
        },
      }),
    });
    if (showProgress && lastDraw > 0) process.stderr.write('\n');
    await session.close().catch(() => undefined);
    await link.backend.close().catch(() => undefined);
    if (result.exitCode !== 0) throw new CommandFailure(result.message ?? `failed (exit ${result.exitCode})`, result.exitCode);
    if (result.message && !opts.silent) say(result.message);
  }
}
