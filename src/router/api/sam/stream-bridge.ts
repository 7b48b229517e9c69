/**
 * A client's TCP socket joined to an I2P stream, both ways, with half-close carried across (the
 * client's FIN ends our stream's writing side and the other way round). Whichever side fails
 * takes the other down; a clean end on both lets each finish its own close, so no data still in
 * flight is cut off by a RESET.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import type { Clock } from '../../runtime/index.js';
import type { SamStream } from './backend.js';

export function bridgeStream(socket: Socket, stream: SamStream, leftover: Uint8Array | undefined, onClose: () => void, onStreamError?: (e: Error) => void): void {
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    onClose();
  };
  if (leftover && leftover.length > 0) stream.write(leftover);
  socket.pipe(stream);
  stream.pipe(socket);
  socket.on('error', () => stream.destroy());
  stream.on('error', (e: Error) => {
    onStreamError?.(e);
    socket.destroy();
  });
  socket.on('close', () => {
    // Closed before it ended its side: the client went away, so the stream is reset.
    if (!stream.writableEnded) stream.destroy();
    finish();
  });
  stream.on('close', () => {
    if (!socket.writableEnded) socket.destroy();
    finish();
  });
}

/**
 * STREAM FORWARD's half: an incoming stream handed to the client's server at `to`. If that
 * server does not accept within `timeoutMs` (the spec's 3 s), the stream is reset.
 */
export function forwardToLocal(
  stream: SamStream,
  to: { host: string; port: number },
  o: { clock: Clock; timeoutMs: number; header: string | undefined; attach: (sock: Socket) => () => void; onStreamError: (e: Error) => void },
): void {
  const sock = tcpConnect({ host: to.host, port: to.port, allowHalfOpen: true });
  sock.setNoDelay(true);
  let connected = false;
  const timer = o.clock.setTimer(o.timeoutMs, () => {
    if (!connected) sock.destroy();
  });
  const detach = o.attach(sock);
  sock.once('error', () => {
    if (!connected) stream.destroy();
  });
  sock.once('close', () => {
    o.clock.clearTimer(timer);
    if (!connected) {
      stream.destroy();
      detach();
    }
  });
  sock.once('connect', () => {
    connected = true;
    o.clock.clearTimer(timer);
    if (o.header !== undefined) sock.write(o.header);
    bridgeStream(sock, stream, undefined, detach, o.onStreamError);
  });
}
