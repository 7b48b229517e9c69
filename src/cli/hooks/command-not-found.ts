import type { Hook } from '@oclif/core';
import { binTopic, displayName } from '../bin-context.js';
import { EXIT } from '../exit-codes.js';

/** An unknown command: one line naming it and where to look, exit 2 (a usage error). */
const hook: Hook<'command_not_found'> = async function (opts) {
  const words = opts.id.split(':');
  const topic = binTopic();
  const parent = words.length > 1 ? displayName(words.slice(0, -1).join(':')) : topic ? `anon-${topic}` : 'anon';
  const typed = words.at(-1);
  process.stderr.write(`${parent}: unknown command '${typed}' (see ${parent} --help)\n`);
  process.exit(EXIT.USAGE);
};

export default hook;
