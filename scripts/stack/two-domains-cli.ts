// `npm run stack -- --two-domains [--push] [--account a:user:password] [--account b:user:password]`:
// two XMPP domains with s2s on loopback (scripts/stack/two-domains.ts), optionally a federated
// push server per domain; prints how to connect and stops cleanly on Ctrl-C or SIGTERM.
import { startTwoDomains } from './two-domains';
import type { StackAccount } from './stack';

export async function runTwoDomains(argv: string[]): Promise<void> {
  const accounts: { a: StackAccount[]; b: StackAccount[] } = { a: [], b: [] };
  let push = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--two-domains') continue;
    if (arg === '--push') push = true;
    else if (arg === '--account' || arg === '-a') {
      const m = /^([ab]):([^:]+):(.+)$/.exec(argv[++i] ?? '');
      if (!m) throw new Error('with --two-domains, --account wants a:user:password or b:user:password');
      accounts[m[1] as 'a' | 'b'].push({ user: m[2]!, password: m[3]! });
    } else throw new Error(`unknown argument: ${arg}`);
  }
  const stack = await startTwoDomains({ accounts, push });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    await stack.stop();
    console.log('stopped; the stack directory is deleted');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  const line = (d: typeof stack.a, list: StackAccount[]) =>
    `  ${d.domain.padEnd(14)} client ${d.host}:${d.port} (STARTTLS)  s2s ${d.host}:${d.s2sPort}${d.push ? `  push ${d.push.endpoint}` : ''}\n` +
    `  ${''.padEnd(14)} accounts ${list.map((a) => `${a.user}@${d.domain}`).join(', ') || '(none)'}  log ${d.logPath}`;
  console.log(`Two-domain XMPP stack is running (directory ${stack.dir})
${line(stack.a, accounts.a)}
${line(stack.b, accounts.b)}
  CA certificate   ${stack.caCertPath}   (both domains and both push servers)
${push ? '  push servers     federated both ways (each registered with the other)\n' : ''}Press Ctrl-C to stop.`);
}
