/**
 * One SAM v3 command line (samv3.html, "Encoding and Escaping"): `VERB [OPCODE] [KEY=VALUE]...`,
 * `PING[ text]`. Values may be double-quoted (spaces kept inside); as of 3.2 a backslash escapes
 * a quote or a backslash. Several spaces between tokens are allowed. Empty values (`KEY`,
 * `KEY=`, `KEY=""`) read as "". Verb and opcode are mapped to upper case (the spec's advice,
 * for telnet); keys and values never are (they carry I2CP options).
 */

/** Longest command line we read (a SESSION CREATE with a private key and many options fits easily). */
export const MAX_LINE_BYTES = 16 * 1024;
/** Most KEY=VALUE options on one line. */
export const MAX_OPTIONS = 128;

export type SamParseErrorCode = 'EMPTY' | 'LINE_TOO_LONG' | 'UNTERMINATED_QUOTE' | 'BAD_KEY' | 'TOO_MANY_OPTIONS' | 'BAD_CHARACTER' | 'BAD_VERB';

export class SamParseError extends Error {
  override readonly name = 'SamParseError';
  constructor(
    readonly code: SamParseErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface SamCommand {
  verb: string;
  /** The second word when it is not an option (`SESSION CREATE`); '' for `PING`, `QUIT`... */
  opcode: string;
  options: Map<string, string>;
  /** PING/PONG: the text after the verb, as sent. */
  text?: string;
}

const VERB = /^[A-Za-z][A-Za-z0-9_]*$/;

/** A line without its terminating "\n" (a trailing "\r" is dropped too). */
export function parseSamCommand(line: string): SamCommand {
  if (line.endsWith('\r')) line = line.slice(0, -1);
  if (Buffer.byteLength(line, 'utf8') > MAX_LINE_BYTES) throw new SamParseError('LINE_TOO_LONG', `a command line is at most ${MAX_LINE_BYTES} bytes`);
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    // Tabs are whitespace to a telnet user; other control characters have no place in a command.
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) throw new SamParseError('BAD_CHARACTER', `control character 0x${c.toString(16).padStart(2, '0')} at ${i}`);
  }
  const trimmed = line.replace(/^[ \t]+/, '');
  if (trimmed.trim() === '') throw new SamParseError('EMPTY', 'empty command line');
  const ping = /^(PING|PONG)(?:[ \t](.*))?$/i.exec(trimmed);
  if (ping) return { verb: ping[1].toUpperCase(), opcode: '', options: new Map(), text: ping[2] ?? '' };

  const tokens = tokenize(trimmed);
  const verb = tokens[0];
  if (!VERB.test(verb.raw) || verb.quoted) throw new SamParseError('BAD_VERB', `not a command: ${JSON.stringify(verb.raw.slice(0, 40))}`);
  let i = 1;
  let opcode = '';
  if (tokens.length > 1 && !tokens[1].quoted && !tokens[1].raw.includes('=') && VERB.test(tokens[1].raw)) {
    opcode = tokens[1].raw.toUpperCase();
    i = 2;
  }
  if (tokens.length - i > MAX_OPTIONS) throw new SamParseError('TOO_MANY_OPTIONS', `at most ${MAX_OPTIONS} options on a line`);
  const options = new Map<string, string>();
  for (; i < tokens.length; i++) {
    const { key, value } = splitOption(tokens[i]);
    options.set(key, value);
  }
  return { verb: verb.raw.toUpperCase(), opcode, options };
}

interface Token {
  /** The token with quotes removed and escapes applied. */
  raw: string;
  /** Where the first unquoted '=' was (-1: none); a quoted '=' belongs to the value. */
  eq: number;
  quoted: boolean;
}

function tokenize(s: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = s.length;
  while (i < n) {
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
    if (i >= n) break;
    let raw = '';
    let eq = -1;
    let quoted = false;
    let inQuote = false;
    while (i < n) {
      const c = s[i];
      if (!inQuote && (c === ' ' || c === '\t')) break;
      if (c === '\\' && i + 1 < n && (s[i + 1] === '"' || s[i + 1] === '\\')) {
        raw += s[i + 1];
        i += 2;
        continue;
      }
      if (c === '"') {
        inQuote = !inQuote;
        quoted = true;
        i++;
        continue;
      }
      if (c === '=' && !inQuote && eq < 0) eq = raw.length;
      raw += c;
      i++;
    }
    if (inQuote) throw new SamParseError('UNTERMINATED_QUOTE', 'a quoted value is not closed');
    tokens.push({ raw, eq, quoted });
  }
  return tokens;
}

function splitOption(t: Token): { key: string; value: string } {
  const key = t.eq < 0 ? t.raw : t.raw.slice(0, t.eq);
  const value = t.eq < 0 ? '' : t.raw.slice(t.eq + 1);
  if (key === '') throw new SamParseError('BAD_KEY', 'an option without a key');
  if (!/^[A-Za-z0-9_.:\-\[\]]+$/.test(key)) throw new SamParseError('BAD_KEY', `bad option key ${JSON.stringify(key.slice(0, 40))}`);
  return { key, value };
}
