#!/usr/bin/env node
// anon-share: the anon CLI's `share` topic under its own name
import { runBin } from '../dist/src/cli/bin.js';

await runBin('share', new URL('..', import.meta.url).pathname);
