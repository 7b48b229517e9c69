import { PassThrough } from 'node:stream';
import { render, renderToString } from 'ink';
import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import type { RouterStatus } from '../../../src/router/api/control/protocol.js';
import { Dashboard, DashboardView } from '../../../src/ui/top/dashboard.js';
import { dashboardRows, frameLines } from '../../../src/ui/top/frame.js';
import { sampleStatus } from '../control/fixtures/router-status.js';

const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

/** A terminal ink can draw on and read keys from, without a real one. */
function fakeTerminal() {
  const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 100, rows: 30 });
  let written = '';
  stdout.on('data', (d: Buffer) => (written += d.toString('utf8')));
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin, ref: () => stdin, unref: () => stdin });
  const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
  return {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    key: (k: string) => stdin.write(k),
    output: () => plain(written),
  };
}

/** A fetch that answers the given statuses in turn and says when it has been asked `n` times. */
function scriptedFetch(answers: RouterStatus[]) {
  let asked = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const fetch = async () => {
    asked++;
    for (const w of waiters.filter((w) => asked >= w.n)) w.resolve();
    const a = answers[Math.min(asked - 1, answers.length - 1)];
    if (!a) throw new Error('router gone');
    return a;
  };
  const askedTimes = (n: number) => new Promise<void>((resolve) => (asked >= n ? resolve() : waiters.push({ n, resolve })));
  return { fetch, askedTimes, asked: () => asked };
}

describe('the live dashboard', () => {
  it('draws the same rows as the text form', () => {
    const rows = dashboardRows(sampleStatus(), { sparkWidth: 8 });
    const out = plain(renderToString(createElement(DashboardView, { rows, intervalMs: 1000, error: 'timed out' }), { columns: 120 })).split('\n');
    expect(out[0]).toBe('anon-router top  every 1 s, q quits');
    expect(out.slice(1, 1 + rows.length)).toEqual(frameLines(rows));
    expect(out[1 + rows.length]).toBe('router not answering: timed out');
  });

  it('polls, redraws with the new answer, and q quits', async () => {
    const t = fakeTerminal();
    const f = scriptedFetch([sampleStatus({ peers: { known: 77, connected: 33 } })]);
    const app = render(createElement(Dashboard, { first: sampleStatus(), fetch: f.fetch, intervalMs: 200 }), { stdout: t.stdout, stdin: t.stdin, stderr: t.stderr, patchConsole: false });
    await f.askedTimes(2);
    // The redraw follows the answer a little later (ink batches renders): wait for it, bounded.
    for (let i = 0; i < 200 && !/peers\s+77 known/.test(t.output()); i++) await new Promise((r) => setTimeout(r, 25));
    t.key('q');
    await app.waitUntilExit();
    // (The first answer's frame may be skipped by ink's render throttling under load; the
    // rows themselves are checked against the text form above.)
    expect(t.output()).toMatch(/peers\s+77 known, 33 connected/);
    expect(t.output()).toMatch(/tunnels\s+3 inbound, 2 outbound, 12 participating/);
  });

  it('Ctrl-C quits too; a failed poll shows the error and keeps the last answer', async () => {
    const t = fakeTerminal();
    const f = scriptedFetch([]);
    const app = render(createElement(Dashboard, { first: sampleStatus(), fetch: f.fetch, intervalMs: 200 }), { stdout: t.stdout, stdin: t.stdin, stderr: t.stderr, patchConsole: false });
    await f.askedTimes(2);
    t.key('\x03');
    await app.waitUntilExit();
    expect(t.output()).toContain('router not answering: router gone');
    expect(t.output()).toMatch(/builds\s+41 of 50 succeeded \(82%\)/);
  });

  it('with a count, stops by itself after that many frames', async () => {
    const t = fakeTerminal();
    const f = scriptedFetch([sampleStatus({ peers: { known: 1, connected: 1 } }), sampleStatus({ peers: { known: 2, connected: 2 } })]);
    const app = render(createElement(Dashboard, { first: sampleStatus(), fetch: f.fetch, intervalMs: 200, count: 3 }), { stdout: t.stdout, stdin: t.stdin, stderr: t.stderr, patchConsole: false });
    await app.waitUntilExit();
    expect(t.output()).toMatch(/peers\s+2 known, 2 connected/);
    expect(f.asked()).toBe(2);
  });
});
