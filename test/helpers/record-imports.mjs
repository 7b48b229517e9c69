// Loaded with `node --import` by a test: records every module URL the process loads into the
// file named by ANON_RECORD_IMPORTS, so the test can prove `--help` never loads the router or ink.
import { register } from 'node:module';
import { appendFileSync } from 'node:fs';

const out = process.env.ANON_RECORD_IMPORTS;
if (out) {
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (url) => appendFileSync(out, url + '\n'));
  port1.unref();
  register('./record-imports-hooks.mjs', { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
}
