/**
 * I2P base64 uses '-' and '~': a destination may start with '-', and the flag parser would take
 * it for a flag. A long token made only of base64 characters is never one of our flags, so it is
 * moved behind `--` (the end of flags), after the other arguments, keeping its place among them.
 */
const BASE64_TOKEN = /^-[A-Za-z0-9~-]{39,}={0,2}$/;

export function protectBase64Args(argv: readonly string[]): string[] {
  const end = argv.indexOf('--');
  const head = end < 0 ? [...argv] : argv.slice(0, end);
  const tail = end < 0 ? [] : argv.slice(end + 1);
  const moved = head.filter((a) => BASE64_TOKEN.test(a));
  if (moved.length === 0) return [...argv];
  const rest = head.filter((a) => !BASE64_TOKEN.test(a));
  // Positional arguments left in `rest` come before the moved ones, as they did on the command line
  // only when they preceded them; a destination is the last positional of the commands using this.
  return [...rest, '--', ...tail, ...moved];
}
