/**
 * SAM replies: `VERB OPCODE KEY=VALUE ...\n`, single spaces (some clients split on one space).
 * A value is quoted when it must be (empty, spaces, quotes, backslashes), with the 3.2 escapes;
 * MESSAGE is always quoted, as the spec writes it. Line breaks never reach the client: a value
 * with one would end the reply early.
 */

/** The RESULT values of samv3.html ("RESULT Values"), plus the per-command ones. */
export type SamResult =
  | 'OK'
  | 'CANT_REACH_PEER'
  | 'DUPLICATED_DEST'
  | 'DUPLICATED_ID'
  | 'I2P_ERROR'
  | 'INVALID_KEY'
  | 'INVALID_ID'
  | 'KEY_NOT_FOUND'
  | 'PEER_NOT_FOUND'
  | 'TIMEOUT'
  | 'NOVERSION'
  | 'ALREADY_ACCEPTING';

export type ReplyField = readonly [key: string, value: string | number | undefined];

export function quoteValue(v: string, always = false): string {
  const clean = v.replace(/[\r\n]+/g, ' ');
  if (!always && clean !== '' && !/[\s"\\]/.test(clean)) return clean;
  return '"' + clean.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

export function formatReply(verb: string, opcode: string, fields: readonly ReplyField[] = []): string {
  const parts = [verb, opcode];
  for (const [k, v] of fields) {
    if (v === undefined) continue;
    parts.push(`${k}=${quoteValue(String(v), k === 'MESSAGE')}`);
  }
  return parts.join(' ') + '\n';
}

/** `VERB OPCODE RESULT=x [MESSAGE="..."]`: the shape of every status reply. */
export function resultReply(verb: string, opcode: string, result: SamResult, message?: string, extra: readonly ReplyField[] = []): string {
  return formatReply(verb, opcode, [['RESULT', result], ...extra, ['MESSAGE', message]]);
}
