/**
 * The SU3 container (i2p.www i2p2www/spec/updates.rst, "SU3 File Specification"): a 40-byte
 * header, a version string, the signer's id, the content and a signature over everything before
 * it. Reseed bundles are SU3 files with file type 0 (zip) and content type 3 (reseed data).
 *
 * This module parses and checks the structure only. Verifying the signature needs the reseed
 * signers' X.509 certificates, which we do not ship; callers get the signed bytes and the
 * signature so a verifier can be added without touching the parser.
 */

export type Su3ErrorCode = 'TRUNCATED' | 'BAD_MAGIC' | 'UNSUPPORTED' | 'BAD_LENGTH' | 'BAD_FIELD';

export class Su3Error extends Error {
  override readonly name = 'Su3Error';
  constructor(
    readonly code: Su3ErrorCode,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`su3 ${field}: ${reason}`);
  }
}

export const SU3_MAGIC = 'I2Psu3';
export const SU3_HEADER_SIZE = 40;

/** Signature types an SU3 may name, with their signature lengths (common-structures.rst). */
export const SU3_SIGNATURE_LENGTHS: ReadonlyMap<number, number> = new Map([
  [0, 40], // DSA-SHA1
  [1, 64], // ECDSA-SHA256-P256
  [2, 96], // ECDSA-SHA384-P384
  [3, 132], // ECDSA-SHA512-P521
  [4, 256], // RSA-SHA256-2048
  [5, 384], // RSA-SHA384-3072
  [6, 512], // RSA-SHA512-4096: what reseed signers use
  [8, 64], // EdDSA-SHA512-Ed25519ph
]);

export const Su3FileType = { zip: 0, xml: 1, html: 2, xmlGz: 3, txtGz: 4, dmg: 5, exe: 6 } as const;
export const Su3ContentType = { unknown: 0, routerUpdate: 1, plugin: 2, reseed: 3, news: 4, blocklist: 5 } as const;

/** The spec requires at least 16 bytes of (zero-padded) version. */
const MIN_VERSION_LENGTH = 16;

export interface Su3File {
  readonly sigType: number;
  /** The version, its trailing 0x00 padding removed (for reseeds: seconds since the epoch). */
  readonly version: string;
  /** e.g. "zzz@mail.i2p": the name under which a verifier looks up the signer's certificate. */
  readonly signerId: string;
  readonly fileType: number;
  readonly contentType: number;
  readonly content: Uint8Array;
  /** Bytes 0 to the end of the content: what the signature covers. */
  readonly signedBytes: Uint8Array;
  readonly signature: Uint8Array;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Uint8Array, field: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new Su3Error('BAD_FIELD', field, 'is not UTF-8');
  }
}

/**
 * Parses an SU3 file. Every length is checked against the buffer, and the file must end
 * exactly after the signature. Unused header bytes are not checked: the spec asks writers to
 * zero them "for compatibility with future versions", and Java I2P's reader ignores them too.
 */
export function decodeSu3(bytes: Uint8Array): Su3File {
  if (bytes.length < SU3_HEADER_SIZE) {
    throw new Su3Error('TRUNCATED', 'header', `needs ${SU3_HEADER_SIZE} bytes, have ${bytes.length}`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < SU3_MAGIC.length; i++) {
    if (bytes[i] !== SU3_MAGIC.charCodeAt(i)) throw new Su3Error('BAD_MAGIC', 'magic', `not "${SU3_MAGIC}"`);
  }
  if (bytes[7] !== 0) throw new Su3Error('UNSUPPORTED', 'formatVersion', `format version ${bytes[7]}, only 0 is defined`);
  const sigType = dv.getUint16(8);
  const sigLength = dv.getUint16(10);
  const expected = SU3_SIGNATURE_LENGTHS.get(sigType);
  if (expected === undefined) throw new Su3Error('UNSUPPORTED', 'sigType', `unknown signature type ${sigType}`);
  if (sigLength !== expected) {
    throw new Su3Error('BAD_LENGTH', 'sigLength', `${sigLength} bytes, signature type ${sigType} has ${expected}`);
  }
  const versionLength = bytes[13];
  if (versionLength < MIN_VERSION_LENGTH) {
    throw new Su3Error('BAD_LENGTH', 'versionLength', `${versionLength} bytes, at least ${MIN_VERSION_LENGTH} required`);
  }
  const signerLength = bytes[15];
  if (signerLength === 0) throw new Su3Error('BAD_LENGTH', 'signerIdLength', 'is 0; a verifier needs a signer id');
  const contentLength = dv.getBigUint64(16);
  const fileType = bytes[25];
  const contentType = bytes[27];

  const contentStart = SU3_HEADER_SIZE + versionLength + signerLength;
  const room = bytes.length - contentStart - sigLength; // negative when even the fields do not fit
  if (room < 0 || contentLength > BigInt(room)) {
    throw new Su3Error(
      'TRUNCATED',
      'contentLength',
      `header declares ${contentLength} content bytes; the file (${bytes.length} bytes) cannot hold them with the header and signature`,
    );
  }
  if (contentLength === 0n) throw new Su3Error('BAD_LENGTH', 'contentLength', 'is 0');
  const contentEnd = contentStart + Number(contentLength); // safe: bounded by bytes.length
  const sigEnd = contentEnd + sigLength;
  if (sigEnd !== bytes.length) {
    throw new Su3Error('BAD_LENGTH', 'signature', `${bytes.length - sigEnd} bytes after the signature`);
  }
  const rawVersion = bytes.subarray(SU3_HEADER_SIZE, SU3_HEADER_SIZE + versionLength);
  let versionEnd = rawVersion.length;
  while (versionEnd > 0 && rawVersion[versionEnd - 1] === 0) versionEnd--;
  return {
    sigType,
    version: text(rawVersion.subarray(0, versionEnd), 'version'),
    signerId: text(bytes.subarray(SU3_HEADER_SIZE + versionLength, contentStart), 'signerId'),
    fileType,
    contentType,
    content: bytes.subarray(contentStart, contentEnd),
    signedBytes: bytes.subarray(0, contentEnd),
    signature: bytes.subarray(contentEnd, sigEnd),
  };
}

/** Parses an SU3 that must be a reseed bundle (zip content, reseed content type). */
export function decodeReseedSu3(bytes: Uint8Array): Su3File {
  const su3 = decodeSu3(bytes);
  if (su3.contentType !== Su3ContentType.reseed) {
    throw new Su3Error('BAD_FIELD', 'contentType', `${su3.contentType}, a reseed bundle has ${Su3ContentType.reseed}`);
  }
  if (su3.fileType !== Su3FileType.zip) {
    throw new Su3Error('BAD_FIELD', 'fileType', `${su3.fileType}, a reseed bundle is a zip (${Su3FileType.zip})`);
  }
  return su3;
}
