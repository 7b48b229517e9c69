/**
 * Ephemeral X25519 keys for the ratchet (ecies.rst "2a) Elligator2", Notes).
 *
 * NS and NSR ephemeral keys go out Elligator2-encoded, and only about half of all public keys
 * have a representative: the generator keeps trying, so its cost is unbounded (exponentially
 * distributed). The spec's hint is to generate ahead of time and to keep the encoding found
 * while testing suitability: this pool does both, in batches, when it runs dry or when `fill`
 * is called (from an idle moment). The keys it had to reject are kept, few, for the NextKey
 * DH ratchet, whose keys travel inside the AEAD and need no encoding (the spec's NTCP2 reuse
 * idea, applied where encodability is irrelevant).
 *
 * Randomness comes from the injected RandomSource, so a seeded source gives reproducible keys
 * in tests. Every key is handed out once.
 */
import { elligator2Encode } from '../../crypto/elligator2.js';
import { x25519PublicKey } from '../../crypto/x25519.js';
import type { RandomSource } from '../../runtime/random.js';

export interface KeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

export interface EncodableKeyPair extends KeyPair {
  /** ENCODE_ELG2(publicKey), the two random top bits already set. */
  representative: Uint8Array;
}

export interface EphemeralKeyPoolOptions {
  /** Encodable keys made at once when the pool is empty. Default 4. */
  batchSize?: number;
  /** Most encodable keys kept. Default 32. */
  capacity?: number;
  /** Most rejected (plain) keys kept for ratchet use. Default 8. */
  spareCapacity?: number;
}

/** A generator without a single encodable key in this many tries has a broken RNG (2^-128). */
const MAX_TRIES = 128;

export class EphemeralKeyPool {
  private readonly encodable: EncodableKeyPair[] = [];
  private readonly spare: KeyPair[] = [];
  readonly batchSize: number;
  readonly capacity: number;
  readonly spareCapacity: number;
  /** Keys generated, suitable or not (a cost counter for stats and tests). */
  generated = 0;

  constructor(
    private readonly random: RandomSource,
    opts: EphemeralKeyPoolOptions = {},
  ) {
    this.batchSize = opts.batchSize ?? 4;
    this.capacity = opts.capacity ?? 32;
    this.spareCapacity = opts.spareCapacity ?? 8;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || !Number.isInteger(this.capacity) || this.capacity < this.batchSize) {
      throw new RangeError('EphemeralKeyPool: need integers 1 <= batchSize <= capacity');
    }
    if (!Number.isInteger(this.spareCapacity) || this.spareCapacity < 0) throw new RangeError('EphemeralKeyPool: spareCapacity >= 0');
  }

  get size(): number {
    return this.encodable.length;
  }

  get spares(): number {
    return this.spare.length;
  }

  private generateOne(): KeyPair {
    const privateKey = this.random.bytes(32);
    this.generated++;
    return { privateKey, publicKey: x25519PublicKey(privateKey) };
  }

  /** One encodable key, randomizing which of its two representatives and the top bits. */
  private generateEncodable(): EncodableKeyPair {
    for (let i = 0; i < MAX_TRIES; i++) {
      const pair = this.generateOne();
      const r = this.random.bytes(1)[0];
      const representative = elligator2Encode(pair.publicKey, { alternative: (r & 1) === 1, highBits: r & 0xc0 });
      if (representative) return { ...pair, representative };
      if (this.spare.length < this.spareCapacity) this.spare.push(pair);
    }
    throw new RangeError(`EphemeralKeyPool: no Elligator2-encodable key in ${MAX_TRIES} tries (broken random source?)`);
  }

  /** Tops the pool up by `count` keys (default a batch), never past capacity. */
  fill(count = this.batchSize): void {
    const target = Math.min(this.capacity, this.encodable.length + count);
    while (this.encodable.length < target) this.encodable.push(this.generateEncodable());
  }

  /** An encodable key pair for an NS or NSR; refills a batch when empty. */
  take(): EncodableKeyPair {
    if (this.encodable.length === 0) this.fill(this.batchSize);
    return this.encodable.shift()!;
  }

  /** A key pair that need not be encodable (NextKey ratchet keys). */
  takePlain(): KeyPair {
    return this.spare.shift() ?? this.generateOne();
  }
}
