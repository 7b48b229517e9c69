import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  callControl,
  ControlError,
  errorBody,
  parseRequest,
  parseResponse,
  parseRouterStatus,
  startControlServer,
  type RouterStatus,
} from '../../../src/router/api/control/index.js';
import { sampleStatus } from './fixtures/router-status.js';

const sample: RouterStatus = sampleStatus({ pid: 42 });

describe('control protocol', () => {
  it('parses a request and defaults params to {}', () => {
    expect(parseRequest('{"id":1,"method":"status"}')).toEqual({ id: 1, method: 'status', params: {} });
    expect(parseRequest('{"id":0,"method":"stop","params":{"graceful":true}}')).toEqual({ id: 0, method: 'stop', params: { graceful: true } });
  });

  it.each(['', 'null', '[]', '{"method":"status"}', '{"id":-1,"method":"status"}', '{"id":1.5,"method":"x"}', '{"id":1}', '{"id":1,"method":""}', '{"id":1,"method":"a b"}'])(
    'rejects the request %s as BAD_REQUEST',
    (line) => {
      expect(() => parseRequest(line)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    },
  );

  it('parses results and errors, and rejects other answers', () => {
    expect(parseResponse('{"id":3,"result":null}')).toEqual({ id: 3, result: null });
    expect(parseResponse('{"id":null,"error":{"code":"BUSY","message":"m"}}')).toEqual({ id: null, error: { code: 'BUSY', message: 'm' } });
    for (const bad of ['x', '{}', '{"id":1}', '{"id":1,"error":"x"}', '{"id":"1","result":1}']) {
      expect(() => parseResponse(bad)).toThrow(expect.objectContaining({ code: 'BAD_RESPONSE' }));
    }
  });

  it('never throws anything but ControlError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (s) => {
        for (const parse of [parseRequest, parseResponse, (t: string) => parseRouterStatus(JSON.parse(t))]) {
          try {
            parse(s);
          } catch (err) {
            if (parse !== parseRequest && parse !== parseResponse && err instanceof SyntaxError) continue;
            expect(err).toBeInstanceOf(ControlError);
          }
        }
      }),
    );
  });

  it('errorBody keeps a sane code, defaults others, and makes the message one bounded line', () => {
    expect(errorBody(Object.assign(new Error('a'), { code: 'STOPPING' }))).toEqual({ code: 'STOPPING', message: 'a' });
    expect(errorBody(Object.assign(new Error('a'), { code: 'ENOENT' })).code).toBe('ENOENT');
    expect(errorBody(Object.assign(new Error('a'), { code: 'bad code!' })).code).toBe('HANDLER_FAILED');
    expect(errorBody('plain').message).toBe('plain');
    expect(errorBody(new Error('x\n'.repeat(2000))).message).not.toContain('\n');
    expect(errorBody(new Error('x'.repeat(5000))).message.length).toBe(1000);
  });

  it('accepts a RouterStatus (extra fields kept) and names the first missing field', () => {
    expect(parseRouterStatus({ ...sample, extra: 1 })).toMatchObject({ extra: 1, pid: 42 });
    const { ntcp2: _n, ...noNtcp2 } = sample;
    expect(() => parseRouterStatus(noNtcp2)).toThrow(/ntcp2/);
    expect(() => parseRouterStatus({ ...sample, peers: { known: 'x', connected: 1 } })).toThrow(/peers/);
    expect(() => parseRouterStatus({ ...sample, ntcp2: { port: 1, listening: true } })).not.toThrow();
    expect(() => parseRouterStatus(null)).toThrow(ControlError);
    const { tunnels: _t, ...noTunnels } = sample;
    expect(() => parseRouterStatus(noTunnels)).toThrow(/tunnels/);
    expect(() => parseRouterStatus({ ...sample, tunnels: { ...sample.tunnels, builds: { ...sample.tunnels.builds, successRate: 'x' } } })).toThrow(/tunnels/);
    expect(() => parseRouterStatus({ ...sample, bandwidth: { ...sample.bandwidth, history: { in: [1, 'x'], out: [], transit: [] } } })).toThrow(/bandwidth/);
    // Bucket drops: optional (older routers), checked when present.
    expect(parseRouterStatus({ ...sample, bandwidth: { ...sample.bandwidth, dropped: { transit: 5, own: 0 } } }).bandwidth.dropped).toEqual({ transit: 5, own: 0 });
    expect(() => parseRouterStatus({ ...sample, bandwidth: { ...sample.bandwidth, dropped: { transit: 'x', own: 0 } } })).toThrow(/bandwidth/);
  });
});

describe('control server under arbitrary input', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'anon-ctl-fuzz-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('answers or closes, never crashes, and keeps serving', async () => {
    mkdirSync(join(tmp, 'router'), { mode: 0o700 });
    const path = join(tmp, 'router', 'control.sock');
    const server = await startControlServer(path, { echo: async (p) => p }, { maxLineBytes: 4096 });
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 6000 }), { maxLength: 4 }), async (writes) => {
          const answers: string[] = [];
          await new Promise<void>((resolve) => {
            const s = createConnection(path);
            s.setEncoding('utf8');
            s.on('data', (d: string) => answers.push(d));
            s.on('error', () => {});
            s.on('close', () => resolve());
            s.on('connect', () => {
              for (const w of writes) s.write(w);
              s.end();
            });
          });
          // Every answer line is a protocol response.
          for (const l of answers.join('').split('\n').filter(Boolean)) expect(() => parseResponse(l)).not.toThrow();
        }),
        { numRuns: 60 },
      );
      expect(await callControl(path, 'echo', { still: 'here' })).toEqual({ still: 'here' });
    } finally {
      await server.close();
    }
  });
});
