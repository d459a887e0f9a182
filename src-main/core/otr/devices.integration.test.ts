// The devices page's core (otr/devices.ts, issue 15) between two cores on a real Prosody, through
// the IPC handlers the renderer uses: a contact's device appears once a private session runs,
// with its key, first and last seen; our own page shows this device; forgetting a device drops it
// and its key's trust, and it comes back as a new device in the next session. Run inside a
// throwaway keyring session (docs/otr-in-the-app.md).
import { describe, expect, it } from 'vitest';
import { makeContacts, signedInUser } from '../test-support/harness';
import { stackPerFile } from '../test-support/stack-per-file';

const file = stackPerFile();
const { cores } = file;

const isState = (peer: string, state: string) => (s: { peer: string; state: string }) => s.peer === peer && s.state === state;

describe('OTR devices', () => {
  it('lists the contact’s device with its key and times, our own device, and forgets a device', async () => {
    const [a, b] = await Promise.all([signedInUser(file.stack, 'alice'), signedInUser(file.stack, 'bob')]);
    cores.push(a.c, b.c);
    await makeContacts(a, b);
    const A = a.c.core.handlers;
    const before = Date.now();
    expect((await A['otr.devices']({ accountId: a.accountId, peer: b.jid })).devices).toEqual([]);

    await A['otr.start']({ accountId: a.accountId, peer: b.jid });
    const st = await a.c.waitFor('otr.status', isState(b.jid, 'private-unverified'));
    await b.c.waitFor('otr.status', isState(a.jid, 'private-unverified'));
    const bobOwn = await b.c.core.handlers['otr.devices']({ accountId: b.accountId });

    const page = await A['otr.devices']({ accountId: a.accountId, peer: b.jid });
    expect(page).toMatchObject({ peer: b.jid, own: false, staleAfterDays: 30 });
    expect(page.devices).toHaveLength(1);
    const [dev] = page.devices;
    expect(dev).toMatchObject({ fingerprint: st.theirFingerprint, version: 4, verified: false, stale: false });
    // named by the resource it writes from (the core's resources are messenger-<hex>)
    expect(dev!.name).toMatch(/^messenger-[0-9a-f]{8}$/);
    expect(dev!.firstSeen).toBeGreaterThanOrEqual(before);
    expect(dev!.lastSeen).toBeGreaterThanOrEqual(dev!.firstSeen);
    // the instance tag is Bob's own, as his page for himself shows it
    expect(bobOwn.own).toBe(true);
    expect(bobOwn.devices[0]).toMatchObject({ thisDevice: true, instanceTag: dev!.instanceTag, fingerprint: st.theirFingerprint, verified: true });

    // verified on the fingerprint: the device shows it
    await A['otr.trust.set']({ accountId: a.accountId, peer: b.jid, fingerprint: st.theirFingerprint!, verified: true });
    expect((await A['otr.devices']({ accountId: a.accountId, peer: b.jid })).devices[0]!.verified).toBe(true);

    // our own device cannot be forgotten from itself
    const ownTag = (await A['otr.devices']({ accountId: a.accountId })).devices[0]!.instanceTag;
    await expect(A['otr.devices.forget']({ accountId: a.accountId, instanceTag: ownTag })).rejects.toMatchObject({ code: 'invalid-argument' });

    // forget Bob's device: gone, and so is the key's trust
    const after = await A['otr.devices.forget']({ accountId: a.accountId, peer: b.jid, instanceTag: dev!.instanceTag });
    expect(after.devices).toEqual([]);
    expect((await A['otr.fingerprints']({ accountId: a.accountId, peer: b.jid })).theirs).toEqual([]);
    await expect(A['otr.devices.forget']({ accountId: a.accountId, peer: b.jid, instanceTag: dev!.instanceTag })).rejects.toMatchObject({
      code: 'not-found',
    });

    // the next session brings it back as a device to verify again
    await A['otr.end']({ accountId: a.accountId, peer: b.jid });
    await b.c.waitFor('otr.status', isState(a.jid, 'finished'));
    await A['otr.start']({ accountId: a.accountId, peer: b.jid });
    // Bob's message waits for the new session and arrives encrypted inside it
    await b.c.core.handlers['message.send']({ accountId: b.accountId, to: a.jid, body: 'after being forgotten' });
    expect((await a.c.waitFor('message.added', (m) => m.body === 'after being forgotten')).encrypted).toBe(true);
    const again = await A['otr.devices']({ accountId: a.accountId, peer: b.jid });
    expect(again.devices).toEqual([expect.objectContaining({ instanceTag: dev!.instanceTag, verified: false })]);
  });
});
