import { Command, Flags, Errors, type Interfaces } from '@oclif/core';
import { displayName, rewriteForBin } from './bin-context.js';
import { EXIT } from './exit-codes.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>;

/**
 * What every anon command shares: `--home`, `--json` where the command reports, and one error
 * policy: a usage error exits 2, any other failure 1, always as one line (or one JSON object
 * with --json), never a stack trace for an expected failure.
 */
export abstract class BaseCommand extends Command {
  static override baseFlags = {
    home: Flags.string({
      description: 'anon home directory (default: $ANON_HOME, else $XDG_DATA_HOME/anon, else ~/.local/share/anon)',
      helpGroup: 'GLOBAL',
    }),
  };

  /** The name the user typed, e.g. `anon-router info`. */
  protected get displayName(): string {
    return displayName(this.id ?? '');
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number }; code?: string }): Promise<unknown> {
    // A parse failure is handled here; without this oclif adds a bogus "did not parse its
    // arguments" warning outside production (NODE_ENV set), breaking the one-line promise.
    this.parsed = true;
    const code = exitCodeOf(err);
    process.exitCode = code;
    const message = oneLine(rewriteForBin(err.message ?? String(err)));
    if (this.jsonEnabled()) {
      this.logJson({ error: { message, code: err.code ?? err.name, exitCode: code } });
      return;
    }
    if (process.env.ANON_DEBUG && err.stack) process.stderr.write(err.stack + '\n');
    process.stderr.write(`${this.displayName}: ${message}\n`);
    return undefined;
  }
}

function exitCodeOf(err: { exitCode?: number; oclif?: { exit?: number } } & Error): number {
  if (typeof err.exitCode === 'number') return err.exitCode;
  if (err instanceof Errors.CLIError) return err.oclif?.exit === 1 ? EXIT.FAILURE : EXIT.USAGE;
  return EXIT.FAILURE;
}

/** oclif appends "See more help with --help" on its own line; the user gets one line. */
function oneLine(message: string): string {
  return message
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s.length > 0 && !/^See more help with --help$/.test(s))
    .join(' ')
    .concat(/See more help with --help/.test(message) ? ' (see --help)' : '');
}
