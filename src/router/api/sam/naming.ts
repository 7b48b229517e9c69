/**
 * The utility commands that need no session: NAMING LOOKUP (samv3.html "Host Name Lookup":
 * ME, a full destination, a b32 address read from its LeaseSet, an address-book name) and
 * DEST GENERATE. Each returns its reply line.
 */
import { decodeLeaseSet2, equalBytes, leaseSet2Hash, verifyLeaseSet2, type Destination } from '../../data/index.js';
import type { RandomSource } from '../../runtime/index.js';
import type { SamBackend } from './backend.js';
import { chooseCryptoType, chooseSignatureType, destinationBase64, generatePrivateKeys, privateKeysBase64, SamKeyError } from './keys.js';
import { formatReply, resultReply, type SamResult } from './reply.js';
import type { SamSession } from './session.js';
import { resolveTarget, SamTargetError } from './target.js';

/** A lookup through tunnels can be lost on the way: asked this often before KEY_NOT_FOUND. */
const LOOKUP_ATTEMPTS = 2;

export async function namingLookupReply(name: string, backend: SamBackend, session: SamSession | undefined, gone: () => boolean): Promise<string> {
  const reply = (result: SamResult, value?: string, message?: string) => formatReply('NAMING', 'REPLY', [['RESULT', result], ['NAME', name], ['VALUE', value], ['MESSAGE', message]]);
  if (name === '') return reply('INVALID_KEY', undefined, 'NAME is missing');
  if (name === 'ME') return session ? reply('OK', session.destinationBase64) : reply('KEY_NOT_FOUND', undefined, 'no session on this connection');
  let destination: Destination | undefined;
  let hash: Uint8Array;
  try {
    ({ hash, destination } = await resolveTarget(name, backend));
  } catch (e) {
    if (e instanceof SamTargetError) return reply(e.code, undefined, e.message);
    throw e;
  }
  for (let attempt = 0; !destination && attempt < LOOKUP_ATTEMPTS && !gone(); attempt++) destination = await lookupDestination(hash, backend, session);
  if (!destination) return reply('KEY_NOT_FOUND', undefined, 'no LeaseSet found for this address');
  return reply('OK', destinationBase64(destination));
}

/** A b32's full destination, from its LeaseSet: the session's (cached, or looked up), or the router's. */
async function lookupDestination(hash: Uint8Array, backend: SamBackend, session: SamSession | undefined): Promise<Destination | undefined> {
  if (session) {
    try {
      return (await session.dest.resolve(hash)).destination;
    } catch {
      return undefined;
    }
  }
  const bytes = await backend.lookupLeaseSet(hash).catch(() => undefined);
  if (!bytes) return undefined;
  try {
    const ls = decodeLeaseSet2(bytes);
    if (!equalBytes(leaseSet2Hash(ls), hash) || !verifyLeaseSet2(ls, { now: backend.clock.now() })) return undefined;
    return ls.destination;
  } catch {
    return undefined;
  }
}

export function destGenerateReply(options: ReadonlyMap<string, string>, random: RandomSource): string {
  try {
    chooseSignatureType(options.get('SIGNATURE_TYPE'));
    const pk = generatePrivateKeys(chooseCryptoType(options.get('CRYPTO_TYPE')), random);
    return formatReply('DEST', 'REPLY', [['PUB', destinationBase64(pk.destination)], ['PRIV', privateKeysBase64(pk)]]);
  } catch (e) {
    if (!(e instanceof SamKeyError)) throw e;
    return resultReply('DEST', 'REPLY', 'I2P_ERROR', e.message);
  }
}
