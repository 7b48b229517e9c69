import { StateError } from './errors.js';
import type { Migration, Storage, StorageOptions, Sublevel } from './store.js';

/** The record in the `meta` sublevel that holds the schema version. */
export const SCHEMA_KEY = 'schema';

/** Reject nonsense options before touching any database. */
export function checkStorageOptions(options: StorageOptions): void {
  if (!Number.isSafeInteger(options.schema) || options.schema < 1) {
    throw new StateError('INVALID_ARGUMENT', `schema version must be a positive integer, got ${options.schema}`);
  }
  const seen = new Set<number>();
  for (const m of options.migrations ?? []) {
    if (!Number.isSafeInteger(m.version) || m.version < 2 || m.version > options.schema) {
      throw new StateError(
        'INVALID_ARGUMENT',
        `migration "${m.description}" targets version ${m.version}, outside 2..${options.schema}`,
      );
    }
    if (seen.has(m.version)) throw new StateError('INVALID_ARGUMENT', `two migrations target version ${m.version}`);
    seen.add(m.version);
  }
}

export interface SchemaContext {
  readonly storage: Storage;
  readonly meta: Sublevel<number>;
  /** True if the database holds no record at all (a fresh one). */
  isEmpty(): Promise<boolean>;
}

/**
 * Bring the store to `options.schema`: stamp a fresh database, run migrations in order on an
 * older one, refuse a newer one. Returns the version now recorded.
 */
export async function applySchema(ctx: SchemaContext, options: StorageOptions): Promise<number> {
  const { storage, meta } = ctx;
  const current = options.schema;
  const stored = await meta.get(SCHEMA_KEY);
  if (stored === undefined) {
    if (!(await ctx.isEmpty())) {
      throw new StateError(
        'SCHEMA_MISSING',
        `${storage.location} holds data but no schema record; it was not made by anon, or is damaged`,
      );
    }
    await meta.putDurable(SCHEMA_KEY, current);
    return current;
  }
  if (!Number.isSafeInteger(stored) || stored < 1) {
    throw new StateError('CORRUPT_RECORD', `${storage.location}: schema record ${JSON.stringify(stored)} is not a version`);
  }
  if (stored > current) {
    throw new StateError(
      'SCHEMA_TOO_NEW',
      `${storage.location} was created by a newer anon (schema ${stored}; this anon knows up to ${current}); upgrade anon`,
    );
  }
  const byVersion = new Map<number, Migration>();
  for (const m of options.migrations ?? []) byVersion.set(m.version, m);
  // Check the whole path first so a gap is reported before any step changes the data.
  for (let v = stored + 1; v <= current; v++) {
    if (!byVersion.has(v)) {
      throw new StateError(
        'MIGRATION_MISSING',
        `${storage.location}: no migration from schema ${v - 1} to ${v}`,
      );
    }
  }
  for (let v = stored + 1; v <= current; v++) {
    const m = byVersion.get(v)!;
    try {
      await m.up(storage);
    } catch (err) {
      throw new StateError(
        'MIGRATION_FAILED',
        `${storage.location}: migration to schema ${v} (${m.description}) failed: ${(err as Error).message}`,
        { cause: err },
      );
    }
    await meta.putDurable(SCHEMA_KEY, v);
  }
  return current;
}
