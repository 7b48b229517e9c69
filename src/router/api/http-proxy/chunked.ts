import { HttpProxyError, type HttpProxyErrorCode } from './errors.js';

/**
 * HTTP/1.1 chunked transfer coding (RFC 9112 7.1) as a byte-at-a-time state machine: it finds
 * where a chunked body ends (so the proxy forwards exactly the request body and nothing after
 * it) and decodes one (address-book subscriptions read hosts.txt this way). Extensions and
 * trailers are skipped, bounded in size.
 */

const MAX_SIZE_DIGITS = 12; // 2^48 - 1: far beyond any body we carry
const MAX_LINE = 4096; // a chunk-size line with its extensions, or one trailer line
const MAX_TRAILER = 16 * 1024;

type State = 'size' | 'ext' | 'size-lf' | 'data' | 'data-cr' | 'data-lf' | 'trailer' | 'trailer-lf' | 'done';

export class ChunkedDecoder {
  private state: State = 'size';
  private size = 0;
  private digits = 0;
  private lineLen = 0;
  private trailerLen = 0;
  private remaining = 0;

  constructor(private readonly errorCode: HttpProxyErrorCode = 'BAD_BODY_FRAMING') {}

  get done(): boolean {
    return this.state === 'done';
  }

  /**
   * Consumes bytes of `chunk` up to the end of the body. `data` is the decoded content in it;
   * `consumed` how many bytes of `chunk` belonged to the body (the rest is what follows it).
   */
  push(chunk: Uint8Array): { data: Buffer[]; consumed: number } {
    const data: Buffer[] = [];
    let i = 0;
    while (i < chunk.length && this.state !== 'done') {
      if (this.state === 'data') {
        const n = Math.min(this.remaining, chunk.length - i);
        data.push(Buffer.from(chunk.buffer, chunk.byteOffset + i, n));
        this.remaining -= n;
        i += n;
        if (this.remaining === 0) this.state = 'data-cr';
        continue;
      }
      const b = chunk[i++];
      switch (this.state) {
        case 'size': {
          const v = hexValue(b);
          if (v >= 0) {
            if (++this.digits > MAX_SIZE_DIGITS) this.fail('a chunk size with too many digits');
            this.size = this.size * 16 + v;
            this.lineLen++;
          } else if (this.digits === 0) {
            this.fail('a chunk without a size');
          } else if (b === 0x3b /* ; */ || b === 0x20 || b === 0x09) {
            this.state = 'ext';
            this.lineLen++;
          } else if (b === 0x0d) {
            this.state = 'size-lf';
          } else {
            this.fail('a bad character in a chunk size');
          }
          break;
        }
        case 'ext':
          if (b === 0x0d) this.state = 'size-lf';
          else if (b === 0x0a || ++this.lineLen > MAX_LINE) this.fail('a chunk extension that does not end');
          break;
        case 'size-lf':
          if (b !== 0x0a) this.fail('a chunk size line not ended by CRLF');
          this.lineLen = 0;
          this.digits = 0;
          if (this.size === 0) {
            this.state = 'trailer';
          } else {
            this.remaining = this.size;
            this.state = 'data';
          }
          this.size = 0;
          break;
        case 'data-cr':
          if (b !== 0x0d) this.fail('chunk data not followed by CRLF');
          this.state = 'data-lf';
          break;
        case 'data-lf':
          if (b !== 0x0a) this.fail('chunk data not followed by CRLF');
          this.state = 'size';
          break;
        case 'trailer':
          if (b === 0x0d) {
            this.state = 'trailer-lf';
          } else {
            if (b === 0x0a || ++this.lineLen > MAX_LINE || ++this.trailerLen > MAX_TRAILER) this.fail('a trailer that does not end');
          }
          break;
        case 'trailer-lf':
          if (b !== 0x0a) this.fail('a trailer line not ended by CRLF');
          // An empty line ends the body; any other was one trailer field.
          this.state = this.lineLen === 0 ? 'done' : 'trailer';
          this.lineLen = 0;
          break;
      }
    }
    return { data, consumed: i };
  }

  private fail(why: string): never {
    throw new HttpProxyError(this.errorCode, `bad chunked body: ${why}`);
  }
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  return -1;
}

/** The chunked coding of `parts` (tests, and anyone sending a body of unknown length). */
export function encodeChunked(parts: readonly Uint8Array[]): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) if (p.length > 0) out.push(Buffer.from(`${p.length.toString(16)}\r\n`), Buffer.from(p), Buffer.from('\r\n'));
  out.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(out);
}
