import type { ServerResponse } from 'node:http';

/** The only Server header a site sends: names the software family, not its version or host. */
export const SERVER_HEADER = 'anon-site';

/** Text safe inside HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  416: 'Range Not Satisfiable',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** A small self-contained HTML page; `detail` is plain text, escaped here. */
export function errorPage(status: number, detail: string): string {
  const title = `${status} ${REASONS[status] ?? 'Error'}`;
  return (
    `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n` +
    `<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(detail)}</p></body></html>\n`
  );
}

/**
 * Answer with an error page (no body for HEAD). Safe to call only before headers went out;
 * after that the caller must destroy the response instead.
 */
export function sendErrorPage(
  res: ServerResponse,
  method: string | undefined,
  status: number,
  detail: string,
  extraHeaders: Readonly<Record<string, string>> = {},
): void {
  const body = Buffer.from(errorPage(status, detail), 'utf8');
  res.statusCode = status;
  res.setHeader('Server', SERVER_HEADER);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
  for (const [k, v] of Object.entries(extraHeaders)) res.setHeader(k, v);
  res.end(method === 'HEAD' ? undefined : body);
}
