/**
 * The datagram bridge's framing (samv3.html, "Sending Repliable or Raw Datagrams" and
 * "Forwarding Raw or Repliable Datagrams"): what a client sends to UDP 7655 is one line
 * `3.x $nickname $destination [FROM_PORT=n] [TO_PORT=n] [PROTOCOL=n] [3.3 options]\n` and then
 * the payload; what we forward to a client's HOST:PORT starts with a header line for repliable
 * datagrams (and for raw ones with HEADER=true).
 */
import { parseSamCommand, SamParseError } from './command.js';
import { portOption, rawProtocolOption } from './options.js';

/** The largest payload a client may send: repliable datagrams are "up to 31744 bytes", raw "up to 32768". */
export const MAX_REPLIABLE_PAYLOAD = 31744;
export const MAX_RAW_PAYLOAD = 32768;
/** The header line is short: a version, an ID, a destination (≤ 616 base64 chars) and a few options. */
export const MAX_UDP_HEADER = 2048;

export class SamDatagramError extends Error {
  override readonly name = 'SamDatagramError';
  constructor(
    readonly code: 'NO_HEADER' | 'BAD_VERSION' | 'BAD_HEADER' | 'TOO_LARGE' | 'EMPTY',
    message: string,
  ) {
    super(message);
  }
}

export interface UdpDatagram {
  version: string;
  id: string;
  destination: string;
  fromPort?: number;
  toPort?: number;
  protocol?: number;
  payload: Uint8Array;
}

export function parseUdpDatagram(packet: Uint8Array): UdpDatagram {
  const nl = packet.subarray(0, MAX_UDP_HEADER + 1).indexOf(0x0a);
  if (nl < 0) throw new SamDatagramError('NO_HEADER', `no header line in the first ${MAX_UDP_HEADER} bytes`);
  const line = Buffer.from(packet.buffer, packet.byteOffset, nl).toString('utf8');
  const payload = packet.subarray(nl + 1);
  const words = line.replace(/\r$/, '').split(/[ \t]+/).filter((w) => w !== '');
  if (words.length < 3) throw new SamDatagramError('BAD_HEADER', 'the header is "3.x ID DESTINATION [options]"');
  const [version, id, destination] = words;
  if (!/^3(\.\d{1,2})?$/.test(version)) throw new SamDatagramError('BAD_VERSION', `version ${JSON.stringify(version.slice(0, 10))} is not 3.x`);
  let options: Map<string, string>;
  try {
    options = words.length > 3 ? parseSamCommand('X ' + words.slice(3).join(' ')).options : new Map();
  } catch (e) {
    throw new SamDatagramError('BAD_HEADER', e instanceof SamParseError ? e.message : String(e));
  }
  if (payload.length === 0) throw new SamDatagramError('EMPTY', 'a datagram carries at least one byte');
  try {
    return { version, id, destination, fromPort: portOption(options, 'FROM_PORT'), toPort: portOption(options, 'TO_PORT'), protocol: rawProtocolOption(options), payload };
  } catch (e) {
    throw new SamDatagramError('BAD_HEADER', (e as Error).message);
  }
}

/** What a forwarded repliable datagram starts with (ports from 3.2 on). */
export function repliableForwardHeader(destinationBase64: string, fromPort: number, toPort: number, withPorts: boolean): string {
  return withPorts ? `${destinationBase64} FROM_PORT=${fromPort} TO_PORT=${toPort}\n` : `${destinationBase64}\n`;
}

/** HEADER=true on a RAW session: the ports and protocol before the payload. */
export function rawForwardHeader(fromPort: number, toPort: number, protocol: number): string {
  return `FROM_PORT=${fromPort} TO_PORT=${toPort} PROTOCOL=${protocol}\n`;
}
