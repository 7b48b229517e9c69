import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { UsageError } from '../../cli/exit-codes.js';

export default class RouterStartCommand extends BaseCommand {
  static override summary = 'Run the router in the foreground.';
  static override description = `Loads or creates the router identity, signs a fresh RouterInfo, bootstraps from --reseed (a folder of routerInfo-*.dat files such as i2pd's netDb/, a .zip or a .su3) and then from its own netDb, builds its exploratory tunnels, and relays for other routers: transit is on by default, within --bandwidth × --share and --max-participating (refused builds are answered with the spec's reply codes). Flags given here are saved in the router's home and stay in force on later starts.

HTTP proxy: browsers set 127.0.0.1:4444 (--http-proxy-port) as their proxy to reach .i2p sites (b32 addresses and address-book names; nothing else, there is no outproxy, and nothing is resolved through DNS).

Control: \`anon-router status\` talks to the running router over <home>/router/control.sock (mode 0600). SIGINT stops gracefully; SIGTERM stops promptly; both leave the state consistent.

Exit codes: 0 stopped cleanly, 1 failure (e.g. the home is in use, the port is taken), 2 usage error.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --host 203.0.113.7 --port 23456 --reseed ~/i2pseeds.su3',
    '<%= config.bin %> <%= command.id %> --testnet --netid 42 --host 127.0.1.1 --port 21001 --reseed ./netDb',
  ];
  static override flags = {
    host: Flags.string({ description: 'IP address to publish and listen on for NTCP2 (an IP literal: names are never resolved)' }),
    port: Flags.integer({ description: 'NTCP2 port (default: chosen at random once and kept)', min: 1, max: 65535 }),
    netid: Flags.integer({ description: 'network id (2 is the public I2P network; test networks use another)', min: 1, max: 255 }),
    testnet: Flags.boolean({ description: 'a private test network: loopback and private addresses allowed, /16 limits relaxed', allowNo: true }),
    reseed: Flags.string({ description: 'bootstrap from a folder of routerInfo-*.dat files, a .zip or a .su3 reseed bundle' }),
    floodfill: Flags.boolean({ description: 'serve as a floodfill (caps f)', allowNo: true }),
    bandwidth: Flags.integer({ description: 'shared bandwidth in KBytes/s (sets the published class; at least N)', min: 0 }),
    transit: Flags.boolean({ description: "carry other routers' tunnels (on by default; --no-transit refuses every transit build)", allowNo: true }),
    share: Flags.integer({ description: 'percent of --bandwidth that transit traffic may use (default 80)', min: 0, max: 100 }),
    'max-participating': Flags.integer({ description: 'most transit tunnels at once (default 2000)', min: 0, max: 100000 }),
    'tunnel-length': Flags.integer({ description: 'hops of exploratory tunnels, 0..7 (default 2)', min: 0, max: 7 }),
    'tunnel-quantity': Flags.integer({ description: 'exploratory tunnels each way, 1..16 (default 2)', min: 1, max: 16 }),
    'http-proxy': Flags.boolean({ description: 'run the HTTP proxy for browsers (on by default; .i2p sites only, no outproxy)', allowNo: true }),
    'http-proxy-port': Flags.integer({ description: 'HTTP proxy port (default 4444)', min: 1, max: 65535 }),
    'http-proxy-host': Flags.string({ description: 'HTTP proxy address to listen on, an IP literal (default 127.0.0.1)' }),
    'http-proxy-hops': Flags.integer({ description: "hops of the HTTP proxy's tunnels, each way, 0..7 (default 3)", min: 0, max: 7 }),
    sam: Flags.boolean({ description: 'run the SAM v3 bridge for applications (on by default; loopback only)', allowNo: true }),
    'sam-port': Flags.integer({ description: 'SAM TCP port (default 7656; 0 turns SAM off)', min: 0, max: 65535 }),
    'sam-udp-port': Flags.integer({ description: "SAM's datagram bridge UDP port (default 7655)", min: 1, max: 65535 }),
    'sam-host': Flags.string({ description: 'SAM address to listen on, an IP literal (default 127.0.0.1)' }),
    'log-level': Flags.option({ options: ['debug', 'info', 'warn', 'error'] as const, default: 'info' as const, env: 'ANON_LOG_LEVEL', description: 'what the log records (a testnet passes ANON_LOG_LEVEL on to every router)' })(),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(RouterStartCommand);
    const { resolveHome } = await import('../../state/home.js');
    const { runRouterForeground } = await import('../../cli/run-router.js');
    if (flags.netid === 2 && flags.testnet) throw new UsageError('--testnet needs its own network id: 2 is the public I2P network');
    await runRouterForeground({
      home: resolveHome({ flag: flags.home }),
      host: flags.host,
      port: flags.port,
      netId: flags.netid,
      testnet: flags.testnet,
      floodfill: flags.floodfill,
      sharedKBps: flags.bandwidth,
      transit: flags.transit,
      sharePercent: flags.share,
      maxParticipating: flags['max-participating'],
      tunnelLength: flags['tunnel-length'],
      tunnelQuantity: flags['tunnel-quantity'],
      reseed: flags.reseed,
      httpProxy: {
        ...(flags['http-proxy'] !== undefined && { enabled: flags['http-proxy'] }),
        ...(flags['http-proxy-port'] !== undefined && { port: flags['http-proxy-port'] }),
        ...(flags['http-proxy-host'] !== undefined && { host: flags['http-proxy-host'] }),
        ...(flags['http-proxy-hops'] !== undefined && { hops: flags['http-proxy-hops'] }),
      },
      sam: {
        ...(flags.sam !== undefined && { enabled: flags.sam }),
        ...(flags['sam-port'] === 0 ? { enabled: false } : flags['sam-port'] !== undefined && { port: flags['sam-port'] }),
        ...(flags['sam-udp-port'] !== undefined && { udpPort: flags['sam-udp-port'] }),
        ...(flags['sam-host'] !== undefined && { host: flags['sam-host'] }),
      },
      logLevel: flags['log-level'],
    });
  }
}
