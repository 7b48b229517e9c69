import { chmodSync, chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateError } from '../../../src/state/errors.js';
import { readKeyFile, writeKeyFile, type KeyFileWriteStep } from '../../../src/state/key-file.js';

describe('key files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'anon-keys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const key = (n: number): Uint8Array => Uint8Array.from({ length: 64 }, (_, i) => (i * 7 + n) & 0xff);

  it('writes 0600 and reads the bytes back, leaving no temp file', async () => {
    const path = join(dir, 'router.keys');
    await writeKeyFile(path, key(1));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await readKeyFile(path)).toEqual(key(1));
    expect(readdirSync(dir)).toEqual(['router.keys']);
  });

  it('replaces an existing file atomically', async () => {
    const path = join(dir, 'k');
    await writeKeyFile(path, key(1));
    await writeKeyFile(path, key(2));
    expect(await readKeyFile(path)).toEqual(key(2));
    expect(readdirSync(dir)).toEqual(['k']);
  });

  for (const step of ['created', 'written', 'synced'] as KeyFileWriteStep[]) {
    it(`keeps the old content and no temp file when the write fails after "${step}"`, async () => {
      const path = join(dir, 'k');
      await writeKeyFile(path, key(1));
      const err = await writeKeyFile(path, key(2), {
        onStep: (s) => {
          if (s === step) throw new Error('ENOSPC: simulated');
        },
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StateError);
      expect((err as StateError).code).toBe('IO');
      expect((err as Error).message).toContain('ENOSPC');
      expect(await readKeyFile(path)).toEqual(key(1));
      expect(readdirSync(dir)).toEqual(['k']);
    });
  }

  it('a failure after the rename leaves the new content and no temp file', async () => {
    const path = join(dir, 'k');
    await writeKeyFile(path, key(1));
    const onStep = (s: KeyFileWriteStep): void => {
      if (s === 'renamed') throw new Error('simulated');
    };
    await expect(writeKeyFile(path, key(2), { onStep })).rejects.toThrow(StateError);
    expect(readFileSync(path)).toEqual(Buffer.from(key(2)));
    expect(readdirSync(dir)).toEqual(['k']);
  });

  it('fails with a StateError when the directory does not exist', async () => {
    await expect(writeKeyFile(join(dir, 'missing', 'k'), key(1))).rejects.toMatchObject({ code: 'IO' });
  });

  it('returns undefined for a missing file', async () => {
    expect(await readKeyFile(join(dir, 'none'))).toBeUndefined();
  });

  it('refuses a group/world readable key file and names the fix', async () => {
    const path = join(dir, 'k');
    await writeKeyFile(path, key(1));
    chmodSync(path, 0o644);
    const err = await readKeyFile(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateError);
    expect((err as StateError).code).toBe('INSECURE_PERMISSIONS');
    expect((err as Error).message).toContain('0644');
    expect((err as Error).message).toContain(`chmod 600 '${path}'`);
    chmodSync(path, 0o640);
    await expect(readKeyFile(path)).rejects.toMatchObject({ code: 'INSECURE_PERMISSIONS' });
    chmodSync(path, 0o400);
    expect(await readKeyFile(path)).toEqual(key(1));
  });

  it('refuses a key file owned by another user', async () => {
    const path = join(dir, 'k');
    await writeKeyFile(path, key(1));
    if (process.getuid!() !== 0) return expect(statSync(path).uid).toBe(process.getuid!());
    chownSync(path, 65534, 65534);
    await expect(readKeyFile(path)).rejects.toMatchObject({ code: 'NOT_OWNER' });
  });

  it('refuses files over the size bound', async () => {
    const path = join(dir, 'k');
    await writeKeyFile(path, new Uint8Array(100));
    await expect(readKeyFile(path, { maxBytes: 99 })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect((await readKeyFile(path, { maxBytes: 100 }))!.length).toBe(100);
  });

  it('refuses symlinks and directories', async () => {
    const target = join(dir, 'real');
    await writeKeyFile(target, key(1));
    const link = join(dir, 'link');
    symlinkSync(target, link);
    await expect(readKeyFile(link)).rejects.toMatchObject({ code: 'NOT_A_FILE' });
    await expect(readKeyFile(dir)).rejects.toBeInstanceOf(StateError);
  });

  it('reads an empty file as zero bytes', async () => {
    const path = join(dir, 'empty');
    writeFileSync(path, '', { mode: 0o600 });
    expect(await readKeyFile(path)).toEqual(new Uint8Array(0));
  });
});
