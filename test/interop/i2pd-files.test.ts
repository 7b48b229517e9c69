// Fresh files from real i2pd routers (a private network started for this test): every
// RouterInfo, router key file and destination key file decodes, re-encodes to the same bytes
// from its decoded fields, and verifies; the eepsite's b32 matches the one i2pd computed.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  b32FromDestinationBytes,
  decodePrivateKeys,
  decodeRouterInfo,
  encodeDestination,
  encodePrivateKeys,
  encodeRouterInfo,
  routerInfoNetId,
  verifyRouterInfo,
} from '../../src/router/data/index.js';
import { ed25519PublicKey } from '../../src/router/crypto/index.js';
import { describeWithI2pd, I2pdTestnet } from '../helpers/i2pd.js';

const ROUTERS = 3;

describeWithI2pd('files written by a fresh i2pd network', () => {
  let net: I2pdTestnet;
  beforeAll(() => {
    net = new I2pdTestnet(ROUTERS);
    net.up(false);
  });
  afterAll(() => net?.down());

  const routerInfos = (): string[] => {
    const files: string[] = [];
    for (let k = 1; k <= ROUTERS; k++) {
      files.push(join(net.routerDir(k), 'router.info'));
      const netDb = join(net.routerDir(k), 'netDb');
      for (const sub of readdirSync(netDb)) {
        for (const f of readdirSync(join(netDb, sub))) if (f.startsWith('routerInfo-')) files.push(join(netDb, sub, f));
      }
    }
    return files;
  };

  it('every RouterInfo decodes, re-encodes identically, verifies, and carries the test network id', () => {
    const files = routerInfos();
    // Each router's own file plus the copies in the other routers' netDb folders.
    expect(files.length).toBeGreaterThanOrEqual(ROUTERS * ROUTERS);
    for (const file of files) {
      const bytes = new Uint8Array(readFileSync(file));
      const ri = decodeRouterInfo(bytes);
      const rebuilt = structuredClone(ri);
      expect(Buffer.from(encodeRouterInfo(rebuilt)).equals(Buffer.from(bytes)), file).toBe(true);
      expect(verifyRouterInfo(ri), file).toBe(true);
      expect(routerInfoNetId(ri)).toBe(99);
    }
  });

  it("every router's router.keys decodes (X25519 + Ed25519) and its signing key matches its identity", () => {
    for (let k = 1; k <= ROUTERS; k++) {
      const bytes = new Uint8Array(readFileSync(join(net.routerDir(k), 'router.keys')));
      const keys = decodePrivateKeys(bytes);
      expect(Buffer.from(encodePrivateKeys(structuredClone(keys))).equals(Buffer.from(bytes))).toBe(true);
      expect(Buffer.from(ed25519PublicKey(keys.signingPrivateKey)).equals(Buffer.from(keys.destination.signingPublicKey))).toBe(true);
      const ri = decodeRouterInfo(new Uint8Array(readFileSync(join(net.routerDir(k), 'router.info'))));
      expect(Buffer.from(encodeDestination(keys.destination)).equals(Buffer.from(encodeDestination(ri.identity)))).toBe(true);
    }
  });

  it("the eepsite's keys decode and give the b32 address i2pd computed", () => {
    const expected = readFileSync(join(net.dir, 'eepsite.b32'), 'utf8').trim();
    const bytes = new Uint8Array(readFileSync(join(net.routerDir(ROUTERS), 'eepsite.dat')));
    const keys = decodePrivateKeys(bytes);
    expect(Buffer.from(encodePrivateKeys(structuredClone(keys))).equals(Buffer.from(bytes))).toBe(true);
    expect(b32FromDestinationBytes(encodeDestination(keys.destination))).toBe(expected.replace(/^https?:\/\//, '').replace(/\/.*$/, ''));
  });
});
