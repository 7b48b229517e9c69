import { describe, expect, it } from 'vitest';
import { formatAccessLine, loggablePath, MAX_LOGGED_PATH } from '../../../src/apps/site/access-log.js';

describe('access log lines', () => {
  it('time, method, path, status, bytes, ms; visitor and "aborted" only when there', () => {
    const base = { time: Date.UTC(2026, 10, 26, 4, 41, 41), method: 'GET', path: '/a', status: 200, bytes: 12, ms: 3.4, completed: true };
    expect(formatAccessLine(base)).toBe('2026-11-26T04:41:41.000Z GET /a 200 12 3ms');
    expect(formatAccessLine({ ...base, visitor: 'abc.b32.i2p' })).toBe('2026-11-26T04:41:41.000Z GET /a 200 12 3ms abc.b32.i2p');
    expect(formatAccessLine({ ...base, completed: false })).toBe('2026-11-26T04:41:41.000Z GET /a 200 12 3ms aborted');
    expect(formatAccessLine({ ...base, method: 'GE T\n' })).toContain(' - /a ');
  });

  it('paths: query dropped, control characters and spaces escaped (no forged lines), long ones cut', () => {
    expect(loggablePath('/a?b=c')).toBe('/a');
    expect(loggablePath('/a\nGET /evil 200')).toBe('/a\\x0aGET\\x20/evil\\x20200');
    expect(loggablePath(undefined)).toBe('-');
    const long = loggablePath('/' + 'x'.repeat(2000));
    expect(long.length).toBe(MAX_LOGGED_PATH + 1);
    expect(long.endsWith('…')).toBe(true);
  });
});
