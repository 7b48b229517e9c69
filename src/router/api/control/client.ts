import { createConnection } from 'node:net';
import { dirname } from 'node:path';
import { errnoCode } from '../../../state/errors.js';
import { ControlError, MAX_RESPONSE_BYTES, parseResponse, parseRouterStatus, RouterNotRunningError, type RouterStatus } from './protocol.js';

export interface CallOptions {
  /** The whole call: connect, ask, answer. */
  timeoutMs?: number;
  /** Named in "no router is running in <home>"; by default the socket's `<home>/router/..` parent. */
  home?: string;
}

let nextId = 1;

/**
 * One request on a fresh connection to a router's control socket. Throws
 * RouterNotRunningError when nobody listens there, ControlError for the router's own error
 * answers, a timeout, or a connection that ends without an answer.
 */
export function callControl(socketPath: string, method: string, params: unknown = {}, opts: CallOptions = {}): Promise<unknown> {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const home = opts.home ?? dirname(dirname(socketPath));
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      fn();
    };
    const timer = setTimeout(
      () => settle(() => reject(new ControlError('TIMEOUT', `the router in ${home} did not answer ${method} within ${Math.round(timeoutMs / 100) / 10} s`))),
      timeoutMs,
    );
    socket.on('connect', () => socket.write(JSON.stringify({ id, method, params }) + '\n'));
    socket.on('error', (err) => {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ENOTSOCK') settle(() => reject(new RouterNotRunningError(home, { cause: err })));
      else settle(() => reject(new ControlError('CONNECT_FAILED', `cannot reach the router in ${home}: ${err.message}`, { cause: err })));
    });
    socket.on('data', (chunk: Buffer) => {
      let nl = chunk.indexOf(10);
      while (nl !== -1 || size + chunk.length > MAX_RESPONSE_BYTES) {
        if (nl === -1 || size + nl > MAX_RESPONSE_BYTES) {
          return settle(() => reject(new ControlError('TOO_LARGE', `the router's answer to ${method} is longer than ${MAX_RESPONSE_BYTES} bytes`)));
        }
        const text = Buffer.concat([...chunks, chunk.subarray(0, nl)]).toString('utf8');
        chunks.length = 0;
        size = 0;
        chunk = chunk.subarray(nl + 1);
        nl = chunk.indexOf(10);
        let r;
        try {
          r = parseResponse(text);
        } catch (err) {
          return settle(() => reject(err));
        }
        // id null: the server refused the connection itself (BUSY, TOO_LARGE), not one request.
        if (r.id !== id && r.id !== null) continue;
        const res = r;
        return settle(() => ('error' in res ? reject(new ControlError(res.error.code, res.error.message)) : resolve(res.result)));
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    socket.on('close', () => settle(() => reject(new ControlError('CLOSED', `the router in ${home} closed the connection without answering ${method}`))));
  });
}

/** `status` of the router in `home`'s control socket, checked to have the RouterStatus shape. */
export async function routerStatus(socketPath: string, opts: CallOptions = {}): Promise<RouterStatus> {
  return parseRouterStatus(await callControl(socketPath, 'status', {}, opts));
}
