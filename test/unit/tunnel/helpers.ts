import type { RandomSource } from '../../../src/router/runtime/random.js';
import { decodeFragmentHeader, type FragmentHeader } from '../../../src/router/tunnel/delivery-instructions.js';
import { checkTunnelBlock } from '../../../src/router/tunnel/reassembler.js';

export interface ParsedBlock {
  padding: Uint8Array;
  entries: { header: FragmentHeader; fragment: Uint8Array }[];
}

/** Splits a cleartext block the way the spec describes it; throws on anything unexpected. */
export function parseBlock(block: Uint8Array): ParsedBlock {
  const check = checkTunnelBlock(block);
  if (!check.ok) throw new Error(`bad block: ${check.reason}`);
  const entries: ParsedBlock['entries'] = [];
  let p = check.payloadOffset;
  while (p < block.length) {
    const { header, end } = decodeFragmentHeader(block, p);
    if (end + header.size > block.length) throw new Error('fragment overruns the block');
    entries.push({ header, fragment: block.slice(end, end + header.size) });
    p = end + header.size;
  }
  return { padding: block.slice(20, check.payloadOffset - 1), entries };
}

/** Fisher-Yates with a RandomSource, so a failing shuffle is reproducible. */
export function shuffle<T>(items: readonly T[], random: RandomSource): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The worst RandomSource for padding: every byte it gives is zero. */
export const zeroRandom: RandomSource = {
  bytes: (n) => new Uint8Array(n),
  int: () => 0,
};
