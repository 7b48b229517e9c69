import { execute } from '@oclif/core';
import { setBinTopic } from './bin-context.js';

/**
 * Entry of every bin. `anon-router …` is `anon router …` with the topic prepended; the topic is
 * recorded so that help and errors print `anon-router …`.
 */
export async function runBin(topic: string | undefined, packageDir: string): Promise<void> {
  setBinTopic(topic);
  const argv = process.argv.slice(2);
  const args = topic ? [topic, ...argv] : argv;
  await execute({ args, dir: packageDir });
}
