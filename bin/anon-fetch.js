#!/usr/bin/env node
// anon-fetch: the anon CLI's `fetch` topic under its own name
import { runBin } from '../dist/src/cli/bin.js';

await runBin('fetch', new URL('..', import.meta.url).pathname);
