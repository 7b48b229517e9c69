/**
 * I2P base64 uses '-' and '~': a destination may start with '-', and the flag parser would take
 * it for a flag. A token of 40 characters or more that starts with '-' but is not `--name` or
 * `--name=value` is never one of our flags (a mangled destination included: it must reach the
 * command and be refused as a bad destination), so it is moved behind `--` (the end of flags).
 */
const isArgument = (a: string): boolean => a.length >= 40 && a.startsWith('-') && !/^--[a-z][a-z0-9-]*(=|$)/.test(a);

export function protectBase64Args(argv: readonly string[]): string[] {
  const end = argv.indexOf('--');
  const head = end < 0 ? [...argv] : argv.slice(0, end);
  const tail = end < 0 ? [] : argv.slice(end + 1);
  const moved = head.filter(isArgument);
  if (moved.length === 0) return [...argv];
  const rest = head.filter((a) => !isArgument(a));
  // Positional arguments left in `rest` come before the moved ones, as they did on the command line
  // only when they preceded them; a destination is the last positional of the commands using this.
  return [...rest, '--', ...tail, ...moved];
}
