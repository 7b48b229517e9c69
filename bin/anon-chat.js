#!/usr/bin/env node
// anon-chat: the anon CLI's `chat` topic under its own name
import { runBin } from '../dist/src/cli/bin.js';

await runBin('chat', new URL('..', import.meta.url).pathname);
