import fc from 'fast-check';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatTestnetDown, formatTestnetStatus } from '../../../src/router/testnet/format.js';
import {
  httpProxyPortFor,
  I2PD_PORT_OFFSET,
  I2pdConsoleError,
  i2pdUnavailable,
  MAX_TESTNET_I2PD,
  mixedTopPort,
  parseI2pdConsole,
  parseManifest,
  TestnetError,
  testnetUp,
  type I2pdHost,
} from '../../../src/router/testnet/index.js';
import { i2pdFloodfills, i2pdPorts } from '../../../src/router/testnet/i2pd.js';
import { samPortFor } from '../../../src/router/testnet/up.js';
import { MAX_CONSOLE_PAGE } from '../../../src/router/testnet/i2pd-console.js';
import { testnetUsageError } from './testnet-usage.js';

const tmp = mkdtempSync(join(tmpdir(), 'anon-tn-mixed-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const IDENT = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-~abcde=';

/** The main page as i2pd 2.45.1's ShowStatus writes it (daemon/HTTPServer.cpp), trimmed. */
const PAGE = [
  '<!DOCTYPE html><html><head><title>Purple I2P Webconsole</title></head><body><div class="content">',
  '<b>Uptime:</b> 1 minute, 12 seconds<br>\r\n',
  '<b>Network status:</b> OK<br>\r\n',
  '<b>Tunnel creation success rate:</b> 87%<br>\r\n',
  '<b>Received:</b> 101.54 KiB (0.71 KiB/s)<br>\r\n',
  '<b>Data path:</b> /tmp/x/r1<br>\r\n',
  "<div class='slide'><label for=\"slide-info\">Hidden content. Press on text to see.</label>\r\n<input type=\"checkbox\" id=\"slide-info\" />\r\n<div class=\"slidecontent\">\r\n",
  `<b>Router Ident:</b> ${IDENT}<br>\r\n<b>Router Caps:</b> XfR<br>\r\n<b>Version:</b> 2.45.1<br>\r\n`,
  '</div>\r\n</div>\r\n',
  '<b>Routers:</b> 7 <b>Floodfills:</b> 3 <b>LeaseSets:</b> 2<br>\r\n',
  '<b>Client Tunnels:</b> 12 <b>Transit Tunnels:</b> 31<br>\r\n<br>\r\n',
  '</div></body></html>',
].join('');

describe('i2pd web console summary', () => {
  it('reads the counts, the build success rate, the network status and the router ident', () => {
    expect(parseI2pdConsole(PAGE)).toEqual({
      networkStatus: 'OK',
      ident: IDENT,
      routers: 7,
      floodfills: 3,
      leaseSets: 2,
      clientTunnels: 12,
      transitTunnels: 31,
      buildSuccess: 87,
    });
  });

  it('leaves out what the page does not show, and rejects a page that is not a console', () => {
    const noHidden = PAGE.replace(/<b>Router Ident:<\/b>[^<]*/, '').replace('Network status:</b> OK', 'Network status:</b> Firewalled');
    const s = parseI2pdConsole(noHidden);
    expect(s.ident).toBeUndefined();
    expect(s.networkStatus).toBe('Firewalled');
    expect(s.routers).toBe(7);
    expect(() => parseI2pdConsole('<html><body>404 Not Found</body></html>')).toThrow(expect.objectContaining({ code: 'NOT_A_CONSOLE' }));
    expect(() => parseI2pdConsole('')).toThrow(I2pdConsoleError);
  });

  it('refuses out-of-range numbers and oversized pages', () => {
    const big = parseI2pdConsole(PAGE.replace('Routers:</b> 7', 'Routers:</b> 99999999999').replace('87%', '187%'));
    expect(big.routers).toBeUndefined();
    expect(big.buildSuccess).toBeUndefined();
    expect(big.floodfills).toBe(3);
    expect(() => parseI2pdConsole(PAGE + ' '.repeat(MAX_CONSOLE_PAGE))).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
  });

  it('never throws anything but I2pdConsoleError, and every number it returns is in range (fuzz)', () => {
    const piece = fc.oneof(
      fc.constantFrom('<b>Routers:</b> ', '<b>Client Tunnels:</b> ', '<b>Transit Tunnels:</b>', 'Network status: ', 'Tunnel creation success rate: ', '%', '<br>', '<', '>', ' ', ':', 'Router Ident: '),
      fc.nat().map(String),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
        const html = parts.join('');
        try {
          const s = parseI2pdConsole(html);
          for (const k of ['routers', 'floodfills', 'leaseSets', 'clientTunnels', 'transitTunnels'] as const) {
            const v = s[k];
            if (v !== undefined) expect(Number.isInteger(v) && v >= 0 && v <= 0x7fffffff).toBe(true);
          }
          if (s.buildSuccess !== undefined) expect(s.buildSuccess).toBeLessThanOrEqual(100);
          if (s.networkStatus !== undefined) expect(s.networkStatus.length).toBeLessThanOrEqual(60);
        } catch (err) {
          expect(err).toBeInstanceOf(I2pdConsoleError);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('mixed testnet options, ports and manifest', () => {
  const bad = testnetUsageError;

  it('takes --i2pd 0 or 3..20, a base port that leaves room for them, and no host prefix', () => {
    expect(bad({ routers: 2, i2pd: 0 })).toBeUndefined();
    expect(bad({ routers: 2, i2pd: 3 })).toBeUndefined();
    expect(bad({ routers: 2, i2pd: MAX_TESTNET_I2PD })).toBeUndefined();
    for (const i2pd of [1, 2, 21, -1, 2.5]) expect(bad({ routers: 2, i2pd })).toMatch(/--i2pd must be 0 or 3..20/);
    expect(bad({ routers: 2, i2pd: 3, basePort: 65400 })).toMatch(/--base-port must be at most 65302 with --i2pd 3/);
    expect(bad({ routers: 2, i2pd: 3, basePort: 65302 })).toBeUndefined();
    expect(bad({ routers: 2, i2pd: 3, hostPrefix: '127.0.1.' })).toMatch(/host prefix/);
  });

  it('gives every router of a mixed testnet ports of its own (fuzz over sizes and bases)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 3, max: MAX_TESTNET_I2PD }), fc.integer({ min: 1024, max: 65535 }), (routers, i2pd, basePort) => {
        fc.pre(mixedTopPort(basePort, i2pd) <= 65535);
        const used = new Map<number, string>();
        const take = (port: number, who: string) => {
          expect(port).toBeGreaterThanOrEqual(1024);
          expect(port).toBeLessThanOrEqual(65535);
          expect(used.get(port), `${who} and ${used.get(port)} on ${port}`).toBeUndefined();
          used.set(port, who);
        };
        for (let k = 1; k <= routers; k++) {
          take(basePort + k, `ntcp2 ${k}`);
          take(samPortFor(basePort, k), `sam ${k}`);
          take(httpProxyPortFor(basePort, k), `proxy ${k}`);
        }
        for (let k = 1; k <= i2pd; k++) {
          const p = i2pdPorts(basePort + I2PD_PORT_OFFSET, k);
          // The script: NTCP2 P, console P+1, HTTP proxy P+2, SAM P+3.
          for (let o = 0; o < 4; o++) take(p.ntcp2 + o, `i2pd ${k}+${o}`);
          expect(p.console).toBe(p.ntcp2 + 1);
        }
        expect(i2pdFloodfills(i2pd)).toBeGreaterThanOrEqual(1);
        expect(i2pdFloodfills(i2pd)).toBeLessThanOrEqual(i2pd - 2);
      }),
      { numRuns: 300 },
    );
  });

  const base = { version: 1, dir: '/d', netId: 9, basePort: 30000, reseedDir: '/d/reseed', createdAt: 'x' };
  const rec = { k: 1, pid: 1234, home: '/d/r1', host: '198.18.1.1', port: 30001, hash: null, netId: 9, log: '/d/r1/router.log', samPort: 30101, clientHost: '127.0.0.1', httpProxyPort: 30151 };
  const i2r = { k: 1, pid: 4321, dataDir: '/d/i2pd/r1', host: '198.18.0.1', port: 30210, consolePort: 30211, floodfill: true, hash: IDENT };
  const section = { script: '/s/i2pd-testnet.sh', dir: '/d/i2pd', basePort: 30200, netnsPid: 999, routers: [i2r] };

  it('records the i2pd routers in testnet.json and refuses a damaged i2pd section', () => {
    const m = parseManifest({ ...base, routers: [rec], i2pd: section }, 'm');
    expect(m.i2pd?.routers[0]?.hash).toBe(IDENT);
    expect(m.routers[0]?.httpProxyPort).toBe(30151);
    const broken: Array<[string, unknown]> = [
      ['pid 1', { ...section, routers: [{ ...i2r, pid: 1 }] }],
      ['pid as string', { ...section, routers: [{ ...i2r, pid: '4321' }] }],
      ['relative data dir', { ...section, routers: [{ ...i2r, dataDir: 'r1' }] }],
      ['relative script', { ...section, script: 'i2pd-testnet.sh' }],
      ['namespace pid 0', { ...section, netnsPid: 0 }],
      ['hash not base64', { ...section, routers: [{ ...i2r, hash: 'x' }] }],
      ['floodfill not boolean', { ...section, routers: [{ ...i2r, floodfill: 'yes' }] }],
      ['array', [section]],
    ];
    for (const [what, i2pd] of broken) {
      expect(() => parseManifest({ ...base, routers: [rec], i2pd }, 'm'), what).toThrow(expect.objectContaining({ code: 'BAD_MANIFEST' }));
    }
    expect(() => parseManifest({ ...base, routers: [{ ...rec, httpProxyPort: 70000 }] }, 'm')).toThrow(expect.objectContaining({ code: 'BAD_MANIFEST' }));
  });

  it('lists both kinds in status, and says what down did with each', () => {
    const text = formatTestnetStatus({
      dir: '/d',
      netId: 9,
      createdAt: 'x',
      routers: [{ kind: 'anon', k: 1, pid: 1234, home: '/d/r1', host: '198.18.1.1', port: 30001, hash: 'QRSTUV', alive: false, error: 'not running' }],
      i2pd: [
        { ...i2r, kind: 'i2pd', alive: true, console: { networkStatus: 'OK', routers: 6, clientTunnels: 4, transitTunnels: 9, buildSuccess: 100 } },
        { ...i2r, k: 2, pid: 4322, floodfill: false, kind: 'i2pd', alive: false, error: 'not running' },
      ],
    });
    expect(text[0]).toBe('Testnet in /d: netId 9, 0 of 1 routers answering');
    const i = text.indexOf('i2pd routers (in the i2pd-testnet.sh namespace): 1 of 2 answering');
    expect(i).toBeGreaterThan(1);
    expect(text[i + 2]).toMatch(/^ {2}i1 +198\.18\.0\.1:30210 +4321 +running +AbCdEf +yes +OK +6 +4\/9 +100%$/);
    expect(text[i + 3]).toMatch(/^ {2}i2 .* 4322 +down +AbCdEf +no +not running$/);
    const down = formatTestnetDown({ dir: '/d', allGone: true, manifestRemoved: true, routers: [{ k: 1, pid: 1234, home: '/d/r1', outcome: 'stopped' }], i2pd: [{ k: 1, pid: 4321, outcome: 'stopped' }, { k: 2, pid: 4322, outcome: 'already-gone' }] });
    expect(down).toEqual(['r1 (pid 1234): stopped', 'i2pd i1 (pid 4321): stopped', 'i2pd i2 (pid 4322): already gone', 'Testnet in /d is down.']);
  });
});

describe('--i2pd on a host that cannot run it', () => {
  const ok: I2pdHost = { uid: 0, script: '/s/i2pd-testnet.sh', i2pd: '/usr/sbin/i2pd', has: () => true, exists: () => true };

  it('says in one line what is missing: root, the script, i2pd or a tool', () => {
    expect(i2pdUnavailable(ok)).toBeUndefined();
    expect(i2pdUnavailable({ ...ok, uid: 1000 })).toMatch(/^--i2pd needs root/);
    expect(i2pdUnavailable({ ...ok, uid: undefined })).toMatch(/^--i2pd needs root/);
    expect(i2pdUnavailable({ ...ok, exists: (p) => p !== ok.script })).toBe('--i2pd needs /s/i2pd-testnet.sh (the shared i2pd-testnet.sh; set ANON_I2PD_TESTNET or --i2pd-script)');
    expect(i2pdUnavailable({ ...ok, exists: (p) => p !== ok.i2pd })).toMatch(/needs i2pd at \/usr\/sbin\/i2pd/);
    expect(i2pdUnavailable({ ...ok, has: (c) => c !== 'nsenter' })).toMatch(/needs nsenter on PATH/);
    for (const why of [i2pdUnavailable({ ...ok, uid: 1000 }), i2pdUnavailable({ ...ok, has: () => false })]) expect(why).not.toMatch(/\n/);
  });

  it('refuses before starting anything (exit 1, no testnet dir, no manifest)', async () => {
    const dir = join(tmp, 'refused');
    let spawned = false;
    const err = await testnetUp({
      routers: 2,
      i2pd: 3,
      dir,
      bin: '/nonexistent/anon-router.js',
      i2pdScript: '/s/i2pd-testnet.sh',
      i2pdHost: { ...ok, uid: 1000 },
      onI2pdUp: () => (spawned = true),
      onRouterUp: () => (spawned = true),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TestnetError);
    expect((err as TestnetError).code).toBe('I2PD_UNAVAILABLE');
    expect((err as TestnetError).exitCode).toBe(1);
    expect(spawned).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });
});
