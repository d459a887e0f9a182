// Issue 13, "one conversation, several devices", on a real Prosody: Bob is signed in on two
// devices (two cores on the same account, each its own resource, OTR instance tag and key).
// Alice's private conversation runs one OTR session per device (OTRv4 §"Instance Tags"): what she
// writes is encrypted to each of Bob's devices that is online, a device that joins while the
// first session runs gets its own session without anyone pressing anything, replies from either
// device are marked with it, and a device that went offline gets nothing more. Run inside a
// throwaway keyring session (docs/otr-in-the-app.md).
import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import type { Contact } from '../../../src-shared/ipc/contract';
import { createClient, type XmppClient } from '../xmpp/client/client';
import { type TestUser } from '../test-support/harness';
import { stackPerFile } from '../test-support/stack-per-file';
import { bodyIs, isState, ownDevice, privateAliceAndBob, secondDevice } from './test-support/devices-kit';

const raw: XmppClient[] = [];
const file = stackPerFile(async () => {
  for (const r of raw) await r.entity.stop().catch(() => {});
});

/** the name `viewer` knows the contact's device by (its XMPP resource, otr/devices.ts) */
async function deviceName(viewer: TestUser, peer: string, instanceTag: number): Promise<string> {
  const page = await viewer.c.core.handlers['otr.devices']({ accountId: viewer.accountId, peer });
  const d = page.devices.find((x) => x.instanceTag === instanceTag);
  if (!d?.name) throw new Error(`device ${instanceTag} has no name`);
  return d.name;
}

describe('one private conversation with a contact on several devices', () => {
  it('reaches every device of the contact, marks replies with their device, and skips a device that left', async () => {
    // a private conversation with Bob's first device
    const { alice, bob: bob1, A } = await privateAliceAndBob(file);
    const dev1 = { instanceTag: (await ownDevice(bob1)).instanceTag, name: '' };

    // Bob's second device joins and asks for a private conversation: Alice's client answers by
    // itself, and the header's session is now the one with the second device
    const bob2 = await secondDevice(file, bob1);
    await bob2.c.waitFor('contact.updated', (c: Contact) => c.jid === alice.jid && c.presence !== 'offline');
    const dev2 = { instanceTag: (await ownDevice(bob2)).instanceTag, name: '' };
    expect(dev2.instanceTag).not.toBe(dev1.instanceTag);
    await bob2.c.core.handlers['otr.start']({ accountId: bob2.accountId, peer: alice.jid });
    await bob2.c.waitFor('otr.status', isState(alice.jid, 'private-unverified'));
    await alice.c.waitFor('otr.status', (s) => s.peer === bob1.jid && s.state === 'private-unverified' && s.theirInstanceTag === dev2.instanceTag);
    // both devices are on Alice's devices page
    const page = await A['otr.devices']({ accountId: alice.accountId, peer: bob1.jid });
    expect(page.devices.map((d) => d.instanceTag).sort()).toEqual([dev1.instanceTag, dev2.instanceTag].sort());
    dev1.name = await deviceName(alice, bob1.jid, dev1.instanceTag);
    dev2.name = await deviceName(alice, bob1.jid, dev2.instanceTag);
    expect(dev2.name).not.toBe(dev1.name);

    // one message from Alice: each of Bob's devices decrypts its own copy; one row on Alice's side
    const sent = await A['message.send']({ accountId: alice.accountId, to: bob1.jid, body: 'to both of your devices' });
    const [on1, on2] = await Promise.all([
      bob1.c.waitFor('message.added', bodyIs('to both of your devices')),
      bob2.c.waitFor('message.added', bodyIs('to both of your devices')),
    ]);
    expect(on1.encrypted).toBe(true);
    expect(on2.encrypted).toBe(true);
    await alice.c.waitFor('message.updated', (m) => m.id === sent.id && m.delivery === 'delivered');
    const mine = (await A['messages.page']({ accountId: alice.accountId, peer: bob1.jid, limit: 20 })).filter((m) => m.direction === 'out');
    expect(mine.map((m) => m.body)).toEqual(['to both of your devices']);

    // replies from each device arrive in the one conversation, each marked with its device
    await bob2.c.core.handlers['message.send']({ accountId: bob2.accountId, to: alice.jid, body: 'from the second device' });
    const r2 = await alice.c.waitFor('message.added', bodyIs('from the second device'));
    expect(r2).toMatchObject({ encrypted: true, device: dev2.name });
    await bob1.c.core.handlers['message.send']({ accountId: bob1.accountId, to: alice.jid, body: 'from the first device' });
    const r1 = await alice.c.waitFor('message.added', bodyIs('from the first device'));
    expect(r1).toMatchObject({ encrypted: true, device: dev1.name });
    // and so they are stored
    const stored = await A['messages.page']({ accountId: alice.accountId, peer: bob1.jid, limit: 20 });
    expect(stored.filter((m) => m.direction === 'in').map((m) => [m.body, m.device])).toEqual([
      ['from the second device', dev2.name],
      ['from the first device', dev1.name],
    ]);

    // the second device writes last, then goes away (unavailable presence)
    await bob2.c.core.handlers['message.send']({ accountId: bob2.accountId, to: alice.jid, body: 'leaving now' });
    await alice.c.waitFor('message.added', bodyIs('leaving now'));
    const before = new Set(alice.c.events.filter((e) => e.name === 'contact.updated').map((e) => e.payload));
    await bob2.c.close();
    await alice.c.waitFor('contact.updated', (c) => c.jid === bob1.jid && !before.has(c));

    // A plain client on Bob's account watches: the server hands a message for a resource that left
    // to the account's other resources (RFC 6121 §8.5.3.2.1), so a copy for the second device
    // would show up here. Alice has seen it come online before she writes.
    const seenBefore = new Set(alice.c.events.filter((e) => e.name === 'contact.updated').map((e) => e.payload));
    const watcher = createClient({
      domain: file.stack.domain,
      host: file.stack.host,
      port: file.stack.port,
      extraCaPem: file.stack.caPem,
      credentials: { username: bob1.jid.split('@')[0]!, password: bob1.password },
      resource: 'watcher',
    });
    raw.push(watcher);
    const otrAtWatcher: string[] = [];
    const queriesAtWatcher: string[] = [];
    let markerSeen: () => void = () => {};
    const marker = new Promise<void>((resolve) => (markerSeen = resolve));
    watcher.entity.on('stanza', (el: Element) => {
      const body = el.is('message') ? el.getChildText('body') : null;
      // an encoded OTR message ("?OTR:"): a copy; a query ("?OTRv4...?"): asked for a session
      if (body?.includes('?OTR:')) otrAtWatcher.push(body);
      else if (body?.includes('?OTRv')) queriesAtWatcher.push(body);
      if (el.is('presence') && el.getChildText('status') === 'marker after the message') markerSeen();
    });
    await watcher.entity.start();
    await watcher.entity.send(xml('presence', {}));
    await alice.c.waitFor('contact.updated', (c) => c.jid === bob1.jid && !seenBefore.has(c));

    // the next message goes to the device that is still there, and it confirms it
    const next = await A['message.send']({ accountId: alice.accountId, to: bob1.jid, body: 'after one device left' });
    expect((await bob1.c.waitFor('message.added', bodyIs('after one device left'))).encrypted).toBe(true);
    await alice.c.waitFor('message.updated', (m) => m.id === next.id && m.delivery === 'delivered');
    // and to nobody else: Alice's presence, written after it on the same stream, reaches the
    // watcher after anything of hers that came before it
    await A['presence.set']({ accountId: alice.accountId, show: 'online', status: 'marker after the message' });
    await marker;
    expect(otrAtWatcher).toEqual([]);
    // the watcher, online without a session, was asked for one (once: otr/fanout.ts devicesToAsk)
    expect(queriesAtWatcher).toHaveLength(1);
  });

  it('a device that writes in clear while another has a session is asked for its own session, and then gets what is written', async () => {
    const { alice, bob: bob1, A } = await privateAliceAndBob(file);

    // a new device of Bob's, which knows nothing of Alice's private conversation, writes in clear
    const bob2 = await secondDevice(file, bob1);
    await bob2.c.waitFor('contact.updated', (c: Contact) => c.jid === alice.jid && c.presence !== 'offline');
    const tag2 = (await ownDevice(bob2)).instanceTag;
    await bob2.c.core.handlers['message.send']({ accountId: bob2.accountId, to: alice.jid, body: 'hello from a new device' });
    // in clear: that device has no reason to think Alice speaks OTR (were it to wait for a private
    // session instead, by a query of its own, what follows holds as well)
    await alice.c.waitFor('message.added', bodyIs('hello from a new device'));
    // Alice's client asks that device for a session of its own, without her doing anything
    await alice.c.waitFor('otr.status', (s) => s.peer === bob1.jid && s.state === 'private-unverified' && s.theirInstanceTag === tag2);
    await bob2.c.waitFor('otr.status', isState(alice.jid, 'private-unverified'));

    await A['message.send']({ accountId: alice.accountId, to: bob1.jid, body: 'now to both' });
    const [on1, on2] = await Promise.all([bob1.c.waitFor('message.added', bodyIs('now to both')), bob2.c.waitFor('message.added', bodyIs('now to both'))]);
    expect([on1.encrypted, on2.encrypted]).toEqual([true, true]);
  });

  it('a device that signs in while the conversation is private and says nothing is asked for a session when Alice writes', async () => {
    const { alice, bob: bob1, A } = await privateAliceAndBob(file);

    // Bob's second device comes online; Alice sees it (its presence), nothing else happens
    const seen = new Set(alice.c.events.filter((e) => e.name === 'contact.updated').map((e) => e.payload));
    const bob2 = await secondDevice(file, bob1);
    await alice.c.waitFor('contact.updated', (c) => c.jid === bob1.jid && !seen.has(c));
    const tag2 = (await ownDevice(bob2)).instanceTag;

    // Alice writes: the first device reads it, the new one is asked for a session of its own ...
    await A['message.send']({ accountId: alice.accountId, to: bob1.jid, body: 'while you sign in' });
    await bob1.c.waitFor('message.added', bodyIs('while you sign in'));
    await alice.c.waitFor('otr.status', (s) => s.peer === bob1.jid && s.state === 'private-unverified' && s.theirInstanceTag === tag2);
    await bob2.c.waitFor('otr.status', isState(alice.jid, 'private-unverified'));
    // ... and gets what she writes next, as the first one does
    await A['message.send']({ accountId: alice.accountId, to: bob1.jid, body: 'to both now' });
    const [on1, on2] = await Promise.all([bob1.c.waitFor('message.added', bodyIs('to both now')), bob2.c.waitFor('message.added', bodyIs('to both now'))]);
    expect([on1.encrypted, on2.encrypted]).toEqual([true, true]);
  });
});
