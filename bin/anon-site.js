#!/usr/bin/env node
// anon-site: the anon CLI's `site` topic under its own name
import { runBin } from '../dist/src/cli/bin.js';

await runBin('site', new URL('..', import.meta.url).pathname);
