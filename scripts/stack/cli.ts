// `npm run stack [-- --account user:password ...] [--server prosody|ejabberd]`: starts the local XMPP stack, prints how to
// connect, and stops cleanly on Ctrl-C (SIGINT) or SIGTERM.
import { join } from 'node:path';
import { startGroupServiceProcess, type GroupServiceProcess } from './group-service-process';
import { startStack, type StackAccount, type StackServer } from './stack';
import { runTwoDomains } from './two-domains-cli';

function parseArgs(argv: string[]): { accounts: StackAccount[]; domain?: string; server?: StackServer } {
  const accounts: StackAccount[] = [];
  let domain: string | undefined;
  let server: StackServer | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--account' || a === '-a') {
      const spec = argv[++i] ?? '';
      const colon = spec.indexOf(':');
      if (colon <= 0 || colon === spec.length - 1) throw new Error(`--account wants user:password, got "${spec}"`);
      accounts.push({ user: spec.slice(0, colon), password: spec.slice(colon + 1) });
    } else if (a === '--domain') {
      domain = argv[++i];
    } else if (a === '--server') {
      const s = argv[++i];
      if (s !== 'prosody' && s !== 'ejabberd') throw new Error(`--server wants prosody or ejabberd, got "${s ?? ''}"`);
      server = s;
    } else if (a === '--help' || a === '-h') {
      console.log(
        'usage: npm run stack -- [--account user:password]... [--domain localhost] [--server prosody|ejabberd]\n' +
          '       npm run stack -- --two-domains [--push] [--account a:user:password]... [--account b:user:password]...',
      );
      process.exit(0);
    } else {
      throw new Error(`unknown argument: ${a}`);
    }
  }
  return { accounts, ...(domain ? { domain } : {}), ...(server ? { server } : {}) };
}

async function main(): Promise<void> {
  if (process.argv.includes('--two-domains')) return runTwoDomains(process.argv.slice(2));
  const args = parseArgs(process.argv.slice(2));
  const stack = await startStack(args);
  const serverName = stack.server === 'ejabberd' ? 'ejabberd' : 'Prosody';
  // the group service (docs/groups.md) on its component, its data in the stack's directory
  let groups: GroupServiceProcess | null = null;
  if (stack.groupsDomain && stack.groupsSecret) {
    groups = await startGroupServiceProcess({
      domain: stack.groupsDomain,
      secret: stack.groupsSecret,
      host: stack.host,
      port: stack.componentPort,
      dataDir: join(stack.dir, 'groups'),
    }).catch(async (e: unknown) => {
      await stack.stop();
      throw e;
    });
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping ${serverName}…`);
    await groups?.stop();
    await stack.stop();
    console.log('stopped; the stack directory is deleted');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  console.log(`Local XMPP stack is running (${serverName}, directory ${stack.dir})
  XMPP domain      ${stack.domain}   (JIDs are name@${stack.domain})
  client port      ${stack.host}:${stack.port}   (STARTTLS required)
  CA certificate   ${stack.caCertPath}
  MUC component    ${stack.mucDomain}
  component port   ${stack.host}:${stack.componentPort}  domain ${stack.componentDomain}  secret ${stack.componentSecret}
  group service    ${groups ? `${groups.domain}   (create groups there; docs/groups.md)` : '(none with this server)'}
  registration     in-band (XEP-0077) allowed
  accounts         ${args.accounts.map((a) => `${a.user}@${stack.domain}`).join(', ') || '(none; pass --account user:password)'}
  server log       ${stack.logPath}

Connect the messenger with host ${stack.host}, port ${stack.port}, and trust the CA above, e.g.
  npm run web -- --profile /tmp/p1 --ca-file ${stack.caCertPath}
Press Ctrl-C to stop.`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
