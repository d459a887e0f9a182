// Recovery without rituals and no plaintext surprises, with the contact's prekeys (issue 13;
// docs/otr-in-the-app.md): two real cores on real Prosody (scripts/stack, its offline storage)
// and the real prekey server (its CLI, a child process), on the real keychain. Run inside a
// throwaway keyring session. Each message arrives exactly once, marked re-sent where it went
// again, never in clear.
import xml from '@xmpp/xml';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../../src-shared/ipc/contract';
import { connect, startServerProcess, type ServerProcess } from '../prekey/test-support/harness';
import { listenToPrekeyOutcomes, type PrekeyOutcomes } from '../prekey/test-support/outcomes';
import { contactIs, makeContacts, startCore, type TestCore } from '../test-support/harness';
import { stackPerFile } from '../test-support/stack-per-file';
import { identityVaults, storedIdentity } from './identity';

let server: ServerProcess | undefined;
let outcomes: PrekeyOutcomes | undefined;
let dataDir: string;
const file = stackPerFile(async () => {
  outcomes?.stop();
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

beforeAll(async () => {
  outcomes = listenToPrekeyOutcomes();
  dataDir = mkdtempSync(join(tmpdir(), 'otr-recovery-'));
  server = await startServerProcess(file.stack, dataDir);
}, 120_000);

/** a user whose device has published its prekeys on the prekey server */
async function publishedUser(prefix: string): Promise<{ c: TestCore; jid: string; accountId: string; password: string }> {
  const u = await file.user(prefix);
  await outcomes!.wait(u.accountId, (o) => o.outcome === 'published');
  return u;
}
const messagesOf = (c: TestCore, body: string) =>
  c.events.filter((e) => e.name === 'message.added' && (e.payload as ChatMessage).body === body).map((e) => e.payload as ChatMessage);
const isState = (peer: string, state: string) => (s: { peer: string; state: string }) => s.peer === peer && s.state === state;

describe('no plaintext surprises: published prekeys', () => {
  it('the first message to a contact who published prekeys waits for the private session instead of going in clear', async () => {
    // one after the other: sign-ins at once time out on a loaded machine
    const a = await file.user('alice');
    const b = await publishedUser('bob');
    await makeContacts(a, b);
    // opportunistic (the default), nothing else known about bob: no session, no tag, no key seen
    const sent = await a.c.core.handlers['message.send']({ accountId: a.accountId, to: b.jid, body: 'first words' });
    expect(sent.encrypted).toBe(true);
    const got = await b.c.waitFor('message.added', (m) => m.body === 'first words', 60_000);
    expect(got).toMatchObject({ direction: 'in', encrypted: true });
    await a.c.waitFor('message.updated', (m) => m.id === sent.id && m.delivery === 'delivered', 60_000);
    expect(messagesOf(b.c, 'first words')).toHaveLength(1);
    // never in clear: nothing bob's device got from alice was plaintext
    expect(b.c.events.some((e) => e.name === 'message.added' && !(e.payload as ChatMessage).encrypted)).toBe(false);
  });
});

/** alice and bob (prekeys published) in a private conversation; bob's device confirmed `hello` */
async function privateWithPublishedBob(hello: string) {
  const a = await file.user('alice');
  const b = await publishedUser('bob');
  await makeContacts(a, b);
  const A = a.c.core.handlers;
  await A['otr.start']({ accountId: a.accountId, peer: b.jid });
  await a.c.waitFor('otr.status', isState(b.jid, 'private-unverified'));
  await b.c.waitFor('otr.status', isState(a.jid, 'private-unverified'));
  const sent = await A['message.send']({ accountId: a.accountId, to: b.jid, body: hello });
  await a.c.waitFor('message.updated', (m) => m.id === sent.id && m.delivery === 'delivered', 60_000);
  return { a, b, A };
}

describe('recovery without rituals: the contact went offline with a message unconfirmed', () => {
  it('the core starts the offline session from their prekeys by itself and re-sends it there, once', async () => {
    // bob's device confirms what it reads (receipts), so "unconfirmed" means something
    const { a, b, A } = await privateWithPublishedBob('hello');
    const bobTag = (await storedIdentity(identityVaults.get(b.c.core)!, b.accountId))!.instanceTag;

    // bob's messenger goes away; alice writes into the session of his device: it waits on his
    // server, unconfirmed
    await b.c.core.handlers['account.disconnect']({ accountId: b.accountId });
    await a.c.waitFor('contact.updated', contactIs(b.jid, { presence: 'offline' }));
    const lost = await A['message.send']({ accountId: a.accountId, to: b.jid, body: 'did you get this before you left?' });
    expect(lost.encrypted).toBe(true);
    await a.c.waitFor('message.updated', (m) => m.id === lost.id && m.delivery === 'sent');

    // another device of bob (no OTR, negative priority: his server keeps his messages) shows up and leaves
    const mark = a.c.events.length;
    const other = await connect(file.stack, b.jid.split('@')[0]!, b.password, 'other');
    await other.client.entity.send(xml('presence', {}, xml('priority', {}, '-1')));
    await a.c.waitFor('contact.updated', (x) => x.jid === b.jid && x.presence !== 'offline' && a.c.events.findIndex((e) => e.payload === x) >= mark);
    await other.stop();

    // bob is offline again with the message unconfirmed: the offline start by itself, the message re-sent in it
    const resent = await a.c.waitFor('message.updated', (m) => m.id === lost.id && m.resent === true, 60_000);
    expect(resent.encrypted).toBe(true);
    const notice = await a.c.waitFor('otr.notice', (n) => n.peer === b.jid && n.kind === 'offline-sent', 60_000);
    expect(notice).toMatchObject({ messages: 1, devices: 1 });
    expect(await A['otr.status']({ accountId: a.accountId, peer: b.jid })).toMatchObject({ queued: 0, offlineDevices: [bobTag] });

    // bob comes back: the message once, encrypted; alice's copy is delivered and stays marked re-sent
    await b.c.core.handlers['account.connect']({ accountId: b.accountId });
    const got = await b.c.waitFor('message.added', (m) => m.body === 'did you get this before you left?', 60_000);
    expect(got.encrypted).toBe(true);
    await a.c.waitFor('message.updated', (m) => m.id === lost.id && m.delivery === 'delivered', 60_000);
    // everything that waited was handled once bob wrote back
    await b.c.core.handlers['message.send']({ accountId: b.accountId, to: a.jid, body: 'back' });
    await a.c.waitFor('message.added', (m) => m.body === 'back', 60_000);
    expect(messagesOf(b.c, 'did you get this before you left?')).toHaveLength(1);
    expect(b.c.events.some((e) => e.name === 'message.added' && !(e.payload as ChatMessage).encrypted)).toBe(false);
    const stored = await A['messages.page']({ accountId: a.accountId, peer: b.jid, limit: 10 });
    expect(stored.find((m) => m.id === lost.id)).toMatchObject({ resent: true, delivery: 'delivered', encrypted: true });
  });
});

describe('recovery without rituals: the contact comes back with another key', () => {
  it('says so inline and re-sends what the old device never confirmed in the new session, once', async () => {
    const { a, b, A } = await privateWithPublishedBob('hello old phone');
    const oldKey = (await A['otr.status']({ accountId: a.accountId, peer: b.jid })).theirFingerprint;

    // bob's old messenger goes away for good; alice writes into its session
    await b.c.core.handlers['account.disconnect']({ accountId: b.accountId });
    await a.c.waitFor('contact.updated', contactIs(b.jid, { presence: 'offline' }));
    const lost = await A['message.send']({ accountId: a.accountId, to: b.jid, body: 'written to the old phone' });
    expect(lost.encrypted).toBe(true);
    // a client of bob's without OTR comes online and takes it from his server's offline storage:
    // no OTR error, no receipt, the old device never reads it
    const other = await connect(file.stack, b.jid.split('@')[0]!, b.password, 'no-otr');
    const taken = new Promise<void>((resolve) =>
      other.client.entity.on('stanza', (el) => {
        if (el.is('message') && String(el.getChildText('body') ?? '').startsWith('?OTR')) resolve();
      }),
    );
    await other.client.entity.send(xml('presence'));
    await taken;

    // bob installs the messenger again (new keys, a new device) and starts a private conversation
    const b2 = await startCore({ extraCaPem: file.stack.caPem });
    file.cores.push(b2);
    const b2Account = await b2.core.handlers['account.add']({ jid: b.jid, password: b.password, host: file.stack.host, port: file.stack.port });
    await b2.waitFor('account.updated', (x) => x.status === 'online', 60_000);
    await b2.core.handlers['otr.start']({ accountId: b2Account.id, peer: a.jid });

    // alice is told inline that the key changed; the unconfirmed message goes again in the new session, once
    const changed = await a.c.waitFor('otr.notice', (n) => n.peer === b.jid && n.kind === 'fingerprint-changed', 60_000);
    expect(changed.kind === 'fingerprint-changed' && changed.fingerprint).not.toBe(oldKey);
    await a.c.waitFor('message.updated', (m) => m.id === lost.id && m.resent === true, 60_000);
    const got = await b2.waitFor('message.added', (m) => m.body === 'written to the old phone', 60_000);
    expect(got.encrypted).toBe(true);
    await a.c.waitFor('message.updated', (m) => m.id === lost.id && m.delivery === 'delivered', 60_000);
    // a later message goes to the new device as usual, and nothing came twice or in clear
    const next = await A['message.send']({ accountId: a.accountId, to: b.jid, body: 'welcome back' });
    await b2.waitFor('message.added', (m) => m.body === 'welcome back', 60_000);
    await a.c.waitFor('message.updated', (m) => m.id === next.id && m.delivery === 'delivered', 60_000);
    expect(messagesOf(b2, 'written to the old phone')).toHaveLength(1);
    expect(messagesOf(b2, 'hello old phone')).toHaveLength(0);
    expect(b2.events.some((e) => e.name === 'message.added' && !(e.payload as ChatMessage).encrypted)).toBe(false);
    await other.stop();
  });
});
