import { keysAndCertHash, type Destination } from '../data/index.js';
import { encodeI2cpPayload, PROTO_DATAGRAM, PROTO_DATAGRAM_RAW, type I2cpPayload } from './i2cp-payload.js';
import { encodeDatagram1, encodeRawDatagram, openDatagram1, signDatagram1 } from './datagram.js';
import type { LocalDestination } from './destination.js';

export type DatagramKind = 'repliable' | 'raw';

export interface ReceivedDatagram {
  kind: DatagramKind;
  /** The sender, verified (repliable only): reply to it. */
  from?: Destination;
  fromHash?: Uint8Array;
  fromPort: number;
  toPort: number;
  payload: Uint8Array;
}

export interface DatagramCounters {
  sent: number;
  received: number;
  /** A repliable datagram whose signature did not verify, or an undecodable one. */
  refused: number;
}

/**
 * Datagrams on a destination (datagrams.rst): repliable ones (protocol 17, signed by the
 * sender, so the receiver can answer) and raw ones (18), in the I2CP framing that carries the
 * protocol and the source and destination ports.
 */
export class DatagramEndpoint {
  readonly counters: DatagramCounters = { sent: 0, received: 0, refused: 0 };
  private readonly handlers = new Set<(d: ReceivedDatagram) => void>();
  private readonly offs: (() => void)[];

  constructor(private readonly dest: LocalDestination) {
    this.offs = [dest.onPayload(PROTO_DATAGRAM, (p) => this.onPayload(p)), dest.onPayload(PROTO_DATAGRAM_RAW, (p) => this.onPayload(p))];
  }

  onDatagram(h: (d: ReceivedDatagram) => void): () => void {
    this.handlers.add(h);
    return () => this.handlers.delete(h);
  }

  async send(to: Uint8Array, payload: Uint8Array, opts: { kind?: DatagramKind; fromPort?: number; toPort?: number } = {}): Promise<void> {
    const kind = opts.kind ?? 'repliable';
    const { privateKeys } = this.dest.keys;
    const body = kind === 'raw' ? encodeRawDatagram(payload) : encodeDatagram1(signDatagram1(privateKeys.destination, privateKeys.signingPrivateKey, payload));
    const framed = encodeI2cpPayload({ protocol: kind === 'raw' ? PROTO_DATAGRAM_RAW : PROTO_DATAGRAM, sourcePort: opts.fromPort ?? 0, destPort: opts.toPort ?? 0, payload: body });
    await this.dest.send(to, framed);
    this.counters.sent++;
  }

  private onPayload(p: I2cpPayload): void {
    let d: ReceivedDatagram;
    if (p.protocol === PROTO_DATAGRAM) {
      try {
        const dg = openDatagram1(p.payload);
        d = { kind: 'repliable', from: dg.from, fromHash: keysAndCertHash(dg.from), fromPort: p.sourcePort, toPort: p.destPort, payload: dg.payload };
      } catch {
        this.counters.refused++;
        return;
      }
    } else if (p.protocol === PROTO_DATAGRAM_RAW) {
      d = { kind: 'raw', fromPort: p.sourcePort, toPort: p.destPort, payload: p.payload };
    } else {
      return;
    }
    this.counters.received++;
    for (const h of this.handlers) h(d);
  }

  close(): void {
    for (const off of this.offs) off();
    this.handlers.clear();
  }
}
