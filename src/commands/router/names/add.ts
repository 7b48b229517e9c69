import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';

export default class NamesAddCommand extends BaseCommand {
  static override summary = "Add a host name to the router's address book.";
  static override description = `NAME is a host name ending in .i2p (lower-cased; a-z, 0-9, '.' and '-'; at most 67 characters; no .b32.i2p names, no reserved names such as router.i2p). DEST is the full destination in I2P base64 (516 to 616 characters), as in a hosts.txt line; it must decode as a destination.

A name already held by another destination is refused unless --replace is given; adding the same pair again changes nothing. With a router running in the home, it makes the change; otherwise the home's state is opened directly.

Exit codes: 0 added (or already there), 1 failure (the name is taken, the home is in use), 2 usage error (a bad name or destination).`;
  static override examples = ['<%= config.bin %> <%= command.id %> example.i2p AAAA…AAA==', '<%= config.bin %> <%= command.id %> example.i2p AAAA…AAA== --replace'];
  static override enableJsonFlag = true;
  static override args = {
    name: Args.string({ description: 'host name, e.g. example.i2p', required: true }),
    dest: Args.string({ description: 'destination, I2P base64', required: true }),
  };
  static override flags = {
    replace: Flags.boolean({ description: 'replace the destination of a name already in the book', default: false }),
  };

  async run(): Promise<unknown> {
    const { protectBase64Args } = await import('../../../cli/base64-args.js');
    // A destination may start with '-' (I2P base64): keep it from being read as a flag.
    const { args, flags } = await this.parse(NamesAddCommand, protectBase64Args(this.argv));
    const { callNames } = await import('../../../cli/names.js');
    const r = (await callNames(flags.home, 'names.add', { name: args.name, destination: args.dest, replace: flags.replace })) as { name: string; b32: string; status: string };
    if (!this.jsonEnabled()) {
      const what = r.status === 'unchanged' ? 'already in the address book' : r.status === 'replaced' ? 'replaced' : 'added';
      this.log(`${r.name}: ${what} (${r.b32})`);
    }
    return r;
  }
}
