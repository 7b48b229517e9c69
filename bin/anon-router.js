#!/usr/bin/env node
// anon-router: the anon CLI's `router` topic under its own name
import { runBin } from '../dist/src/cli/bin.js';

await runBin('router', new URL('..', import.meta.url).pathname);
