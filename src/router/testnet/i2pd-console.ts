/**
 * What `testnet status` shows of an i2pd router: the summary on the main page of its web console
 * (i2pd 2.45's daemon/HTTPServer.cpp ShowStatus: "<b>Routers:</b> 7 <b>Floodfills:</b> 3 …").
 * The page comes from another program, so it is bounded and every number range-checked.
 */

export interface I2pdConsoleSummary {
  /** "OK", "Testing", "Firewalled", "Unknown", … as i2pd words it. */
  networkStatus?: string;
  /** I2P base64 router hash, when the page shows it. */
  ident?: string;
  routers?: number;
  floodfills?: number;
  leaseSets?: number;
  /** Inbound + outbound tunnels of this router (exploratory and client). */
  clientTunnels?: number;
  transitTunnels?: number;
  /** Percent, 0..100. */
  buildSuccess?: number;
}

export class I2pdConsoleError extends Error {
  override readonly name = 'I2pdConsoleError';
  constructor(
    readonly code: 'TOO_LARGE' | 'NOT_A_CONSOLE',
    message: string,
  ) {
    super(message);
  }
}

/** The main page is a few KiB; anything far larger is not it. */
export const MAX_CONSOLE_PAGE = 512 * 1024;
const MAX_COUNT = 0x7fffffff;

const COUNTS = [
  ['routers', 'Routers'],
  ['floodfills', 'Floodfills'],
  ['leaseSets', 'LeaseSets'],
  ['clientTunnels', 'Client Tunnels'],
  ['transitTunnels', 'Transit Tunnels'],
] as const;

function count(text: string, label: string, max: number): number | undefined {
  // Digits bounded in length, so the number is exact before the range check.
  const m = new RegExp(`(?:^| )${label}: (\\d{1,10})(?:\\D|$)`).exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n <= max ? n : undefined;
}

/**
 * Parses the console's main page. Throws I2pdConsoleError when the page is too large, or names
 * none of the counts (not an i2pd console). Fields missing from the page are left out.
 */
export function parseI2pdConsole(html: string): I2pdConsoleSummary {
  if (html.length > MAX_CONSOLE_PAGE) throw new I2pdConsoleError('TOO_LARGE', `console page of ${html.length} characters (at most ${MAX_CONSOLE_PAGE})`);
  // Tags become spaces and runs of whitespace one space: "<b>Routers:</b> 7" -> " Routers: 7".
  const text = html
    .replace(/<[^<>]{0,2000}>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/\s+/g, ' ');
  const out: I2pdConsoleSummary = {};
  for (const [key, label] of COUNTS) {
    const n = count(text, label, MAX_COUNT);
    if (n !== undefined) out[key] = n;
  }
  if (Object.keys(out).length === 0) throw new I2pdConsoleError('NOT_A_CONSOLE', 'the page shows none of Routers, Floodfills, LeaseSets, Client Tunnels, Transit Tunnels');
  const rate = /(?:^| )Tunnel creation success rate: (\d{1,3})%/.exec(text);
  if (rate && Number(rate[1]) <= 100) out.buildSuccess = Number(rate[1]);
  // Its value runs to the next label ShowStatus writes after it.
  const status = /(?:^| )Network status: ([^:]{1,60}?) (?:Network status v6|Stopping in|Family|Tunnel creation success rate|Received):/.exec(text);
  if (status) out.networkStatus = status[1]!.trim();
  const ident = /(?:^| )Router Ident: ([A-Za-z0-9~-]{43}=)(?: |$)/.exec(text);
  if (ident) out.ident = ident[1]!;
  return out;
}
