/**
 * Structured log lines (logfmt: `time=… level=… msg="…" key=value`), one per event, so a
 * router's log can be read by people and grepped or parsed by tools. Components get a child
 * logger with their name bound.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | undefined | null>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(component: string): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function quote(v: string): string {
  return /^[\w.:/@+-]+$/.test(v) ? v : JSON.stringify(v);
}

export function formatLogLine(time: number, level: LogLevel, msg: string, fields: LogFields): string {
  const parts = [`time=${new Date(time).toISOString()}`, `level=${level}`, `msg=${JSON.stringify(msg)}`];
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null) parts.push(`${k}=${quote(String(v))}`);
  return parts.join(' ');
}

export function createLogger(write: (line: string) => void, opts: { level?: LogLevel; now?: () => number; bound?: LogFields } = {}): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const now = opts.now ?? Date.now;
  const bound = opts.bound ?? {};
  const emit = (level: LogLevel) => (msg: string, fields: LogFields = {}) => {
    if (ORDER[level] >= min) write(formatLogLine(now(), level, msg, { ...bound, ...fields }));
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (component) => createLogger(write, { ...opts, bound: { ...bound, component } }),
  };
}

export const silentLogger: Logger = createLogger(() => undefined, { level: 'error' });
