/**
 * SAM v3 (samv3.html) as text: reply lines parsed, command lines formatted, the accept line and
 * the datagrams the bridge forwards over UDP read. No I/O here: sam-connection.ts and
 * sam-client.ts drive it. Every reader checks lengths and ranges and throws SamProtocolError.
 */

/** A reply line longer than this is refused (a NAMING REPLY with a destination is ~600 bytes). */
export const MAX_SAM_LINE = 16 * 1024;
/** Most key=value pairs on one line. */
const MAX_PARAMS = 64;
/** samv3.html: datagrams are never larger than 64 KiB; the forwarded header adds a destination. */
export const MAX_SAM_DATAGRAM = 65_536 + 2_048;
/** The header line of a forwarded datagram: a base64 destination (up to ~1 KB) and ports. */
const MAX_DATAGRAM_HEADER = 4_096;

export class SamProtocolError extends Error {
  override readonly name = 'SamProtocolError';
  constructor(
    readonly code: 'PARSE' | 'TOO_LONG' | 'BAD_VALUE',
    message: string,
  ) {
    super(message);
  }
}

export interface SamMessage {
  /** e.g. "HELLO", "SESSION", "STREAM", "NAMING", "DEST", "DATAGRAM", "RAW", "PING". */
  topic: string;
  /** e.g. "REPLY", "STATUS", "RECEIVED"; '' when the line has only a topic. */
  verb: string;
  /** KEY=VALUE pairs (a bare KEY reads as ''); the first occurrence of a key wins. */
  params: Map<string, string>;
}

/**
 * One line of the bridge (without its '\n'). Tokens are separated by one or more spaces; a
 * value may be double-quoted with '\"' and '\\' escapes (3.2); a bare word after the verb is a
 * key with an empty value.
 */
export function parseSamLine(line: string): SamMessage {
  if (typeof line !== 'string') throw new SamProtocolError('PARSE', 'not a string');
  if (line.length > MAX_SAM_LINE) throw new SamProtocolError('TOO_LONG', `line of ${line.length} characters (at most ${MAX_SAM_LINE})`);
  if (line.endsWith('\r')) line = line.slice(0, -1);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(line)) throw new SamProtocolError('PARSE', 'control character in the line');
  const tokens = tokenize(line);
  if (tokens.length === 0) throw new SamProtocolError('PARSE', 'empty line');
  const [topic, ...rest] = tokens;
  if (topic.quoted || topic.text.includes('=') || topic.text === '') throw new SamProtocolError('PARSE', 'the line does not start with a command word');
  let verb = '';
  let i = 0;
  if (rest.length > 0 && !rest[0].quoted && !rest[0].text.includes('=')) {
    verb = rest[0].text;
    i = 1;
  }
  const params = new Map<string, string>();
  for (; i < rest.length; i++) {
    const t = rest[i];
    if (params.size >= MAX_PARAMS) throw new SamProtocolError('TOO_LONG', `more than ${MAX_PARAMS} parameters`);
    const eq = t.keyEnd;
    const key = eq === -1 ? t.text : t.text.slice(0, eq);
    const value = eq === -1 ? '' : t.text.slice(eq + 1);
    if (key === '') throw new SamProtocolError('PARSE', 'a parameter without a key');
    if (!params.has(key)) params.set(key, value);
  }
  return { topic: topic.text, verb, params };
}

interface Token {
  text: string;
  /** Index of the '=' that ends the key in `text`, or -1. */
  keyEnd: number;
  quoted: boolean;
}

function tokenize(line: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
    if (i >= n) break;
    let text = '';
    let keyEnd = -1;
    let quoted = false;
    while (i < n && line[i] !== ' ' && line[i] !== '\t') {
      const c = line[i];
      if (c === '"') {
        quoted = true;
        i++;
        let closed = false;
        while (i < n) {
          const q = line[i];
          if (q === '\\' && i + 1 < n && (line[i + 1] === '"' || line[i + 1] === '\\')) {
            text += line[i + 1];
            i += 2;
          } else if (q === '"') {
            closed = true;
            i++;
            break;
          } else {
            text += q;
            i++;
          }
        }
        if (!closed) throw new SamProtocolError('PARSE', 'unterminated quoted value');
      } else {
        if (c === '=' && keyEnd === -1 && !quoted) keyEnd = text.length;
        text += c;
        i++;
      }
    }
    out.push({ text, keyEnd, quoted });
  }
  return out;
}

export type SamParams = ReadonlyArray<readonly [string, string | number | boolean | undefined]>;

/**
 * A command line ("STREAM CONNECT ID=x DESTINATION=... \n"). Keys are refused unless plain;
 * values with spaces or quotes are quoted and escaped; line breaks are refused everywhere.
 */
export function formatSamCommand(topic: string, verb: string, params: SamParams = []): string {
  const words = [checkWord(topic, 'command')];
  if (verb !== '') words.push(checkWord(verb, 'command'));
  for (const [key, raw] of params) {
    if (raw === undefined) continue;
    checkWord(key, 'key');
    if (key.includes('=')) throw new SamProtocolError('BAD_VALUE', `bad key ${JSON.stringify(key)}`);
    const value = String(raw);
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f\x7f]/.test(value)) throw new SamProtocolError('BAD_VALUE', `control character in the value of ${key}`);
    // Only what needs it is quoted: a 3.1 bridge (i2pd 2.45) keeps quotes as part of the value,
    // and base64 keys end in '=' padding, which the first '=' of the pair already tells apart.
    words.push(/[\s"\\]/.test(value) || value === '' ? `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : `${key}=${value}`);
  }
  const line = words.join(' ') + '\n';
  if (line.length > MAX_SAM_LINE) throw new SamProtocolError('TOO_LONG', 'command too long');
  return line;
}

function checkWord(w: string, what: string): string {
  if (typeof w !== 'string' || !/^[A-Za-z0-9_.:-]+$/.test(w)) throw new SamProtocolError('BAD_VALUE', `bad ${what} ${JSON.stringify(w)}`);
  return w;
}

/** A port value from the bridge or the app: an integer 0..65535 in decimal. */
export function parsePort(value: string | undefined, field = 'port'): number {
  if (value === undefined || value === '') return 0;
  if (!/^\d{1,5}$/.test(value)) throw new SamProtocolError('BAD_VALUE', `${field} is not a port: ${JSON.stringify(value.slice(0, 20))}`);
  const n = Number(value);
  if (n > 65535) throw new SamProtocolError('BAD_VALUE', `${field} ${n} is out of range`);
  return n;
}

/** "3.1" → [3, 1]; the bridge's VERSION must be 3.x. */
export function parseSamVersion(v: string | undefined): { major: number; minor: number; text: string } {
  const m = /^(\d{1,2})\.(\d{1,2})$/.exec(v ?? '');
  if (!m) throw new SamProtocolError('BAD_VALUE', `bad SAM version ${JSON.stringify((v ?? '').slice(0, 20))}`);
  return { major: Number(m[1]), minor: Number(m[2]), text: v! };
}

/** I2P base64 of a destination: the alphabet, '=' padding only at the end. */
const BASE64_DEST = /^[A-Za-z0-9~-]{500,1200}={0,2}$/;

export interface AcceptLine {
  destination: string;
  fromPort: number;
  toPort: number;
}

/**
 * The line the bridge writes first on an accepted or forwarded stream: the remote's base64
 * destination, and on 3.2+ " FROM_PORT=n TO_PORT=n". A STREAM STATUS line here is an error
 * after OK (samv3.html "Errors After OK") and is returned as such.
 */
export function parseAcceptLine(line: string): AcceptLine | { error: string } {
  if (line.length > MAX_SAM_LINE) throw new SamProtocolError('TOO_LONG', `line of ${line.length} characters`);
  if (line.endsWith('\r')) line = line.slice(0, -1);
  if (line.startsWith('STREAM STATUS')) {
    const msg = parseSamLine(line);
    return { error: `${msg.params.get('RESULT') ?? 'I2P_ERROR'}${msg.params.has('MESSAGE') ? `: ${msg.params.get('MESSAGE')}` : ''}` };
  }
  // The destination may end in '=' padding, so it is split off before the key=value pairs.
  const sp = line.indexOf(' ');
  const destination = sp === -1 ? line : line.slice(0, sp);
  if (!BASE64_DEST.test(destination)) throw new SamProtocolError('PARSE', 'the accept line does not start with a base64 destination');
  const rest = sp === -1 ? '' : line.slice(sp + 1);
  const params = rest.trim() === '' ? new Map<string, string>() : parseSamLine(`X ${rest}`).params;
  return { destination, fromPort: parsePort(params.get('FROM_PORT'), 'FROM_PORT'), toPort: parsePort(params.get('TO_PORT'), 'TO_PORT') };
}

export interface ForwardedDatagram {
  kind: 'repliable' | 'raw';
  from?: string;
  fromPort: number;
  toPort: number;
  protocol?: number;
  payload: Uint8Array;
}

/**
 * A UDP packet the bridge forwarded to us (samv3.html "Forwarding Raw or Repliable Datagrams"):
 * repliable ones start with "$destination[ FROM_PORT=n TO_PORT=n]\n"; raw ones are the payload
 * as is, or (HEADER=true) after a "FROM_PORT=n TO_PORT=n PROTOCOL=n\n" line.
 */
export function parseForwardedDatagram(packet: Uint8Array, kind: 'repliable' | 'raw', rawHeader = false): ForwardedDatagram {
  if (packet.length > MAX_SAM_DATAGRAM) throw new SamProtocolError('TOO_LONG', `datagram of ${packet.length} bytes`);
  if (kind === 'raw' && !rawHeader) return { kind, fromPort: 0, toPort: 0, payload: packet };
  const nl = packet.subarray(0, MAX_DATAGRAM_HEADER + 1).indexOf(0x0a);
  if (nl === -1) throw new SamProtocolError('PARSE', 'no header line in the forwarded datagram');
  const header = Buffer.from(packet.buffer, packet.byteOffset, nl).toString('latin1');
  const payload = packet.subarray(nl + 1);
  if (kind === 'repliable') {
    const accept = parseAcceptLine(header);
    if ('error' in accept) throw new SamProtocolError('PARSE', 'a status line instead of a datagram header');
    return { kind, from: accept.destination, fromPort: accept.fromPort, toPort: accept.toPort, payload };
  }
  // The raw header has only key=value pairs: parse it behind a synthetic command word.
  const msg = parseSamLine(`RAW ${header}`);
  const protocol = msg.params.has('PROTOCOL') ? parsePort(msg.params.get('PROTOCOL'), 'PROTOCOL') : undefined;
  if (protocol !== undefined && protocol > 255) throw new SamProtocolError('BAD_VALUE', `PROTOCOL ${protocol} is out of range`);
  return { kind, fromPort: parsePort(msg.params.get('FROM_PORT'), 'FROM_PORT'), toPort: parsePort(msg.params.get('TO_PORT'), 'TO_PORT'), protocol, payload };
}

/**
 * A datagram for the bridge's UDP port: "3.x $id $destination[ FROM_PORT=n TO_PORT=n]\n" then
 * the payload. Ports only when the bridge speaks 3.2+ (i2pd 2.45 reads the rest of the line as
 * the destination).
 */
export function encodeDatagramSend(version: string, id: string, destination: string, payload: Uint8Array, ports?: { fromPort?: number; toPort?: number }): Uint8Array {
  checkWord(id, 'session id');
  if (!BASE64_DEST.test(destination) && !/^[a-z0-9.-]{1,80}\.i2p$/.test(destination)) throw new SamProtocolError('BAD_VALUE', 'not a destination for a datagram');
  let line = `${version} ${id} ${destination}`;
  if (ports) {
    for (const [k, v] of [['FROM_PORT', ports.fromPort], ['TO_PORT', ports.toPort]] as const) {
      if (v === undefined) continue;
      if (!Number.isInteger(v) || v < 0 || v > 65535) throw new SamProtocolError('BAD_VALUE', `${k} ${v} is out of range`);
      line += ` ${k}=${v}`;
    }
  }
  const head = Buffer.from(line + '\n', 'latin1');
  if (head.length + payload.length > MAX_SAM_DATAGRAM) throw new SamProtocolError('TOO_LONG', `datagram of ${payload.length} bytes is too large`);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}
