/**
 * One client connection to the SAM bridge: HELLO first (within a timeout), then one command
 * line at a time (asynchronous ones finish before the next line is read). The connection then
 * either stays a control socket (a session's, or a utility one: NAMING, DEST, PING) or becomes
 * a stream (STREAM CONNECT / ACCEPT), or holds a STREAM FORWARD. Bad input gets an I2P_ERROR
 * reply; it never throws out of here.
 */
import type { Socket } from 'node:net';
import { keysAndCertHash } from '../../data/index.js';
import type { TimerHandle } from '../../runtime/index.js';
import type { SamBackend, SamStream } from './backend.js';
import { MAX_LINE_BYTES, parseSamCommand, SamParseError, type SamCommand } from './command.js';
import { MAX_RAW_PAYLOAD, MAX_REPLIABLE_PAYLOAD } from './datagram-header.js';
import { chooseCryptoType, chooseSignatureType, destinationBase64, destinationKeysFor, generatePrivateKeys, parseSamPrivateKeys, privateKeysBase64, SamKeyError } from './keys.js';
import { destGenerateReply, namingLookupReply } from './naming.js';
import type { SamLimits, SessionRegistry } from './registry.js';
import { booleanOption, destinationOptions, forwardHost, portOption, rawProtocolOption, SamOptionError, subsessionOptions } from './options.js';
import { formatReply, resultReply, type SamResult } from './reply.js';
import type { SamStyle } from './routing.js';
import { SamSession, SamSessionError, type DatagramForward, type SubSession } from './session.js';
import { bridgeStream, forwardToLocal } from './stream-bridge.js';
import { resolveTarget, SamTargetError } from './target.js';
import { atLeast32, negotiateVersion, type SamVersion } from './version.js';

export interface ConnectionContext {
  backend: SamBackend;
  registry: SessionRegistry;
  limits: SamLimits;
  sendUdp(bytes: Uint8Array, to: DatagramForward): void;
  /** Every command seen, by name (for status and for the log of what clients use). */
  count(command: string): void;
}

type State = 'hello' | 'command' | 'accepting' | 'forwarding' | 'stream' | 'closed';

const MAX_ID_LENGTH = 256;
/** Bytes held while a command runs (or while an ACCEPT waits) before the client is paused. */
const MAX_BUFFERED_BYTES = 64 * 1024;

export class SamConnection {
  private state: State = 'hello';
  private version: SamVersion = '3.1';
  private buf: Buffer = Buffer.alloc(0);
  private busy = false;
  private errors = 0;
  /** DATAGRAM SEND / RAW SEND: the payload that follows the line. */
  private binary: { need: number; then: (payload: Uint8Array) => void } | undefined;
  private helloTimer: TimerHandle | undefined;
  /** The session this socket created (it dies with the socket). */
  private session: SamSession | undefined;
  private readonly cleanups: (() => void)[] = [];
  private ended = false;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: ConnectionContext,
  ) {
    const { clock } = ctx.backend;
    socket.setNoDelay(true);
    this.helloTimer = clock.setTimer(ctx.limits.helloTimeoutMs, () => {
      this.helloTimer = undefined;
      if (this.state !== 'hello') return;
      this.replyAndClose(resultReply('HELLO', 'REPLY', 'I2P_ERROR', 'no HELLO VERSION in time'));
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.onClose());
    // The client ended its side: a control, accepting or forwarding socket is done (its session
    // with it, as the spec says); answers to what it sent still go out first. A stream's
    // half-close is the bridge's business.
    socket.on('end', () => {
      if (this.state === 'stream') return;
      this.ended = true;
      if (!this.busy) this.close();
    });
  }

  private get log() {
    return this.ctx.backend.log;
  }

  private write(text: string | Uint8Array): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(text);
  }

  private replyAndClose(text: string): void {
    this.write(text);
    this.close();
  }

  /** Our side ends once what we wrote is out; the socket goes then, whatever the client does. */
  private close(): void {
    this.state = 'closed';
    this.socket.end(() => this.socket.destroy());
  }


  // ---- input -----------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    if (this.state === 'accepting' || this.state === 'forwarding') {
      // Nothing to say on an accepting or forwarding socket; what a client sends before its
      // stream arrives is kept (bounded) and goes into the stream.
      if (this.state === 'accepting') {
        this.buf = Buffer.concat([this.buf, chunk]);
        if (this.buf.length >= MAX_BUFFERED_BYTES) this.socket.pause();
      }
      return;
    }
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    // While a command runs, what follows waits here (a stream's first bytes, the next command):
    // past a bound, the client is made to wait instead of us buffering without end.
    if (this.busy && this.buf.length >= MAX_BUFFERED_BYTES) this.socket.pause();
    this.process();
  }

  private process(): void {
    while (!this.busy && (this.state === 'hello' || this.state === 'command')) {
      if (this.binary) {
        if (this.buf.length < this.binary.need) return;
        const payload = Uint8Array.prototype.slice.call(this.buf, 0, this.binary.need);
        this.buf = this.buf.subarray(this.binary.need);
        const { then } = this.binary;
        this.binary = undefined;
        then(payload);
        continue;
      }
      const nl = this.buf.indexOf(0x0a);
      if (nl < 0 ? this.buf.length > MAX_LINE_BYTES : nl > MAX_LINE_BYTES) {
        this.buf = Buffer.alloc(0);
        this.replyAndClose(resultReply(this.state === 'hello' ? 'HELLO' : 'SESSION', this.state === 'hello' ? 'REPLY' : 'STATUS', 'I2P_ERROR', `line longer than ${MAX_LINE_BYTES} bytes`));
        return;
      }
      if (nl < 0) return;
      const line = this.buf.subarray(0, nl).toString('utf8');
      this.buf = this.buf.subarray(nl + 1);
      this.line(line);
    }
  }

  private line(text: string): void {
    let cmd: SamCommand;
    try {
      cmd = parseSamCommand(text);
    } catch (e) {
      if (!(e instanceof SamParseError)) throw e;
      if (e.code === 'EMPTY' && this.state !== 'hello') return;
      this.refuse(e.message);
      return;
    }
    const name = cmd.opcode ? `${cmd.verb} ${cmd.opcode}` : cmd.verb;
    this.ctx.count(name);
    // Option names only: values may be private keys.
    this.log.debug('sam command', { command: name, options: [...cmd.options.keys()].join(',') || undefined });
    if (this.state === 'hello') return this.hello(cmd);
    this.run(cmd, name).catch((e: Error) => {
      this.log.warn('sam command failed', { command: name, error: e.message });
      this.write(resultReply('SESSION', 'STATUS', 'I2P_ERROR', e.message));
    });
  }

  /** A line we cannot act on: an error reply; too many of them (or any before HELLO) closes. */
  private refuse(message: string, verb = 'SESSION', opcode = 'STATUS'): void {
    this.errors++;
    if (this.state === 'hello') return this.replyAndClose(resultReply('HELLO', 'REPLY', 'I2P_ERROR', message));
    if (this.errors >= this.ctx.limits.maxErrors) return this.replyAndClose(resultReply(verb, opcode, 'I2P_ERROR', `${message} (too many errors, closing)`));
    this.write(resultReply(verb, opcode, 'I2P_ERROR', message));
  }

  private hello(cmd: SamCommand): void {
    if (cmd.verb !== 'HELLO' || cmd.opcode !== 'VERSION') return this.refuse('HELLO VERSION expected first');
    const n = negotiateVersion(cmd.options.get('MIN'), cmd.options.get('MAX'));
    if (!n.ok) return this.replyAndClose(resultReply('HELLO', 'REPLY', n.result, n.message));
    if (this.helloTimer) this.ctx.backend.clock.clearTimer(this.helloTimer);
    this.helloTimer = undefined;
    this.version = n.version;
    this.state = 'command';
    this.write(formatReply('HELLO', 'REPLY', [['RESULT', 'OK'], ['VERSION', n.version]]));
  }

  /** Runs one command; the next line waits until an asynchronous one is done. */
  private async run(cmd: SamCommand, name: string): Promise<void> {
    const sync = this.dispatch(cmd, name);
    if (!sync) return;
    this.busy = true;
    try {
      await sync;
    } finally {
      this.busy = false;
      if (this.socket.isPaused() && this.state !== 'stream') this.socket.resume();
      if (this.ended && this.state !== 'stream') this.close();
      else if (this.state === 'command') this.process();
      else if (this.state === 'closed') this.close();
    }
  }

  private dispatch(cmd: SamCommand, name: string): Promise<void> | undefined {
    switch (name) {
      case 'HELLO VERSION':
        this.refuse('HELLO was already said', 'HELLO', 'REPLY');
        return;
      case 'SESSION CREATE':
        return this.sessionCreate(cmd);
      case 'SESSION ADD':
        this.sessionAdd(cmd);
        return;
      case 'SESSION REMOVE':
        this.sessionRemove(cmd);
        return;
      case 'STREAM CONNECT':
        return this.streamConnect(cmd);
      case 'STREAM ACCEPT':
        this.streamAccept(cmd);
        return;
      case 'STREAM FORWARD':
        this.streamForward(cmd);
        return;
      case 'DATAGRAM SEND':
      case 'RAW SEND':
        this.datagramSend(cmd, cmd.verb === 'RAW' ? 'RAW' : 'DATAGRAM');
        return;
      case 'NAMING LOOKUP':
        return this.namingLookup(cmd);
      case 'DEST GENERATE':
        this.destGenerate(cmd);
        return;
      case 'PING':
        this.write(cmd.text ? `PONG ${cmd.text}\n` : 'PONG\n');
        return;
      case 'PONG':
        return;
      case 'QUIT':
      case 'STOP':
      case 'EXIT':
        this.replyAndClose(resultReply('SESSION', 'STATUS', 'OK', 'bye'));
        return;
      default:
        this.refuse(`unknown command ${name.slice(0, 40)}`);
        return;
    }
  }

  // ---- sessions --------------------------------------------------------------------------

  private sessionStatus(result: SamResult, message?: string, close = false): void {
    const text = resultReply('SESSION', 'STATUS', result, message);
    if (close) this.replyAndClose(text);
    else this.write(text);
  }

  private checkId(id: string | undefined): string | undefined {
    if (!id) return 'ID is missing';
    if (id.length > MAX_ID_LENGTH || /[\s<>"'/]/.test(id)) return 'ID must be a short name without spaces, quotes or slashes';
    return undefined;
  }

  private async sessionCreate(cmd: SamCommand): Promise<void> {
    const o = cmd.options;
    if (this.session) return this.sessionStatus('I2P_ERROR', 'this connection already has a session');
    let style = (o.get('STYLE') ?? '').toUpperCase();
    if (style === 'MASTER') style = 'PRIMARY';
    if (!['STREAM', 'DATAGRAM', 'RAW', 'PRIMARY'].includes(style)) return this.sessionStatus('I2P_ERROR', `STYLE must be STREAM, DATAGRAM, RAW or PRIMARY${style ? `, not ${style}` : ''}`);
    const id = o.get('ID') ?? '';
    const bad = this.checkId(id);
    if (bad) return this.sessionStatus('I2P_ERROR', bad);
    if (this.ctx.registry.has(id)) return this.sessionStatus('DUPLICATED_ID', `a session named ${id} exists`);
    const destination = o.get('DESTINATION');
    if (!destination) return this.sessionStatus('INVALID_KEY', 'DESTINATION is missing (TRANSIENT or a private key)');
    if (this.ctx.registry.full) return this.sessionStatus('I2P_ERROR', `at most ${this.ctx.limits.maxSessions} sessions`);
    const { backend } = this.ctx;
    let sub: Omit<SubSession, 'session' | 'id'> | undefined;
    let keys;
    let options;
    try {
      const pk =
        destination === 'TRANSIENT'
          ? (() => {
              chooseSignatureType(o.get('SIGNATURE_TYPE'));
              return generatePrivateKeys(chooseCryptoType(o.get('CRYPTO_TYPE')), backend.random);
            })()
          : parseSamPrivateKeys(destination);
      keys = destinationKeysFor(pk);
      options = destinationOptions(o, backend.defaultDestinationOptions);
      if (style !== 'PRIMARY') sub = this.subOptions(style as SamStyle, o, false);
    } catch (e) {
      if (e instanceof SamKeyError) return this.sessionStatus(e.code, e.message);
      if (e instanceof SamOptionError) return this.sessionStatus('I2P_ERROR', e.message);
      throw e;
    }
    const hash = keysAndCertHash(keys.privateKeys.destination);
    if (backend.hasDestination(hash) || this.ctx.registry.usesDestination(hash)) return this.sessionStatus('DUPLICATED_DEST', 'the destination is already in use');
    const dest = backend.createDestination(keys, options);
    const session = new SamSession(id, style as SamStyle | 'PRIMARY', dest, {
      clock: backend.clock,
      log: backend.log,
      version: this.version,
      writeControl: (b) => this.write(b),
      sendUdp: (b, to) => this.ctx.sendUdp(b, to),
      streams: () => backend.streams(dest),
    });
    this.session = session;
    this.ctx.registry.addSession(session);
    if (sub) this.ctx.registry.addSub(session.add({ ...sub, id }));
    const ready = await this.waitReady(session);
    if (this.state === 'closed' || session.isClosed) return;
    if (!ready) {
      this.closeSession();
      return this.sessionStatus('I2P_ERROR', `the destination's tunnels were not ready within ${Math.round(this.ctx.limits.sessionReadyTimeoutMs / 1000)} s`, true);
    }
    this.log.info('sam session created', { id, style, b32: dest.b32 });
    this.write(formatReply('SESSION', 'STATUS', [['RESULT', 'OK'], ['DESTINATION', privateKeysBase64(keys.privateKeys)]]));
  }

  /** Tunnels both ways and a LeaseSet: then streams and datagrams can flow (i2pd's IsReady). */
  private waitReady(session: SamSession): Promise<boolean> {
    const { clock } = this.ctx.backend;
    const deadline = clock.now() + this.ctx.limits.sessionReadyTimeoutMs;
    return new Promise((resolve) => {
      const check = () => {
        if (this.state === 'closed' || session.isClosed) return resolve(false);
        const t = session.dest.tunnelCounts();
        if (session.dest.leaseSet && t.inbound > 0 && t.outbound > 0) return resolve(true);
        if (clock.now() >= deadline) return resolve(false);
        clock.setTimer(200, check);
      };
      check();
    });
  }

  private subOptions(style: SamStyle, o: ReadonlyMap<string, string>, isSub: boolean): Omit<SubSession, 'session' | 'id'> {
    return subsessionOptions(style, o, isSub, (given) => this.forwardHost(given));
  }

  private forwardHost(given: string | undefined): string {
    return forwardHost(given, this.socket.remoteAddress, this.ctx.limits.allowRemoteForward);
  }

  private sessionAdd(cmd: SamCommand): void {
    const o = cmd.options;
    const primary = this.session;
    if (!primary || primary.style !== 'PRIMARY') return this.sessionStatus('I2P_ERROR', 'SESSION ADD needs a PRIMARY session on this connection');
    const style = (o.get('STYLE') ?? '').toUpperCase();
    if (!['STREAM', 'DATAGRAM', 'RAW'].includes(style)) return this.sessionStatus('I2P_ERROR', 'STYLE must be STREAM, DATAGRAM or RAW');
    const id = o.get('ID') ?? '';
    const bad = this.checkId(id);
    if (bad) return this.sessionStatus('I2P_ERROR', bad);
    if (this.ctx.registry.has(id)) return this.sessionStatus('DUPLICATED_ID', `a session named ${id} exists`);
    if (o.has('DESTINATION')) return this.sessionStatus('I2P_ERROR', 'a subsession uses the destination of its PRIMARY session: no DESTINATION');
    try {
      const sub = primary.add({ ...this.subOptions(style as SamStyle, o, true), id });
      this.ctx.registry.addSub(sub);
    } catch (e) {
      if (e instanceof SamOptionError || e instanceof SamSessionError) return this.sessionStatus('I2P_ERROR', e.message);
      throw e;
    }
    this.write(formatReply('SESSION', 'STATUS', [['RESULT', 'OK'], ['ID', id], ['MESSAGE', `ADD ${id}`]]));
  }

  private sessionRemove(cmd: SamCommand): void {
    const primary = this.session;
    if (!primary || primary.style !== 'PRIMARY') return this.sessionStatus('I2P_ERROR', 'SESSION REMOVE needs a PRIMARY session on this connection');
    const id = cmd.options.get('ID') ?? '';
    if (!primary.remove(id)) return this.write(resultReply('SESSION', 'STATUS', 'INVALID_ID', `no subsession ${id.slice(0, 40)} on this session`));
    this.ctx.registry.removeSub(id);
    this.write(formatReply('SESSION', 'STATUS', [['RESULT', 'OK'], ['ID', id], ['MESSAGE', `REMOVE ${id}`]]));
  }

  // ---- streams ---------------------------------------------------------------------------

  /** The STREAM subsession a STREAM command names, or a reply saying why not (and the socket closes). */
  private streamSub(cmd: SamCommand, silent: boolean): SubSession | undefined {
    const fail = (result: SamResult, message: string) => {
      if (silent) {
        this.close();
      } else this.replyAndClose(resultReply('STREAM', 'STATUS', result, message));
      return undefined;
    };
    if (this.session) {
      // An error, not the end of the session this socket holds.
      this.refuse("a session's control socket cannot carry streams: open another connection", 'STREAM', 'STATUS');
      return undefined;
    }
    const id = cmd.options.get('ID') ?? '';
    const sub = this.ctx.registry.get(id);
    if (!sub) return fail('INVALID_ID', this.ctx.registry.has(id) ? `${id} is a PRIMARY session: use one of its subsessions` : `no session ${id.slice(0, 40)}`);
    if (sub.style !== 'STREAM') return fail('I2P_ERROR', `session ${id} is not a STREAM session`);
    return sub;
  }

  private silentOption(cmd: SamCommand): boolean | undefined {
    try {
      return booleanOption(cmd.options, 'SILENT', false);
    } catch (e) {
      this.replyAndClose(resultReply('STREAM', 'STATUS', 'I2P_ERROR', (e as Error).message));
      return undefined;
    }
  }

  private streamStatus(silent: boolean, result: SamResult, message?: string): void {
    if (result !== 'OK') {
      if (silent) {
        this.close();
      } else this.replyAndClose(resultReply('STREAM', 'STATUS', result, message));
      return;
    }
    if (!silent) this.write(resultReply('STREAM', 'STATUS', 'OK'));
  }

  private async streamConnect(cmd: SamCommand): Promise<void> {
    const silent = this.silentOption(cmd);
    if (silent === undefined) return;
    const sub = this.streamSub(cmd, silent);
    if (!sub) return;
    let fromPort: number;
    let toPort: number;
    try {
      fromPort = portOption(cmd.options, 'FROM_PORT') ?? sub.fromPort;
      toPort = portOption(cmd.options, 'TO_PORT') ?? sub.toPort;
    } catch (e) {
      return this.streamStatus(silent, 'I2P_ERROR', (e as Error).message);
    }
    let hash: Uint8Array;
    try {
      hash = (await resolveTarget(cmd.options.get('DESTINATION') ?? '', this.ctx.backend)).hash;
    } catch (e) {
      if (e instanceof SamTargetError) return this.streamStatus(silent, 'INVALID_KEY', e.message);
      throw e;
    }
    let stream: SamStream;
    try {
      stream = await this.ctx.backend.streams(sub.session.dest).connect(hash, { fromPort, toPort, timeoutMs: this.ctx.limits.connectTimeoutMs });
    } catch (e) {
      const code = (e as { code?: string }).code;
      const result: SamResult = code === 'TIMEOUT' ? 'TIMEOUT' : code === 'LIMIT' || code === 'CLOSED' ? 'I2P_ERROR' : 'CANT_REACH_PEER';
      return this.streamStatus(silent, result, (e as Error).message);
    }
    if (this.state === 'closed' || this.socket.destroyed || sub.session.isClosed) {
      stream.destroy();
      return;
    }
    sub.session.counters.streamsOut++;
    this.streamStatus(silent, 'OK');
    this.enterStream(stream, sub.session);
  }

  private streamAccept(cmd: SamCommand): void {
    const silent = this.silentOption(cmd);
    if (silent === undefined) return;
    const sub = this.streamSub(cmd, silent);
    if (!sub) return;
    this.streamStatus(silent, 'OK');
    this.state = 'accepting';
    const detach = sub.session.attach(this.socket);
    this.cleanups.push(detach);
    try {
      const cancel = sub.session.accept(sub.id, (stream) => {
        if (this.state !== 'accepting' || this.socket.destroyed) {
          stream.destroy();
          return;
        }
        if (!silent) this.write(this.peerLineFor(stream));
        this.enterStream(stream, sub.session);
      });
      this.cleanups.push(cancel);
    } catch (e) {
      if (!(e instanceof SamSessionError)) throw e;
      // OK was said already (or nothing, when silent): the spec allows an error line here.
      if (!silent) this.write(resultReply('STREAM', 'STATUS', 'I2P_ERROR', e.message));
      this.close();
    }
  }

  /** What an accepting (or forwarded-to) client reads first: the peer's destination, and from 3.2 on the ports. */
  private peerLineFor(stream: SamStream, version: SamVersion = this.version): string {
    const dest = destinationBase64(stream.remoteDestination);
    return atLeast32(version) ? `${dest} FROM_PORT=${stream.remotePort} TO_PORT=${stream.localPort}\n` : `${dest}\n`;
  }

  private streamForward(cmd: SamCommand): void {
    const silent = this.silentOption(cmd);
    if (silent === undefined) return;
    // FORWARD always answers, SILENT or not.
    const sub = this.streamSub(cmd, false);
    if (!sub) return;
    let host: string;
    let port: number | undefined;
    try {
      port = portOption(cmd.options, 'PORT');
      if (port === undefined || port === 0) throw new SamOptionError('PORT (1..65535) is required');
      if (booleanOption(cmd.options, 'SSL', false)) throw new SamOptionError('SSL=true is not supported');
      host = this.forwardHost(cmd.options.get('HOST'));
    } catch (e) {
      return this.replyAndClose(resultReply('STREAM', 'STATUS', 'I2P_ERROR', (e as Error).message));
    }
    const version = this.version;
    const to = { host, port };
    let stop: () => void;
    try {
      stop = sub.session.forwardStreams(sub.id, (stream) => this.forwardOne(sub.session, stream, to, silent, version));
    } catch (e) {
      if (!(e instanceof SamSessionError)) throw e;
      return this.replyAndClose(resultReply('STREAM', 'STATUS', 'I2P_ERROR', e.message));
    }
    this.cleanups.push(stop, sub.session.attach(this.socket));
    this.state = 'forwarding';
    this.write(resultReply('STREAM', 'STATUS', 'OK'));
  }

  private forwardOne(session: SamSession, stream: SamStream, to: { host: string; port: number }, silent: boolean, version: SamVersion): void {
    forwardToLocal(stream, to, {
      clock: this.ctx.backend.clock,
      timeoutMs: this.ctx.limits.forwardConnectTimeoutMs,
      header: silent ? undefined : this.peerLineFor(stream, version),
      attach: (sock) => session.attach(sock),
      onStreamError: (e) => this.streamFailed(session, e),
    });
  }

  private enterStream(stream: SamStream, session: SamSession): void {
    this.state = 'stream';
    const leftover = this.buf.length > 0 ? Buffer.from(this.buf) : undefined;
    this.buf = Buffer.alloc(0);
    this.socket.removeAllListeners('data');
    const detach = session.attach(this.socket);
    bridgeStream(this.socket, stream, leftover, detach, (e) => this.streamFailed(session, e));
  }

  private streamFailed(session: SamSession, e: Error): void {
    this.log.info('sam stream failed', { session: session.id, code: (e as { code?: string }).code, error: e.message });
  }

  // ---- datagrams on the control socket ---------------------------------------------------

  private datagramSend(cmd: SamCommand, style: 'DATAGRAM' | 'RAW'): void {
    const o = cmd.options;
    const max = style === 'RAW' ? MAX_RAW_PAYLOAD : MAX_REPLIABLE_PAYLOAD;
    const sizeText = o.get('SIZE') ?? '';
    const size = /^\d{1,6}$/.test(sizeText) ? Number(sizeText) : NaN;
    if (!(size >= 1 && size <= max)) return this.replyAndClose(resultReply('SESSION', 'STATUS', 'I2P_ERROR', `SIZE must be 1..${max}`));
    // Read the payload whatever happens next, so the stream of commands stays in step.
    this.binary = {
      need: size,
      then: (payload) => {
        const id = o.get('ID');
        const sub = id !== undefined ? this.ctx.registry.get(id) : this.session?.subsessions.get(this.session.id);
        if (!sub || sub.style !== style) return this.refuse(`no ${style} session ${id ? `named ${id.slice(0, 40)}` : 'on this connection'}`);
        let opts;
        try {
          opts = { fromPort: portOption(o, 'FROM_PORT'), toPort: portOption(o, 'TO_PORT'), protocol: style === 'RAW' ? rawProtocolOption(o) : undefined };
        } catch (e) {
          return this.refuse((e as Error).message);
        }
        resolveTarget(o.get('DESTINATION') ?? '', this.ctx.backend).then(
          (t) => void sub.session.sendDatagram(sub, t.hash, payload, opts),
          (e: Error) => this.log.debug('datagram not sent', { error: e.message }),
        );
      },
    };
  }

  // ---- utilities -------------------------------------------------------------------------

  private async namingLookup(cmd: SamCommand): Promise<void> {
    this.write(await namingLookupReply(cmd.options.get('NAME') ?? '', this.ctx.backend, this.session, () => this.state === 'closed'));
  }

  private destGenerate(cmd: SamCommand): void {
    this.write(destGenerateReply(cmd.options, this.ctx.backend.random));
  }

  // ---- end -------------------------------------------------------------------------------

  private closeSession(): void {
    const s = this.session;
    if (!s) return;
    this.session = undefined;
    s.close();
    this.ctx.registry.removeSession(s);
    this.ctx.backend.removeDestination(s.dest.hash);
    this.log.info('sam session closed', { id: s.id });
  }

  private onClose(): void {
    this.state = 'closed';
    if (this.helloTimer) this.ctx.backend.clock.clearTimer(this.helloTimer);
    for (const c of this.cleanups.splice(0)) c();
    this.closeSession();
  }

  /** For the server's shutdown. */
  destroy(): void {
    this.socket.destroy();
  }
}
