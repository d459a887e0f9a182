// OTR over real XMPP: two accounts on a real Prosody (scripts/stack), each an xmpp.js client of the
// core (xmpp/client) with its OtrAccount (keys in the real keychain, database in SQLCipher). What
// travels is checked on the receiving side: OTR bodies with the XEP-0334 / XEP-0280 / XEP-0380
// elements, addressed to the device's full JID once the session runs. Run inside a throwaway
// keyring session (docs/otr-in-the-app.md).
import { Database } from '@signalapp/sqlcipher';
import type { Element } from '@xmpp/xml';
import xml from '@xmpp/xml';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../../scripts/stack/stack';
import type { OtrNotice, OtrStatus } from '../../../src-shared/ipc/otr-contract';
import { openKeyStore, type KeyStore } from '../keychain/keychain';
import { createClient, type XmppClient } from '../xmpp/client/client';
import { OtrAccount } from './account';
import { deleteIdentity } from './identity';
import { OtrStore } from './otr-store';
import { migrate } from '../store/migrations';
import type { ReceivedMessage } from './service';
import { NS_CARBONS, NS_EME, NS_HINTS, NS_OTR } from './stanza';

let stack: Stack;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  stack = await startStack();
}, 120_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await stack?.stop();
});

interface Party {
  jid: string;
  full: string;
  client: XmppClient;
  otr: OtrAccount;
  stanzas: Element[];
  /** what this party wrote */
  written: Element[];
  received: ReceivedMessage[];
  statuses: OtrStatus[];
  notices: OtrNotice[];
  sent: string[];
  /** resolves when `pred` holds (checked after every stanza and event) */
  until(pred: () => boolean, what: string): Promise<void>;
}

async function party(name: string): Promise<Party> {
  const user = `${name}-${randomBytes(3).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  await stack.createAccount(user, password);
  const jid = `${user}@${stack.domain}`;
  const dir = mkdtempSync(join(tmpdir(), 'otr-xmpp-'));
  const db = new Database(join(dir, 'p.db'));
  db.pragma(`key = "x'${randomBytes(32).toString('hex')}'"`);
  migrate(db); // the OTR tables come from the profile database's migrations
  const keys: KeyStore = openKeyStore(`messenger-otr-xmpp-${randomBytes(6).toString('hex')}`);
  const client = createClient({
    domain: stack.domain,
    host: stack.host,
    port: stack.port,
    extraCaPem: stack.caPem,
    credentials: { username: user, password },
    resource: `dev-${name}`,
  });
  const waiters = new Set<() => void>();
  const poke = () => {
    for (const w of [...waiters]) w();
  };
  const p = { jid, full: `${jid}/dev-${name}`, client, stanzas: [], written: [], received: [], statuses: [], notices: [], sent: [] } as unknown as Party;
  p.otr = new OtrAccount({
    accountId: `acct-${name}`,
    ownJid: jid,
    keys,
    store: new OtrStore(db),
    sendStanza: async (el) => {
      p.written.push(el);
      await client.entity.send(el);
      return 'written' as const;
    },
    emit: (n, payload) => {
      if (n === 'otr.status') p.statuses.push(payload as OtrStatus);
      else p.notices.push(payload as OtrNotice);
      poke();
    },
    onMessageSent: (id) => {
      p.sent.push(id);
      poke();
    },
    onMessageFailed: () => {},
    onMessageDiscarded: () => {},
  });
  client.middleware.use((ctx, next) => {
    const el = ctx.stanza;
    if (el.is('message') && el.getChildText('body')) {
      p.stanzas.push(el);
      void p.otr.receive(el.attrs.from as string, el.getChildText('body') as string).then((list) => {
        p.received.push(...list);
        poke();
      });
      poke();
    }
    return next();
  });
  p.until = (pred, what) =>
    new Promise<void>((resolve, reject) => {
      if (pred()) return resolve();
      const timer = setTimeout(() => {
        waiters.delete(w);
        reject(new Error(`timed out waiting for ${what}`));
      }, 30_000);
      const w = () => {
        if (!pred()) return;
        clearTimeout(timer);
        waiters.delete(w);
        resolve();
      };
      waiters.add(w);
    });
  await client.entity.start();
  await client.entity.send(xml('presence'));
  await p.otr.setOnline(true);
  cleanups.push(async () => {
    await client.entity.stop().catch(() => {});
    db.close();
    await deleteIdentity(keys, `acct-${name}`);
    rmSync(dir, { recursive: true, force: true });
  });
  return p;
}

const statusOf = (p: Party, peer: string) => p.otr.run((s) => s.status(peer));

describe('OTR over XMPP (Prosody)', () => {
  it('runs a private conversation with the hints on every OTR stanza, addressed per device', async () => {
    const [a, b] = await Promise.all([party('alice'), party('bob')]);
    await a.otr.run((s) => s.start(b.jid));
    await a.until(() => a.statuses.some((st) => st.peer === b.jid && st.state === 'private-unverified'), 'alice private');
    await b.until(() => b.statuses.some((st) => st.peer === a.jid && st.state === 'private-unverified'), 'bob private');
    expect((await statusOf(a, b.jid)).resource).toBe('dev-bob');

    const id = randomUUID();
    await a.otr.run((s) => s.sendPrivate(b.jid, id, 'over the real server'));
    await b.until(() => b.received.some((m) => m.text === 'over the real server'), 'the message');
    expect(b.received.find((m) => m.text === 'over the real server')?.encrypted).toBe(true);
    await a.until(() => a.sent.includes(id), 'the write');

    // every OTR stanza bob got carries the hints (XEP-0280 §7: the server strips <private/>, so
    // that one is checked on what alice wrote); the data message was addressed to his device
    expect(b.stanzas.length).toBeGreaterThan(2);
    for (const el of b.stanzas) {
      expect(el.getChildText('body')).toMatch(/\?OTR/);
      expect(el.getChild('no-copy', NS_HINTS)).toBeDefined();
      expect(el.getChild('no-permanent-store', NS_HINTS)).toBeDefined();
      // offline storage stays allowed (an offline start is delivered from it)
      expect(el.getChild('no-store', NS_HINTS)).toBeUndefined();
      expect(el.getChild('encryption', NS_EME)?.attrs.namespace).toBe(NS_OTR);
    }
    expect(a.written.length).toBeGreaterThan(1);
    for (const el of a.written) expect(el.getChild('private', NS_CARBONS)).toBeDefined();
    const data = b.stanzas.find((el) => el.attrs.id === id);
    expect(data?.attrs.to).toBe(b.full);
    expect(data?.getChildText('body')).not.toContain('over the real server');

    // end from alice: bob sees it finished; what he writes waits and nothing goes out in clear
    await a.otr.run((s) => s.end(b.jid));
    await b.until(() => b.statuses.some((st) => st.peer === a.jid && st.state === 'finished'), 'bob finished');
    const before = a.stanzas.length;
    expect(await b.otr.run((s) => s.sendPrivate(a.jid, randomUUID(), 'must wait'))).toBe('queued');
    expect((await statusOf(b, a.jid)).queued).toBe(1);
    // a new session from alice delivers it encrypted
    await a.otr.run((s) => s.start(b.jid));
    await a.until(() => a.received.some((m) => m.text === 'must wait'), 'the waiting message');
    expect(a.received.find((m) => m.text === 'must wait')?.encrypted).toBe(true);
    expect(a.stanzas.slice(before).every((el) => !(el.getChildText('body') ?? '').includes('must wait'))).toBe(true);
  }, 120_000);
});
