import { b32FromHash } from '../../data/b32.js';
import { sha256 } from '../../crypto/hash.js';
import { checkDestination } from '../../client/addressbook.js';
import type { RandomSource } from '../../runtime/random.js';
import { HttpProxyError } from './errors.js';
import { escapeHtml, htmlResponse } from './pages.js';
import { PROXY_HOST } from './host.js';

/**
 * Address helpers (naming.html): a link `http://name.i2p/path?i2paddresshelper=<base64
 * destination>` tells the proxy which destination a name it does not know stands for. The
 * proxy never saves it on its own (i2pd 2.45 does, which lets any page plant names): it shows a
 * page where the user chooses to save and continue, or to continue once without saving. The
 * choice is a link to the proxy's own host carrying a random one-time nonce that only that page
 * showed, so a site cannot make the choice for the user. A name the book already holds with
 * another destination is never replaced from here.
 */

export const HELPER_PARAM = 'i2paddresshelper';
/** How long a shown choice stays valid. */
export const NONCE_TTL_MS = 10 * 60_000;
/** Most choices pending at once (the oldest is forgotten first). */
export const MAX_PENDING = 256;
export const CONFIRM_PATH = '/addresshelper';

export interface HelperLink {
  /** The base64 destination the link offers (percent-decoded). */
  destination: string;
  /** The request path with the helper parameter taken out. */
  cleanPath: string;
}

/** The helper parameter in an origin-form path (first or later parameter), or undefined. */
export function extractAddressHelper(path: string): HelperLink | undefined {
  const q = path.indexOf('?');
  if (q === -1) return undefined;
  const params = path.slice(q + 1).split('&');
  const i = params.findIndex((p) => p.startsWith(`${HELPER_PARAM}=`));
  if (i === -1) return undefined;
  const raw = params[i].slice(HELPER_PARAM.length + 1);
  let destination: string;
  try {
    destination = decodeURIComponent(raw.replace(/\+/g, ' ')).trim();
  } catch {
    throw new HttpProxyError('BAD_TARGET', 'the i2paddresshelper value is not valid percent-encoding');
  }
  params.splice(i, 1);
  const rest = params.filter((p) => p !== '').join('&');
  return { destination, cleanPath: path.slice(0, q) + (rest === '' ? '' : `?${rest}`) };
}

export interface PendingChoice {
  host: string;
  destination: string;
  cleanPath: string;
  port: number;
  at: number;
}

/** The choices shown and not yet made: one-time nonces, bounded in number and age. */
export class PendingChoices {
  private readonly byNonce = new Map<string, PendingChoice>();

  constructor(
    private readonly random: RandomSource,
    private readonly now: () => number,
  ) {}

  offer(choice: Omit<PendingChoice, 'at'>): string {
    this.expire();
    if (this.byNonce.size >= MAX_PENDING) this.byNonce.delete(this.byNonce.keys().next().value!);
    const nonce = Buffer.from(this.random.bytes(16)).toString('hex');
    this.byNonce.set(nonce, { ...choice, at: this.now() });
    return nonce;
  }

  /** The choice behind `nonce`, once: a second use or an expired one finds nothing. */
  take(nonce: string): PendingChoice | undefined {
    this.expire();
    const c = this.byNonce.get(nonce);
    if (c) this.byNonce.delete(nonce);
    return c;
  }

  get size(): number {
    return this.byNonce.size;
  }

  private expire(): void {
    const now = this.now();
    for (const [k, c] of this.byNonce) {
      if (now - c.at <= NONCE_TTL_MS) break; // insertion order is age order
      this.byNonce.delete(k);
    }
  }
}

/** Checks the offered destination; its b32 address, or an HttpProxyError for a bad one. */
export function helperDestinationB32(destination: string): string {
  const r = checkDestination(destination);
  if ('problem' in r) throw new HttpProxyError('BAD_TARGET', `the i2paddresshelper link carries no valid destination: ${r.problem}`);
  return b32FromHash(sha256(r.bytes));
}

export function siteUrl(host: string, port: number, path: string): string {
  return `http://${host}${port === 80 ? '' : `:${port}`}${path}`;
}

export function confirmUrl(nonce: string, action: 'save' | 'once'): string {
  return `http://${PROXY_HOST}${CONFIRM_PATH}?nonce=${nonce}&action=${action}`;
}

/** The page that asks: save this name and continue, or continue without saving. */
export function choicePage(host: string, b32: string, nonce: string): Buffer {
  return htmlResponse(
    200,
    `Save ${host} to your address book?`,
    `<p>A link gave the address of <b>${escapeHtml(host)}</b>, which is not in your address book. It points to:</p>
<p><code>${escapeHtml(b32)}</code></p>
<p>Only save it if you trust the page that linked you here: whoever made the link chose this address.</p>
<ul>
<li><a href="${escapeHtml(confirmUrl(nonce, 'save'))}">Save ${escapeHtml(host)} and continue</a></li>
<li><a href="${escapeHtml(confirmUrl(nonce, 'once'))}">Continue without saving</a> (to ${escapeHtml(b32)})</li>
</ul>`,
  );
}

/** The book holds another destination for this name: say so, and do not replace it. */
export function conflictPage(host: string, savedB32: string, offeredB32: string, port: number, cleanPath: string): Buffer {
  return htmlResponse(
    409,
    `${host} is already in your address book`,
    `<p>Your address book has <b>${escapeHtml(host)}</b> as <code>${escapeHtml(savedB32)}</code>, but the link offered a different address, <code>${escapeHtml(offeredB32)}</code>.</p>
<p>The saved entry was kept. The link may be trying to take over a name you already trust.</p>
<ul>
<li><a href="${escapeHtml(siteUrl(host, port, cleanPath))}">Continue to the saved ${escapeHtml(host)}</a></li>
<li><a href="${escapeHtml(siteUrl(offeredB32, port, cleanPath))}">Visit the offered address once</a> (${escapeHtml(offeredB32)}, nothing saved)</li>
</ul>
<p>To change the entry, use <code>anon-router names</code>.</p>`,
  );
}
