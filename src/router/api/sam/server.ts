/**
 * The SAM v3 bridge (samv3.html): a TCP listener for control and stream connections (127.0.0.1:
 * 7656 by default) and the datagram bridge on UDP (127.0.0.1:7655), which takes datagrams from
 * clients and forwards received ones to the HOST:PORT a session asked for. Bounded: connections,
 * sessions (SessionRegistry), line lengths (SamConnection), datagram sizes.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { SamBackend } from './backend.js';
import { SamConnection } from './connection.js';
import { DEFAULT_LIMITS, SessionRegistry, type SamLimits } from './registry.js';
import { MAX_RAW_PAYLOAD, MAX_REPLIABLE_PAYLOAD, parseUdpDatagram, SamDatagramError } from './datagram-header.js';
import type { DatagramForward } from './session.js';
import { resolveTarget } from './target.js';

export interface SamServerOptions {
  host: string;
  /** 0: any free port (tests). */
  port: number;
  /** 0: any free port; undefined: no datagram bridge. */
  udpPort?: number;
  limits?: Partial<SamLimits>;
  /** Open connections at once (each is a control socket, a stream or a forward). */
  maxConnections?: number;
}

export interface SamStatus {
  host: string;
  port: number;
  udpPort: number | undefined;
  sessions: number;
  connections: number;
  /** Commands seen since start, by name ("SESSION CREATE": 3). */
  commands: Record<string, number>;
  datagrams: { in: number; out: number; refused: number };
}

const MAX_COMMAND_NAMES = 64;

export class SamServer {
  readonly registry: SessionRegistry;
  private readonly limits: SamLimits;
  private tcp: Server | undefined;
  private udp: UdpSocket | undefined;
  private readonly connections = new Set<SamConnection>();
  private readonly commands = new Map<string, number>();
  private readonly udpCounters = { in: 0, out: 0, refused: 0 };
  private address: { port: number; udpPort: number | undefined } = { port: 0, udpPort: undefined };

  constructor(
    private readonly backend: SamBackend,
    private readonly options: SamServerOptions,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.registry = new SessionRegistry(this.limits.maxSessions);
  }

  async start(): Promise<{ port: number; udpPort: number | undefined }> {
    const tcp = createServer({ allowHalfOpen: true }, (s) => this.onConnection(s));
    tcp.maxConnections = this.options.maxConnections ?? 512;
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(this.options.port, this.options.host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    this.tcp = tcp;
    tcp.on('error', (e) => this.backend.log.warn('sam listener error', { error: e.message }));
    let udpPort: number | undefined;
    if (this.options.udpPort !== undefined) {
      const udp = createSocket({ type: this.options.host.includes(':') ? 'udp6' : 'udp4' });
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind(this.options.udpPort, this.options.host, () => {
            udp.off('error', reject);
            resolve();
          });
        });
      } catch (e) {
        await new Promise<void>((r) => tcp.close(() => r()));
        this.tcp = undefined;
        throw e;
      }
      udp.on('message', (msg) => this.onDatagram(msg));
      udp.on('error', (e) => this.backend.log.warn('sam datagram socket error', { error: e.message }));
      this.udp = udp;
      udpPort = udp.address().port;
    }
    const port = (tcp.address() as { port: number }).port;
    this.address = { port, udpPort };
    return this.address;
  }

  private onConnection(socket: Socket): void {
    const conn = new SamConnection(socket, {
      backend: this.backend,
      registry: this.registry,
      limits: this.limits,
      sendUdp: (bytes, to) => this.sendUdp(bytes, to),
      count: (name) => {
        if (!this.commands.has(name) && this.commands.size >= MAX_COMMAND_NAMES) name = 'OTHER';
        this.commands.set(name, (this.commands.get(name) ?? 0) + 1);
      },
    });
    this.connections.add(conn);
    socket.once('close', () => this.connections.delete(conn));
  }

  private sendUdp(bytes: Uint8Array, to: DatagramForward): void {
    if (!this.udp) return;
    this.udpCounters.out++;
    this.udp.send(bytes, to.port, to.host, (e) => {
      if (e) this.backend.log.debug('forwarded datagram not sent', { error: e.message });
    });
  }

  /** A datagram from a client: "3.x ID DESTINATION [options]\n" and the payload. */
  private onDatagram(msg: Buffer): void {
    let d;
    try {
      d = parseUdpDatagram(msg);
    } catch (e) {
      this.udpCounters.refused++;
      this.backend.log.debug('sam datagram refused', { error: e instanceof SamDatagramError ? e.message : String(e) });
      return;
    }
    const sub = this.registry.get(d.id);
    const max = sub?.style === 'RAW' ? MAX_RAW_PAYLOAD : MAX_REPLIABLE_PAYLOAD;
    if (!sub || sub.style === 'STREAM' || d.payload.length > max) {
      this.udpCounters.refused++;
      this.backend.log.debug('sam datagram refused', { id: d.id.slice(0, 40), reason: !sub ? 'no such session' : sub.style === 'STREAM' ? 'a STREAM session' : 'too large' });
      return;
    }
    this.udpCounters.in++;
    const payload = Uint8Array.prototype.slice.call(d.payload);
    resolveTarget(d.destination, this.backend).then(
      (t) => void sub.session.sendDatagram(sub, t.hash, payload, { fromPort: d.fromPort, toPort: d.toPort, protocol: sub.style === 'RAW' ? d.protocol : undefined }),
      (e: Error) => {
        this.udpCounters.refused++;
        this.backend.log.debug('sam datagram refused', { error: e.message });
      },
    );
  }

  status(): SamStatus {
    return {
      host: this.options.host,
      port: this.address.port,
      udpPort: this.address.udpPort,
      sessions: this.registry.size,
      connections: this.connections.size,
      commands: Object.fromEntries(this.commands),
      datagrams: { ...this.udpCounters },
    };
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    const tcp = this.tcp;
    this.tcp = undefined;
    if (tcp) await new Promise<void>((r) => tcp.close(() => r()));
    const udp = this.udp;
    this.udp = undefined;
    if (udp) await new Promise<void>((r) => udp.close(() => r()));
  }
}
