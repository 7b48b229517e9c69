/**
 * The proxy's own answers: short HTML pages that say what happened and what to do, sent with
 * `Connection: close`, never cached, and never framable (the address-helper page holds a
 * confirmation link a site must not click for the user).
 */

const REASONS: Record<number, string> = {
  200: 'OK',
  302: 'Found',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A complete HTTP response: `bodyHtml` is trusted markup (callers escape what they put in). */
export function htmlResponse(status: number, title: string, bodyHtml: string, extraHeaders: Record<string, string> = {}): Buffer {
  const html = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font:100%/1.5 sans-serif;margin:0;padding:1.5em;max-width:48em;color:#123}h1{font-size:1.5em}code{word-break:break-all}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${bodyHtml}
<p><small>anon HTTP proxy</small></p>
</body></html>
`;
  const body = Buffer.from(html, 'utf8');
  const headers = {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(body.length),
    'Cache-Control': 'no-store',
    'X-Frame-Options': 'DENY',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    'Referrer-Policy': 'no-referrer',
    ...extraHeaders,
    Connection: 'close',
  };
  const head = [`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), body]);
}

/** An error page: the status, a title, one paragraph of explanation (plain text). */
export function errorPage(status: number, title: string, message: string, hintHtml = ''): Buffer {
  return htmlResponse(status, title, `<p>${escapeHtml(message)}</p>${hintHtml}`);
}

/** A redirect (after an address-helper choice), with a link for clients that do not follow it. */
export function redirectPage(location: string): Buffer {
  return htmlResponse(302, 'Continue', `<p><a href="${escapeHtml(location)}">Continue to ${escapeHtml(location)}</a></p>`, { Location: location });
}
