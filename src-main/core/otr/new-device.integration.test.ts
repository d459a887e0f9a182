// Issue 13, "one conversation, several devices", on a real Prosody: Bob's second device signs in
// while Alice's private conversation with his first one runs. Alice is told once, calmly, that Bob
// has a new device (a 'new-device' notice with its fingerprint, instance tag and name), not that
// his key changed; then she chooses that only Bob's laptop gets what she writes
// (otr.devices.choose), and the next message reaches only it. Run inside a throwaway keyring
// session (docs/otr-in-the-app.md).
import { describe, expect, it } from 'vitest';
import type { ChatMessage, Contact } from '../../../src-shared/ipc/contract';
import type { OtrNotice } from '../../../src-shared/ipc/otr-contract';
import { makeContacts, type TestUser } from '../test-support/harness';
import { stackPerFile } from '../test-support/stack-per-file';
import { bodyIs, isState, ownDevice, privateAliceAndBob, secondDevice } from './test-support/devices-kit';

const file = stackPerFile();

const noticesOf = (u: TestUser, peer: string): OtrNotice[] =>
  u.c.events
    .filter((e) => e.name === 'otr.notice')
    .map((e) => e.payload as OtrNotice)
    .filter((n) => n.peer === peer);

describe("a contact's second device", () => {
  it('is announced once as a new device, and the user can write to it alone', async () => {
    const { alice, bob: phone, A } = await privateAliceAndBob(file);

    // Bob's laptop signs in and starts its own private session with Alice
    const laptop = await secondDevice(file, phone);
    await laptop.c.waitFor('contact.updated', (c: Contact) => c.jid === alice.jid && c.presence !== 'offline');
    const lap = await ownDevice(laptop);
    await laptop.c.core.handlers['otr.start']({ accountId: laptop.accountId, peer: alice.jid });
    await laptop.c.waitFor('otr.status', isState(alice.jid, 'private-unverified'));

    // Alice: a new device of Bob's, with its key, tag and name; no key change
    const added = await alice.c.waitFor('otr.notice', (n) => n.peer === phone.jid && n.kind === 'new-device');
    expect(added).toMatchObject({ kind: 'new-device', instanceTag: lap.instanceTag, fingerprint: lap.fingerprint });
    const page = await A['otr.devices']({ accountId: alice.accountId, peer: phone.jid });
    const named = page.devices.find((d) => d.instanceTag === lap.instanceTag)?.name;
    expect(named).toBeTruthy();
    expect(added.kind === 'new-device' && added.device).toBe(named);
    const st = await alice.c.waitFor('otr.status', (s) => s.peer === phone.jid && (s.sessionDevices?.length ?? 0) === 2);
    expect(st.sessionDevices?.every((d) => d.receives)).toBe(true);

    // Alice chooses Bob's laptop alone: what she writes next reaches only it
    const chosen = await A['otr.devices.choose']({ accountId: alice.accountId, peer: phone.jid, instanceTags: [lap.instanceTag] });
    expect(chosen.chosenDevices).toEqual([lap.instanceTag]);
    const only = await A['message.send']({ accountId: alice.accountId, to: phone.jid, body: 'only to the laptop' });
    expect(only.encrypted).toBe(true);
    expect((await laptop.c.waitFor('message.added', bodyIs('only to the laptop'))).encrypted).toBe(true);
    await alice.c.waitFor('message.updated', (m) => m.id === only.id && m.delivery === 'delivered');

    // back to every device: the phone gets the next one, and had nothing before it (the server
    // keeps the order of Alice's messages to the phone, RFC 6120 §10.1)
    await A['otr.devices.choose']({ accountId: alice.accountId, peer: phone.jid, instanceTags: null });
    await A['message.send']({ accountId: alice.accountId, to: phone.jid, body: 'to both again' });
    const [onPhone] = await Promise.all([
      phone.c.waitFor('message.added', bodyIs('to both again')),
      laptop.c.waitFor('message.added', bodyIs('to both again')),
    ]);
    expect(onPhone.encrypted).toBe(true);
    expect(phone.c.events.some((e) => e.name === 'message.added' && (e.payload as ChatMessage).body === 'only to the laptop')).toBe(false);

    // said once, and never as a key change
    const said = noticesOf(alice, phone.jid).map((n) => n.kind);
    expect(said.filter((k) => k === 'new-device')).toHaveLength(1);
    expect(said).not.toContain('fingerprint-changed');
  });

  it('refuses a device without a private session with a typed error', async () => {
    const alice = await file.user('alice');
    const bob = await file.user('bob');
    await makeContacts(alice, bob);
    const A = alice.c.core.handlers;
    await A['otr.start']({ accountId: alice.accountId, peer: bob.jid });
    await alice.c.waitFor('otr.status', isState(bob.jid, 'private-unverified'));
    await expect(A['otr.devices.choose']({ accountId: alice.accountId, peer: bob.jid, instanceTags: [0x12345678] })).rejects.toMatchObject({
      code: 'not-found',
    });
  });
});
