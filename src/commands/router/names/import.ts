import { Args } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import type { ImportResult } from '../../../router/client/addressbook.js';

/** hosts.txt files are a few MB at most (Java's address book takes 5 MB per subscription). */
const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** Text per call, JSON-encoded: well under the control socket's 64 KiB request line. */
const CHUNK_JSON_BYTES = 48 * 1024;
/** Skipped lines printed without --json. */
const SHOWN_SKIPS = 20;


export default class NamesImportCommand extends BaseCommand {
  static override summary = "Import a hosts.txt file into the router's address book.";
  static override description = `FILE holds lines "name.i2p=<base64 destination>". Everything from '#' to the end of a line is a comment, so "#!" command lines and "#!" metadata after an entry are ignored; blank lines too. Each entry is checked as by \`names add\`; invalid lines, and names the book already holds with another destination (first come, first served), are skipped and reported with their line number.

Exit codes: 0 imported (even if some lines were skipped), 1 failure (unreadable file, the home is in use), 2 usage error (no such file).`;
  static override examples = ['<%= config.bin %> <%= command.id %> hosts.txt', '<%= config.bin %> <%= command.id %> hosts.txt --json'];
  static override enableJsonFlag = true;
  static override args = { file: Args.string({ description: 'a hosts.txt file', required: true }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(NamesImportCommand);
    const { readFileSync, statSync } = await import('node:fs');
    const { CommandFailure, UsageError } = await import('../../../cli/exit-codes.js');
    const { MAX_HOSTS_LINE, MAX_REPORTED_SKIPS } = await import('../../../router/client/addressbook.js');
    const { callNames } = await import('../../../cli/names.js');

    let text: string;
    try {
      const st = statSync(args.file);
      if (!st.isFile()) throw new UsageError(`${args.file}: not a file`);
      if (st.size > MAX_FILE_BYTES) throw new CommandFailure(`${args.file}: ${st.size} bytes, larger than the ${MAX_FILE_BYTES}-byte limit for a hosts.txt`);
      text = readFileSync(args.file, 'utf8');
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ENOENT') throw new UsageError(`${args.file}: no such file`);
      if (e instanceof UsageError || e instanceof CommandFailure) throw e;
      throw new CommandFailure(`cannot read ${args.file}: ${(e as Error).message}`);
    }

    const total: ImportResult = { added: 0, unchanged: 0, skippedCount: 0, skipped: [] };
    for (const chunk of chunks(text, MAX_HOSTS_LINE)) {
      const r = (await callNames(flags.home, 'names.import', chunk)) as ImportResult;
      total.added += r.added;
      total.unchanged += r.unchanged;
      total.skippedCount += r.skippedCount;
      total.skipped.push(...r.skipped.slice(0, MAX_REPORTED_SKIPS - total.skipped.length));
    }
    if (!this.jsonEnabled()) {
      this.log(`${args.file}: added ${total.added}, already present ${total.unchanged}, skipped ${total.skippedCount}`);
      for (const s of total.skipped.slice(0, SHOWN_SKIPS)) this.log(`  line ${s.line}: ${s.reason}`);
      if (total.skippedCount > SHOWN_SKIPS) this.log(`  … ${total.skippedCount - SHOWN_SKIPS} more skipped (--json lists up to ${MAX_REPORTED_SKIPS})`);
    }
    return { file: args.file, ...total };
  }
}

/**
 * The file in pieces that each fit one control request, with the number of their first line.
 * A line over the book's line limit is cut just past it: the book still refuses it, by number,
 * and no single line can overflow a request.
 */
function* chunks(text: string, maxLine: number): Generator<{ text: string; firstLine: number }> {
  const lines = text.split(/\r\n|\n|\r/);
  let start = 0;
  let piece: string[] = [];
  let size = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].length > maxLine ? lines[i].slice(0, maxLine + 1) : lines[i];
    const cost = JSON.stringify(line).length; // the quotes stand in for the joining "\n"
    if (piece.length > 0 && size + cost > CHUNK_JSON_BYTES) {
      yield { text: piece.join('\n'), firstLine: start + 1 };
      piece = [];
      size = 0;
      start = i;
    }
    piece.push(line);
    size += cost;
  }
  if (piece.length > 0) yield { text: piece.join('\n'), firstLine: start + 1 };
}
