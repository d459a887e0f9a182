// Soak: do private messages survive real life? (issue 13: 0 lost, 0 shown twice, 0 false "Delivered")
//
// Two to four real cores (src-main/core, createCore) on temp profiles with the real OS keychain,
// signed in to a private Prosody (scripts/stack) and subscribed to each other, all under the
// "always private" policy: a message waits for a private session, it never goes in clear. The
// script sends messages between random pairs at a steady pace while, at random moments, it
// restarts a client (its core is closed and opened again on the same profile and keychain entry,
// as when the user quits and starts the messenger) or Prosody itself (every stream ends).
//
// What it counts, from the profiles' stored histories once every message has settled (or the
// settling time ran out):
// - sent: messages the script asked a core to send;
// - shown: messages the receiving profile holds exactly once (what its user sees);
// - lost: messages the receiving profile does not hold;
// - shown twice: messages the receiving profile holds more than once;
// - false "Delivered": messages the sender's profile marks delivered that the receiver does not hold;
// - in clear: messages stored as not encrypted on either side (must be 0 under "always private").
// Figures go to docs/performance.md ("Soak"); a run on a busy machine says so in its load line.
//
// Run inside a throwaway keyring (the core needs the Secret Service):
//   dbus-run-session -- bash -c 'export HOME=$(mktemp -d); echo -n throwaway | gnome-keyring-daemon --unlock --components=secrets >/dev/null; npx tsx bench/soak.ts'
// Options: --clients N (2..4, default 3), --messages N (default 2000), --interval MS between sends
//   (default 40), --client-restarts N (default 12), --server-restarts N (default 3), --settle S
//   (seconds to wait after the last send, default 120), --short (2 clients, 60 messages, 2 client
//   restarts and 1 server restart: a quick look, not figures of record)
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startStack, type Stack } from '../scripts/stack/stack';
import type { ChatMessage } from '../src-shared/ipc/contract';
import { makeContacts, removeProfile, startCore, uniqueName, type TestCore } from '../src-main/core/test-support/harness';
import { benchResult, loadLine, runMain } from './support';

const { values } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    clients: { type: 'string' },
    messages: { type: 'string' },
    interval: { type: 'string', default: '40' },
    'client-restarts': { type: 'string' },
    'server-restarts': { type: 'string' },
    settle: { type: 'string', default: '120' },
  },
});
const short = values.short === true;
const bounded = (v: string | undefined, fallback: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, Number(v ?? fallback) || fallback));
const CLIENTS = bounded(values.clients, short ? 2 : 3, 2, 4);
const MESSAGES = bounded(values.messages, short ? 60 : 2000, 10, 20_000);
const INTERVAL_MS = bounded(values.interval, 40, 0, 10_000);
const CLIENT_RESTARTS = bounded(values['client-restarts'], short ? 2 : 12, 0, 200);
const SERVER_RESTARTS = bounded(values['server-restarts'], short ? 1 : 3, 0, 50);
const SETTLE_MS = bounded(values.settle, 120, 5, 3600) * 1000;

interface Client {
  name: string;
  jid: string;
  accountId: string;
  profileDir: string;
  keychainService: string;
  /** null while the client is restarting */
  live: TestCore | null;
}

interface Sent {
  from: number;
  to: number;
  body: string;
}

const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** the whole stored conversation of `c` with `peer`, oldest first (messages.page pages backwards) */
async function history(c: TestCore, accountId: string, peer: string): Promise<ChatMessage[]> {
  const all: ChatMessage[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await c.core.handlers['messages.page']({ accountId, peer, limit: 500, ...(before ? { before } : {}) });
    all.unshift(...page);
    if (page.length < 500) return all;
    before = page[0]?.id;
  }
}

async function signIn(stack: Stack, prefix: string): Promise<Client> {
  const name = uniqueName(prefix);
  const password = `pw-${uniqueName('')}`;
  await stack.createAccount(name, password);
  const c = await startCore({ extraCaPem: stack.caPem });
  const jid = `${name}@${stack.domain}`;
  const info = await c.core.handlers['account.add']({ jid, password, host: stack.host, port: stack.port });
  // "always private": nothing may go in clear, whatever happens (otr.policy.set, docs/otr-in-the-app.md)
  await c.core.handlers['otr.policy.set']({ accountId: info.id, policy: 'always' });
  return { name, jid, accountId: info.id, profileDir: c.profileDir, keychainService: c.keychainService, live: c };
}

/** closes a client's core and opens it again on the same profile; resolves when it is online */
async function restartClient(stack: Stack, client: Client): Promise<void> {
  const old = client.live;
  if (!old) return;
  client.live = null;
  await old.close();
  const c = await startCore({ profileDir: client.profileDir, keychainService: client.keychainService, extraCaPem: stack.caPem });
  await c.waitFor('account.updated', (a) => a.id === client.accountId && a.status === 'online', 60_000);
  client.live = c;
}

async function main(): Promise<number> {
  console.log(`soak: ${CLIENTS} clients, ${MESSAGES} messages every ${INTERVAL_MS} ms, ${CLIENT_RESTARTS} client and ${SERVER_RESTARTS} server restarts`);
  console.log(`start: ${loadLine()}`);
  const stack = await startStack();
  const clients: Client[] = [];
  try {
    for (let i = 0; i < CLIENTS; i++) clients.push(await signIn(stack, `soak${i}`));
    for (let i = 0; i < CLIENTS; i++)
      for (let j = i + 1; j < CLIENTS; j++) {
        const a = clients[i] as Client;
        const b = clients[j] as Client;
        await makeContacts({ c: a.live as TestCore, accountId: a.accountId, jid: a.jid }, { c: b.live as TestCore, accountId: b.accountId, jid: b.jid });
      }

    // The disruptions, spread over the sending time at random moments, one at a time.
    const sendingMs = MESSAGES * Math.max(INTERVAL_MS, 5);
    const disruptions: Array<'client' | 'server'> = [...Array(CLIENT_RESTARTS).fill('client'), ...Array(SERVER_RESTARTS).fill('server')];
    const moments = disruptions.map(() => Math.random() * sendingMs).sort((x, y) => x - y);
    disruptions.sort(() => Math.random() - 0.5);
    let clientRestarts = 0;
    let serverRestarts = 0;
    const t0 = Date.now();
    const chaos = (async () => {
      for (const [k, kind] of disruptions.entries()) {
        const wait = (moments[k] as number) - (Date.now() - t0);
        if (wait > 0) await delay(wait);
        if (kind === 'server') {
          await stack.restart();
          serverRestarts++;
        } else {
          await restartClient(stack, pick(clients.filter((c) => c.live)));
          clientRestarts++;
        }
      }
    })();

    const sent: Sent[] = [];
    let refused = 0;
    for (let n = 0; n < MESSAGES; n++) {
      const up = clients.map((c, i) => (c.live ? i : -1)).filter((i) => i >= 0);
      const from = pick(up);
      const to = pick(clients.map((_, i) => i).filter((i) => i !== from));
      const body = `soak ${n} ${randomBytes(4).toString('hex')}`;
      const sender = clients[from] as Client;
      try {
        await (sender.live as TestCore).core.handlers['message.send']({ accountId: sender.accountId, to: (clients[to] as Client).jid, body });
        sent.push({ from, to, body });
      } catch {
        // the core was closed under the call by a restart: the user's send did not happen
        refused++;
      }
      if (INTERVAL_MS > 0) await delay(INTERVAL_MS);
    }
    await chaos;
    for (const c of clients) if (!c.live) await restartClient(stack, c);

    // Settle: until every receiver holds every message sent to it, or the settling time runs out.
    const settleStart = Date.now();
    const missing = async () => {
      let count = 0;
      for (const [to, client] of clients.entries()) {
        for (const [from, other] of clients.entries()) {
          if (from === to) continue;
          const held = new Set((await history(client.live as TestCore, client.accountId, other.jid)).filter((m) => m.direction === 'in').map((m) => m.body));
          count += sent.filter((s) => s.from === from && s.to === to && !held.has(s.body)).length;
        }
      }
      return count;
    };
    let left = await missing();
    while (left > 0 && Date.now() - settleStart < SETTLE_MS) {
      await delay(2000); // a benchmark may poll: this is the settling budget, not a test
      left = await missing();
    }
    const settledMs = Date.now() - settleStart;

    // Count from the stored histories: what each user sees.
    let shown = 0;
    let lost = 0;
    let twice = 0;
    let falseDelivered = 0;
    let inClear = 0;
    /** of the lost: still waiting on the sender (pending: no private session came up) / sent and never shown */
    let lostWaiting = 0;
    let lostSent = 0;
    /** each lost message with its state on the sender's side (what to look at first) */
    const lostLines: string[] = [];
    for (const [a, ca] of clients.entries()) {
      for (const [b, cb] of clients.entries()) {
        if (a === b) continue;
        const outOfA = await history(ca.live as TestCore, ca.accountId, cb.jid);
        const intoB = await history(cb.live as TestCore, cb.accountId, ca.jid);
        inClear += outOfA.filter((m) => m.direction === 'out' && !m.encrypted).length + intoB.filter((m) => m.direction === 'in' && !m.encrypted).length;
        const held = new Map<string, number>();
        for (const m of intoB) if (m.direction === 'in') held.set(m.body, (held.get(m.body) ?? 0) + 1);
        const delivered = new Set(outOfA.filter((m) => m.direction === 'out' && m.delivery === 'delivered').map((m) => m.body));
        const pending = new Set(outOfA.filter((m) => m.direction === 'out' && m.delivery === 'pending').map((m) => m.body));
        for (const s of sent.filter((x) => x.from === a && x.to === b)) {
          const times = held.get(s.body) ?? 0;
          if (times === 0) {
            lost++;
            const row = outOfA.find((m) => m.body === s.body);
            lostLines.push(`  lost ${a} -> ${b}: "${s.body}", on the sender: ${row ? `${row.delivery}${row.resent ? ', re-sent' : ''}` : 'not stored'}`);
            if (pending.has(s.body)) lostWaiting++;
            else lostSent++;
          } else if (times === 1) shown++;
          else twice++;
          if (times === 0 && delivered.has(s.body)) falseDelivered++;
        }
      }
    }

    console.log('');
    console.log(`| sent | shown once | lost | shown twice | false "Delivered" | in clear | refused sends | client restarts | server restarts | settled in |`);
    console.log(`|---|---|---|---|---|---|---|---|---|---|`);
    console.log(
      `| ${sent.length} | ${shown} | ${lost} | ${twice} | ${falseDelivered} | ${inClear} | ${refused} | ${clientRestarts} | ${serverRestarts} | ${(settledMs / 1000).toFixed(1)} s |`,
    );
    console.log(`of the lost: ${lostWaiting} still waiting on the sender for a private session, ${lostSent} sent and never shown`);
    for (const line of lostLines.slice(0, 20)) console.log(line);
    if (lostLines.length > 20) console.log(`  … and ${lostLines.length - 20} more`);
    for (const [a, ca] of clients.entries())
      for (const [b, cb] of clients.entries()) {
        if (a === b) continue;
        const st = await (ca.live as TestCore).core.handlers['otr.status']({ accountId: ca.accountId, peer: cb.jid });
        console.log(`  ${a} -> ${b}: ${st.state}, ${st.queued} queued${st.starting ? `, starting${st.starting.gaveUp ? ' (gave up)' : ''}` : ''}`);
      }
    console.log(`end: ${loadLine()}`);
    benchResult({ name: 'soak: private messages lost', value: lost, unit: 'messages', goal: '0', met: lost === 0 });
    benchResult({ name: 'soak: private messages shown twice', value: twice, unit: 'messages', goal: '0', met: twice === 0 });
    benchResult({ name: 'soak: "Delivered" for a message never shown', value: falseDelivered, unit: 'messages', goal: '0', met: falseDelivered === 0 });
    benchResult({ name: 'soak: messages in clear under "always private"', value: inClear, unit: 'messages', goal: '0', met: inClear === 0 });
    return 0;
  } finally {
    for (const c of clients) {
      await c.live?.close().catch(() => {});
      await removeProfile(c.profileDir);
    }
    await stack.stop();
  }
}

runMain(main);
