// A second anon process for the lock test: opens the router state of the home given in argv[2]
// through the built modules (exactly as `anon-router` does), prints "ready", then holds it until
// stdin closes or it is killed.
import { openRouterState } from '../../dist/src/router/home.js';

const { storage } = await openRouterState(process.argv[2]);
process.stdout.write('ready\n');
const stop = async () => {
  await storage.close();
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
