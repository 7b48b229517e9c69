/**
 * Sublevel names, one place for all of them, so two modules never share or collide on one.
 * A name is `a-z0-9_-` segments joined by `/`; no name may be a path prefix of another
 * (`netdb` beside `netdb/ri` would make their key ranges overlap).
 */

/** Internal: the schema version record lives here (key `schema`). */
export const META = 'meta';

/** The router's LevelDB (`$ANON_HOME/router`). */
export const RouterSublevels = {
  /** Router identity private keys: always written with `sync`. */
  keys: 'keys',
  /** RouterInfos by router hash. */
  routerInfos: 'netdb/ri',
  /** LeaseSets by destination hash, with their expiry. */
  leaseSets: 'netdb/ls',
  /** Per-peer profiles: builds accepted/rejected/timed out, latency, first/last seen. */
  profiles: 'profiles',
  banlist: 'banlist',
  /** Bandwidth and participating-tunnel counters. */
  stats: 'stats',
  config: 'config',
  /** The router's address book: host names to destinations (base64), first come first served. */
  addressbook: 'addressbook',
} as const;

/** Each app's LevelDB (`$ANON_HOME/apps/<app>`); names are prefixed by the app. */
export const AppSublevels = {
  site: {
    /** The site's destination keys: a stable address across restarts; sync-written. */
    keys: 'site/keys',
  },
  addressbook: {
    hosts: 'addressbook/hosts',
  },
  chat: {
    identities: 'chat/identities',
    contacts: 'chat/contacts',
    messages: 'chat/messages',
    outbox: 'chat/outbox',
  },
  share: {
    torrents: 'share/torrents',
    pieces: 'share/pieces',
    peers: 'share/peers',
  },
} as const;

/** The app directory names under `$ANON_HOME/apps/`. */
export const APP_NAMES = ['site', 'fetch', 'chat', 'share', 'addressbook'] as const;
export type AppName = (typeof APP_NAMES)[number];

/** Schema versions the current code writes; bump with a Migration when a record's shape changes. */
export const ROUTER_SCHEMA_VERSION = 1;
export const APP_SCHEMA_VERSION = 1;
