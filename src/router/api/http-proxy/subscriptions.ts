import type { AddressBook, ImportResult } from '../../client/addressbook.js';
import type { Logger } from '../../log.js';
import type { Clock, TimerHandle } from '../../runtime/clock.js';
import { jsonCodec, RouterSublevels, type Storage, type Sublevel } from '../../../state/index.js';
import { HttpProxyError } from './errors.js';
import { fetchHostsTxt, parseSubscriptionUrl, type HostsFetchDeps } from './hosts-fetch.js';

/**
 * Address-book subscriptions (subscription.rst): hosts.txt files at .i2p URLs, fetched through
 * the garlic (the proxy's destination, our streaming) soon after start and then every 12 hours,
 * conditionally (ETag, Last-Modified). What they list is merged into the router's address book
 * by its import, which never replaces a name the book already holds. The list and each one's
 * last result live in the router's LevelDB (`config`, key `http-proxy/subscriptions`).
 */

export const MAX_SUBSCRIPTIONS = 32;
export const MAX_HOSTS_TXT_BYTES = 8 * 1024 * 1024;
export const SUBSCRIPTION_INTERVAL_MS = 12 * 60 * 60_000;
/** The first round waits for the proxy's tunnels. */
export const FIRST_FETCH_DELAY_MS = 2 * 60_000;
export const FETCH_TIMEOUT_MS = 5 * 60_000;

export interface SubscriptionRecord {
  url: string;
  added: number;
  etag?: string;
  lastModified?: string;
  /** ms since the epoch of the last attempt, and what came of it. */
  lastFetched?: number;
  lastResult?: { ok: true; notModified: boolean; added: number; unchanged: number; skipped: number; bytes: number } | { ok: false; error: string };
}

const KEY = 'http-proxy/subscriptions';

function parseRecords(v: unknown): SubscriptionRecord[] {
  if (!Array.isArray(v) || v.length > MAX_SUBSCRIPTIONS) throw new Error('stored subscriptions: not a list');
  return v.map((r: Partial<SubscriptionRecord>) => {
    if (typeof r !== 'object' || r === null || typeof r.url !== 'string' || typeof r.added !== 'number') throw new Error('stored subscriptions: bad record');
    return r as SubscriptionRecord;
  });
}

export class SubscriptionError extends Error {
  override readonly name = 'SubscriptionError';
  constructor(
    readonly code: 'INVALID_URL' | 'LIMIT' | 'NOT_FOUND' | 'NO_PROXY',
    message: string,
  ) {
    super(message);
  }
}

export interface SubscriptionsDeps {
  storage: Storage;
  addressBook: Pick<AddressBook, 'importHostsTxt' | 'resolve'>;
  clock: Clock;
  log: Logger;
  /** Streams through the proxy's destination; undefined while the proxy is off. */
  connect?: HostsFetchDeps['connect'];
}

export class Subscriptions {
  private readonly store: Sublevel<SubscriptionRecord[]>;
  private timer: TimerHandle | undefined;
  private running: Promise<unknown> | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: SubscriptionsDeps) {
    this.store = deps.storage.sublevel(RouterSublevels.config, jsonCodec(parseRecords));
  }

  async list(): Promise<SubscriptionRecord[]> {
    return (await this.store.get(KEY)) ?? [];
  }

  /** Adds a URL (an http:// URL on an .i2p host); the same URL twice is one subscription. */
  add(url: string): Promise<{ url: string; status: 'added' | 'unchanged' }> {
    let clean: string;
    try {
      const u = parseSubscriptionUrl(url);
      clean = `http://${u.host}${u.port === 80 ? '' : `:${u.port}`}${u.path}`;
    } catch (e) {
      return Promise.reject(new SubscriptionError('INVALID_URL', (e as HttpProxyError).message));
    }
    return this.serial(async () => {
      const all = await this.list();
      if (all.some((s) => s.url === clean)) return { url: clean, status: 'unchanged' as const };
      if (all.length >= MAX_SUBSCRIPTIONS) throw new SubscriptionError('LIMIT', `at most ${MAX_SUBSCRIPTIONS} subscriptions`);
      await this.store.putDurable(KEY, [...all, { url: clean, added: this.deps.clock.now() }]);
      return { url: clean, status: 'added' as const };
    });
  }

  remove(url: string): Promise<boolean> {
    return this.serial(async () => {
      const all = await this.list();
      const kept = all.filter((s) => s.url !== url.trim());
      if (kept.length === all.length) return false;
      await this.store.putDurable(KEY, kept);
      return true;
    });
  }

  /** Fetches every subscription (or one) now and merges what they list; one round at a time. */
  refresh(url?: string): Promise<SubscriptionRecord[]> {
    if (!this.deps.connect) return Promise.reject(new SubscriptionError('NO_PROXY', 'subscriptions are fetched through the HTTP proxy, which is off'));
    const round = (this.running ?? Promise.resolve()).then(() => this.round(url));
    this.running = round.catch(() => undefined);
    return round;
  }

  private async round(only?: string): Promise<SubscriptionRecord[]> {
    const subs = (await this.list()).filter((s) => only === undefined || s.url === only);
    if (only !== undefined && subs.length === 0) throw new SubscriptionError('NOT_FOUND', `no subscription ${only}`);
    const results: SubscriptionRecord[] = [];
    for (const s of subs) results.push(await this.fetchOne(s));
    return results;
  }

  private async fetchOne(s: SubscriptionRecord): Promise<SubscriptionRecord> {
    const now = this.deps.clock.now();
    let next: SubscriptionRecord;
    try {
      const r = await fetchHostsTxt(s.url, { connect: this.deps.connect!, addressBook: this.deps.addressBook }, { etag: s.etag, lastModified: s.lastModified, timeoutMs: FETCH_TIMEOUT_MS, maxBytes: MAX_HOSTS_TXT_BYTES });
      if (r.status === 'not-modified') {
        next = { ...s, lastFetched: now, lastResult: { ok: true, notModified: true, added: 0, unchanged: 0, skipped: 0, bytes: 0 } };
      } else {
        const imported: ImportResult = await this.deps.addressBook.importHostsTxt(r.text);
        next = {
          ...s,
          etag: r.etag,
          lastModified: r.lastModified,
          lastFetched: now,
          lastResult: { ok: true, notModified: false, added: imported.added, unchanged: imported.unchanged, skipped: imported.skippedCount, bytes: r.bytes },
        };
      }
      this.deps.log.info('subscription fetched', { url: s.url, ...(next.lastResult?.ok && { added: next.lastResult.added, notModified: next.lastResult.notModified }) });
    } catch (e) {
      next = { ...s, lastFetched: now, lastResult: { ok: false, error: (e as Error).message } };
      this.deps.log.warn('subscription fetch failed', { url: s.url, error: (e as Error).message });
    }
    // Saved against the current list: the user may have removed it meanwhile.
    await this.serial(async () => {
      const all = await this.list();
      const i = all.findIndex((x) => x.url === s.url);
      if (i !== -1) {
        all[i] = next;
        await this.store.put(KEY, all);
      }
    });
    return next;
  }

  /** First round soon after start, then every 12 hours. */
  start(firstDelayMs = FIRST_FETCH_DELAY_MS): void {
    if (!this.deps.connect) return;
    this.timer = this.deps.clock.setTimer(firstDelayMs, () => {
      this.refresh()
        .catch((e: Error) => this.deps.log.warn('subscriptions round failed', { error: e.message }))
        .finally(() => {
          if (this.timer !== undefined) this.start(SUBSCRIPTION_INTERVAL_MS);
        });
    });
  }

  stop(): void {
    if (this.timer !== undefined) this.deps.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
