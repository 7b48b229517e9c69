/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as ZIP and gzip use it. A table
 * implementation rather than zlib.crc32, which only exists from Node 20.15 / 22.2: this one
 * also takes a running value, and the tests check it against zlib.crc32 where that exists.
 */
const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c >>> 0;
}

/** The CRC-32 of `bytes`, continuing from `previous` (0 for a fresh start); unsigned 32-bit. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
