import { describe, expect, it } from 'vitest';
import { ed25519PublicKey } from '../../../src/router/crypto/ed25519.js';
import {
  b32FromDestinationBytes,
  b32FromHash,
  type Certificate,
  decodePrivateKeys,
  decodeRouterInfo,
  encodeDestination,
  encodePrivateKeys,
  encodeRouterInfo,
  inspectBytes,
  keysAndCertHash,
  keyTypes,
  ntcp2Options,
  parseB32Address,
  type PrivateKeys,
  type RouterAddress,
  type RouterInfo,
  routerInfoCaps,
  routerInfoNetId,
  routerInfoVersion,
  verifyRouterInfo,
} from '../../../src/router/data/index.js';
import { fixture, fixtureText, ROUTER_INFO_FILES } from './fixtures.js';

/** Rebuilds a value field by field into fresh objects and arrays, sharing nothing with the decode. */
function rebuildCertificate(c: Certificate): Certificate {
  if (c.type === 'null') return { type: 'null' };
  if (c.type === 'key') return { type: 'key', sigType: c.sigType, cryptoType: c.cryptoType, excess: Uint8Array.from(c.excess) };
  return { type: 'other', code: c.code, payload: Uint8Array.from(c.payload) };
}

function rebuildRouterInfo(ri: RouterInfo): RouterInfo {
  return {
    identity: {
      publicKey: Uint8Array.from(ri.identity.publicKey),
      padding: Uint8Array.from(ri.identity.padding),
      signingPublicKey: Uint8Array.from(ri.identity.signingPublicKey),
      certificate: rebuildCertificate(ri.identity.certificate),
    },
    published: ri.published,
    addresses: ri.addresses.map(
      (a): RouterAddress => ({ cost: a.cost, expiration: a.expiration, transportStyle: a.transportStyle, options: new Map([...a.options].reverse()) }),
    ),
    options: new Map([...ri.options].reverse()),
    signature: Uint8Array.from(ri.signature),
  };
}

describe('i2pd RouterInfo fixtures', () => {
  for (const name of ROUTER_INFO_FILES) {
    describe(name, () => {
      const bytes = fixture(name);
      const ri = decodeRouterInfo(bytes);

      it('decodes as X25519 + Ed25519 with an NTCP2 address', () => {
        expect(keyTypes(ri.identity)).toEqual({ sigType: 7, cryptoType: 4 });
        expect(ri.identity.publicKey.length).toBe(32);
        expect(ri.identity.padding.length).toBe(320);
        expect(ri.addresses.length).toBeGreaterThan(0);
        const ntcp2 = ri.addresses.find((a) => a.transportStyle === 'NTCP2');
        expect(ntcp2).toBeDefined();
        const o = ntcp2Options(ntcp2 as RouterAddress);
        expect(o.s?.length).toBe(32);
        expect(o.v).toBe('2');
        expect(routerInfoNetId(ri)).toBe(99);
        expect(routerInfoVersion(ri)).toBe('0.9.57');
        expect(routerInfoCaps(ri)).toMatch(/^[A-Za-z]+$/);
      });

      it('re-encodes from a field-by-field copy to identical bytes', () => {
        expect(encodeRouterInfo(rebuildRouterInfo(ri))).toEqual(bytes);
      });

      it('verifies, and a flipped byte in the signed part does not', () => {
        expect(verifyRouterInfo(ri)).toBe(true);
        for (const at of [0, 400, bytes.length - 65]) {
          const bad = bytes.slice();
          bad[at] ^= 0x01;
          let verified = false;
          try {
            verified = verifyRouterInfo(decodeRouterInfo(bad));
          } catch {
            verified = false; // a flip may also make it undecodable; either way not valid
          }
          expect(verified, `flip at ${at}`).toBe(false);
        }
      });

      it('has the identity hash of its first 391 bytes', () => {
        const inspected = inspectBytes(bytes);
        expect(inspected.kind).toBe('RouterInfo');
        expect(inspected.signatureValid).toBe(true);
        expect(keysAndCertHash(ri.identity).length).toBe(32);
      });
    });
  }

  it('padding in router1.info is the Proposal 161 repeating 32-byte pattern', () => {
    const ri = decodeRouterInfo(fixture('router1.info'));
    const p = ri.identity.padding;
    for (let i = 32; i < p.length; i++) expect(p[i]).toBe(p[i - 32]);
  });
});

describe('i2pd private keys file', () => {
  const bytes = fixture('eepsite-keys.dat');
  const pk = decodePrivateKeys(bytes);

  it('decodes: Ed25519 destination with crypto type 0, 256-byte encryption key, no offline keys', () => {
    expect(keyTypes(pk.destination)).toEqual({ sigType: 7, cryptoType: 0 });
    expect(pk.encryptionPrivateKey.length).toBe(256);
    expect(pk.signingPrivateKey.length).toBe(32);
    expect(pk.offline).toBeUndefined();
  });

  it('re-encodes from a fresh copy to identical bytes', () => {
    const copy: PrivateKeys = {
      destination: {
        publicKey: Uint8Array.from(pk.destination.publicKey),
        padding: Uint8Array.from(pk.destination.padding),
        signingPublicKey: Uint8Array.from(pk.destination.signingPublicKey),
        certificate: rebuildCertificate(pk.destination.certificate),
      },
      encryptionPrivateKey: Uint8Array.from(pk.encryptionPrivateKey),
      signingPrivateKey: Uint8Array.from(pk.signingPrivateKey),
    };
    expect(encodePrivateKeys(copy)).toEqual(bytes);
  });

  it("has the b32 address i2pd computed", () => {
    const expected = fixtureText('eepsite-keys.b32');
    expect(b32FromDestinationBytes(encodeDestination(pk.destination))).toBe(expected);
    expect(b32FromHash(keysAndCertHash(pk.destination))).toBe(expected);
    expect(parseB32Address(expected)).toEqual(keysAndCertHash(pk.destination));
  });

  it("its Ed25519 private key produces the destination's signing public key", () => {
    expect(ed25519PublicKey(pk.signingPrivateKey)).toEqual(pk.destination.signingPublicKey);
  });

  it('is detected by inspect, and its first 391 bytes as a Destination', () => {
    const r = inspectBytes(bytes);
    expect(r.kind).toBe('PrivateKeys');
    expect(JSON.stringify(r.fields)).toContain(fixtureText('eepsite-keys.b32'));
    expect(r.fields.signingKeyMatchesDestination).toBe(true);
    const d = inspectBytes(bytes.subarray(0, 391));
    expect(d.kind).toBe('Destination');
    expect(d.fields.b32).toBe(fixtureText('eepsite-keys.b32'));
    expect(d.signatureValid).toBeUndefined();
  });
});
