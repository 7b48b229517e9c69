import { opendir } from 'node:fs/promises';
import { escapeHtml } from './html.js';

/** A listing shows at most this many entries; the rest are counted, not read into memory. */
export const MAX_LISTING_ENTRIES = 5000;

export interface ListingEntry {
  name: string;
  dir: boolean;
}

/** The visible entries of a directory (no dotfiles), directories first, then by name. */
export async function readListing(realDir: string): Promise<{ entries: ListingEntry[]; truncated: boolean }> {
  const entries: ListingEntry[] = [];
  let truncated = false;
  const d = await opendir(realDir);
  try {
    for await (const e of d) {
      if (e.name.startsWith('.')) continue;
      if (entries.length >= MAX_LISTING_ENTRIES) {
        truncated = true;
        break;
      }
      // A symlink is listed as a file; whether it may be followed is decided when requested.
      entries.push({ name: e.name, dir: e.isDirectory() });
    }
  } finally {
    // Breaking out of for-await already closes it; closing twice throws ERR_DIR_CLOSED.
    await d.close().catch(() => undefined);
  }
  entries.sort((a, b) => (a.dir === b.dir ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.dir ? -1 : 1));
  return { entries, truncated };
}

/** The HTML page for `urlPath` (the decoded path shown as the title); every name escaped. */
export function listingPage(urlPath: string, entries: readonly ListingEntry[], truncated: boolean): string {
  const title = `Index of ${urlPath}`;
  const rows = entries.map((e) => {
    const href = encodeURIComponent(e.name) + (e.dir ? '/' : '');
    const text = escapeHtml(e.name + (e.dir ? '/' : ''));
    return `<li><a href="./${escapeHtml(href)}">${text}</a></li>`;
  });
  if (urlPath !== '/') rows.unshift('<li><a href="../">../</a></li>');
  const more = truncated ? `<p>Only the first ${MAX_LISTING_ENTRIES} entries are shown.</p>` : '';
  return (
    `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n` +
    `<body><h1>${escapeHtml(title)}</h1>\n<ul>\n${rows.join('\n')}\n</ul>${more}</body></html>\n`
  );
}
