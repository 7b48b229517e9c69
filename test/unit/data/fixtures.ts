import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Files i2pd 2.45.1 wrote (copied verbatim from ../shared/fixtures/i2pd/ into the repo).
const DIR = fileURLToPath(new URL('../../vectors/i2pd/', import.meta.url));

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${DIR}${name}`));
}

export function fixtureText(name: string): string {
  return readFileSync(`${DIR}${name}`, 'utf8').trim();
}

export const ROUTER_INFO_FILES = ['router1.info', 'router2.info', 'router4.info'] as const;
