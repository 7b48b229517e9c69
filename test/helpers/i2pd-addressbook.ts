// i2pd 2.45.1 crashes on SAM's NAMING LOOKUP (and STREAM ACCEPT, and STREAM CONNECT to a full
// base64 destination) when its address book is disabled, as i2pd-testnet.sh configures every
// router: those commands touch the address book's storage, a null pointer then (SAM.cpp,
// AddressBook.cpp). A SAM client that looks names up needs the address book on, as i2pd ships it.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive as alive, TESTNET_SCRIPT, type I2pdTestnet } from './i2pd.js';

/**
 * Stops i2pd router k of `net`, turns its address book on (no subscriptions, nothing persisted:
 * the script's other settings stay), and starts it again where the script did, recording its
 * new pid where the script's `down` looks for it.
 */
export async function restartWithAddressBook(net: I2pdTestnet, k: number): Promise<void> {
  const dir = net.routerDir(k);
  const conf = join(dir, 'i2pd.conf');
  const text = readFileSync(conf, 'utf8');
  const on = text.replace(/\[addressbook\]\nenabled = false\n/, '[addressbook]\nenabled = true\n');
  if (on === text) throw new Error(`no disabled [addressbook] section in ${conf}`);
  writeFileSync(conf, on);
  const oldPid = Number(readFileSync(join(dir, 'i2pd.pid'), 'utf8').trim());
  await net.stopRouter(k, 15_000);
  const child = spawn('bash', [TESTNET_SCRIPT, 'exec', '/usr/sbin/i2pd', `--datadir=${dir}`, `--conf=${conf}`], {
    env: { ...process.env, I2PDNET_DIR: net.dir, I2PDNET_BASEPORT: String(net.basePort) },
    stdio: 'ignore',
    detached: true,
  });
  child.unref();
  // i2pd writes its pid file once up; the script's `down` stops what router.pid names.
  let pid = 0;
  for (let i = 0; i < 200 && !(pid > 1 && pid !== oldPid && alive(pid)); i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      pid = Number(readFileSync(join(dir, 'i2pd.pid'), 'utf8').trim());
    } catch {
      pid = 0;
    }
  }
  if (!(pid > 1 && pid !== oldPid && alive(pid))) throw new Error(`i2pd router ${k} did not come back within 20 s`);
  writeFileSync(join(dir, 'router.pid'), `${pid}\n--datadir=${dir} \n`);
}
