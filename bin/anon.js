#!/usr/bin/env node
// anon: the umbrella anon CLI
import { runBin } from '../dist/src/cli/bin.js';

await runBin(undefined, new URL('..', import.meta.url).pathname);
