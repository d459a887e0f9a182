// The core against a real Prosody (scripts/stack) and the real OS keychain. Run inside a
// throwaway keyring session (docs/core.md, "Tests").
import { describe, expect, it } from 'vitest';
import keytar from 'keytar';
import { freePort } from '../../scripts/stack/stack';
import { contactIs, makeContacts, startCore, type TestCore, uniqueName } from './test-support/harness';
import { errorOf, stackPerFile } from './test-support/stack-per-file';

const file = stackPerFile();
const { cores } = file;

/** a core on a fresh profile; `trustStackCa: false` leaves the stack's CA untrusted */
async function core(trustStackCa = true): Promise<TestCore> {
  const c = await startCore(trustStackCa ? { extraCaPem: file.stack.caPem } : {});
  cores.push(c);
  return c;
}

/** A signed-in core with a fresh account created with prosodyctl. */
const user = (prefix: string) => file.user(prefix);

describe('accounts', () => {
  it('registers an account in-band (XEP-0077) and signs in', async () => {
    const c = await core();
    const jid = `${uniqueName('reg')}@${file.stack.domain}`;
    const info = await c.core.handlers['account.register']({ jid, password: 'secret-pw-1', host: file.stack.host, port: file.stack.port });
    expect(info).toMatchObject({ jid, status: 'online' });
    const snap = await c.core.handlers['app.snapshot']({});
    expect(snap.accounts.map((a) => a.jid)).toEqual([jid]);
  });

  it('refuses to register a name that exists: account-exists', async () => {
    const name = uniqueName('taken');
    await file.stack.createAccount(name, 'whatever-1');
    const c = await core();
    const e = await errorOf(
      c.core.handlers['account.register']({ jid: `${name}@${file.stack.domain}`, password: 'other-pw', host: file.stack.host, port: file.stack.port }),
    );
    expect(e.code).toBe('account-exists');
    expect((await c.core.handlers['app.snapshot']({})).accounts).toEqual([]);
  });

  it('wrong password: auth-failed, and nothing is stored', async () => {
    const name = uniqueName('wp');
    await file.stack.createAccount(name, 'right-password');
    const c = await core();
    const e = await errorOf(
      c.core.handlers['account.add']({ jid: `${name}@${file.stack.domain}`, password: 'wrong-password', host: file.stack.host, port: file.stack.port }),
    );
    expect(e.code).toBe('auth-failed');
    expect(e.message).toMatch(/did not accept/);
    expect(e.message).not.toContain('wrong-password');
    expect((await c.core.handlers['app.snapshot']({})).accounts).toEqual([]);
  });

  it('without a host, connects to the domain itself (no SRV record for localhost: RFC 6120 §3.2.2 fallback)', async () => {
    const name = uniqueName('nohost');
    await file.stack.createAccount(name, 'pw-nohost');
    const c = await core();
    const info = await c.core.handlers['account.add']({ jid: `${name}@${file.stack.domain}`, password: 'pw-nohost', port: file.stack.port });
    expect(info.status).toBe('online');
  });

  it('nobody listening: server-unreachable', async () => {
    const c = await core();
    const port = await freePort(); // free, so nothing listens there
    const e = await errorOf(c.core.handlers['account.add']({ jid: `x@${file.stack.domain}`, password: 'pw', host: '127.0.0.1', port }));
    expect(e.code).toBe('server-unreachable');
  });

  it('certificate from an unknown CA: certificate-untrusted', async () => {
    const name = uniqueName('cert');
    await file.stack.createAccount(name, 'pw-cert');
    const c = await core(false); // the stack's CA is not trusted by this core
    const e = await errorOf(
      c.core.handlers['account.add']({ jid: `${name}@${file.stack.domain}`, password: 'pw-cert', host: file.stack.host, port: file.stack.port }),
    );
    expect(e.code).toBe('certificate-untrusted');
    expect((await c.core.handlers['app.snapshot']({})).accounts).toEqual([]);
  });

  it('registration against an untrusted certificate never sends the password: certificate-untrusted', async () => {
    const c = await core(false);
    const e = await errorOf(
      c.core.handlers['account.register']({ jid: `${uniqueName('r')}@${file.stack.domain}`, password: 'pw', host: file.stack.host, port: file.stack.port }),
    );
    expect(e.code).toBe('certificate-untrusted');
  });
});

describe('removing an account', () => {
  it('disconnects it, forgets its data and deletes its password from the keychain', async () => {
    const u = await user('gone');
    const entry = `account-password:${u.accountId}`;
    expect(await keytar.getPassword(u.c.keychainService, entry)).toBe(u.password);
    await u.c.core.handlers['message.send']({ accountId: u.accountId, to: `nobody@${file.stack.domain}`, body: 'to be forgotten' });
    await u.c.core.handlers['account.remove']({ accountId: u.accountId });
    await u.c.waitFor('account.removed', (r) => r.accountId === u.accountId);
    expect(await u.c.core.handlers['app.snapshot']({})).toEqual({ accounts: [], contacts: [] });
    expect(await keytar.getPassword(u.c.keychainService, entry)).toBeNull();
    expect((await errorOf(u.c.core.handlers['account.connect']({ accountId: u.accountId }))).code).toBe('not-found');
    expect((await errorOf(u.c.core.handlers['messages.page']({ accountId: u.accountId, peer: `nobody@${file.stack.domain}`, limit: 10 }))).code).toBe(
      'not-found',
    );
  });
});

describe('contacts, presence and chat between two accounts', () => {
  it('request and approve, presence, messages both ways with receipts, remove', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const A = alice.c.core.handlers;
    const B = bob.c.core.handlers;

    // RFC 6121 §3.1: alice asks
    const added = await A['contact.add']({ accountId: alice.accountId, jid: bob.jid, name: 'Bob' });
    expect(added).toMatchObject({ jid: bob.jid, pendingOut: true, name: 'Bob' });
    await bob.c.waitFor('contact.updated', contactIs(alice.jid, { pendingIn: true }));

    // bob approves (and asks back; alice's core accepts that since she asked first)
    await B['contact.approve']({ accountId: bob.accountId, jid: alice.jid });
    await alice.c.waitFor('contact.updated', contactIs(bob.jid, { subscription: 'both', pendingOut: false }));
    await bob.c.waitFor('contact.updated', contactIs(alice.jid, { subscription: 'both', pendingIn: false }));

    // presence both ways
    await alice.c.waitFor('contact.updated', contactIs(bob.jid, { presence: 'online' }));
    await bob.c.waitFor('contact.updated', contactIs(alice.jid, { presence: 'online' }));

    // alice -> bob, with a receipt back (XEP-0184)
    const m1 = await A['message.send']({ accountId: alice.accountId, to: bob.jid, body: 'hello bob' });
    expect(m1).toMatchObject({ direction: 'out', peer: bob.jid, body: 'hello bob' });
    const got1 = await bob.c.waitFor('message.added', (m) => m.body === 'hello bob');
    expect(got1).toMatchObject({ direction: 'in', peer: alice.jid });
    await alice.c.waitFor('message.updated', (m) => m.id === m1.id && m.delivery === 'delivered');

    // bob -> alice
    const m2 = await B['message.send']({ accountId: bob.accountId, to: alice.jid, body: 'hi alice' });
    await alice.c.waitFor('message.added', (m) => m.body === 'hi alice' && m.direction === 'in');
    await bob.c.waitFor('message.updated', (m) => m.id === m2.id && m.delivery === 'delivered');

    // unread count and mark read
    const aliceView = (await A['app.snapshot']({})).contacts.find((c) => c.jid === bob.jid);
    expect(aliceView?.unread).toBe(1);
    await A['conversation.markRead']({ accountId: alice.accountId, peer: bob.jid });
    expect((await A['app.snapshot']({})).contacts.find((c) => c.jid === bob.jid)?.unread).toBe(0);

    // history page, newest last
    const page = await A['messages.page']({ accountId: alice.accountId, peer: bob.jid, limit: 100 });
    expect(page.map((m) => [m.direction, m.body])).toEqual([
      ['out', 'hello bob'],
      ['in', 'hi alice'],
    ]);
    const older = await A['messages.page']({ accountId: alice.accountId, peer: bob.jid, limit: 100, before: page[1]!.id });
    expect(older.map((m) => m.body)).toEqual(['hello bob']);

    // alice goes offline: bob sees it
    await A['account.disconnect']({ accountId: alice.accountId });
    await bob.c.waitFor('contact.updated', contactIs(alice.jid, { presence: 'offline' }));
    await A['account.connect']({ accountId: alice.accountId });
    await bob.c.waitFor(
      'contact.updated',
      (c) => c.jid === alice.jid && c.presence === 'online' && bob.c.events.filter((e) => e.name === 'contact.updated').length > 0,
    );

    // RFC 6121 §2.5: alice removes bob; both subscriptions end
    await A['contact.remove']({ accountId: alice.accountId, jid: bob.jid });
    await bob.c.waitFor('contact.updated', contactIs(alice.jid, { subscription: 'none' }));
    await alice.c.waitFor('contact.removed', (r) => r.jid === bob.jid);
    // bob is gone from alice's list; the conversation's history stays readable
    expect((await A['app.snapshot']({})).contacts.filter((c) => c.jid === bob.jid)).toEqual([]);
    expect(await A['messages.page']({ accountId: alice.accountId, peer: bob.jid, limit: 10 })).toHaveLength(2);
  });

  it('two devices of one account: what one sends shows on the other (XEP-0280), replies reach both once', async () => {
    const alice = await user('twodev');
    const bob = await user('bobdev');
    const second = await core();
    const secondInfo = await second.core.handlers['account.add']({ jid: alice.jid, password: alice.password, host: file.stack.host, port: file.stack.port });
    // conversations not made private: OTR sessions are per device, so only plaintext is readable
    // on every device (docs/otr-in-the-app.md "Several devices")
    for (const [c, id] of [
      [alice.c, alice.accountId],
      [second, secondInfo.id],
      [bob.c, bob.accountId],
    ] as const) {
      await c.core.handlers['otr.policy.set']({ accountId: id, policy: 'manual' });
    }
    await makeContacts(alice, bob, [second]);

    await alice.c.core.handlers['message.send']({ accountId: alice.accountId, to: bob.jid, body: 'from device one' });
    await bob.c.waitFor('message.added', (m) => m.body === 'from device one');
    const copy = await second.waitFor('message.added', (m) => m.body === 'from device one');
    expect(copy).toMatchObject({ direction: 'out', peer: bob.jid, delivery: 'sent' });

    await bob.c.core.handlers['message.send']({ accountId: bob.accountId, to: alice.jid, body: 'to both devices' });
    await alice.c.waitFor('message.added', (m) => m.body === 'to both devices');
    await second.waitFor('message.added', (m) => m.body === 'to both devices');
    await second.core.handlers['message.send']({ accountId: secondInfo.id, to: bob.jid, body: 'from device two' });
    await alice.c.waitFor('message.added', (m) => m.body === 'from device two');
    const page = async (c: TestCore, id: string) =>
      (await c.core.handlers['messages.page']({ accountId: id, peer: bob.jid, limit: 10 })).map((m) => `${m.direction}:${m.body}`);
    expect(await page(second, secondInfo.id)).toEqual(['out:from device one', 'in:to both devices', 'out:from device two']);
    expect(await page(alice.c, alice.accountId)).toEqual(['out:from device one', 'in:to both devices', 'out:from device two']);
  });

  it('deny: the asking side ends with no subscription and nothing pending', async () => {
    const carol = await user('carol');
    const dave = await user('dave');
    await carol.c.core.handlers['contact.add']({ accountId: carol.accountId, jid: dave.jid });
    await dave.c.waitFor('contact.updated', contactIs(carol.jid, { pendingIn: true }));
    await dave.c.core.handlers['contact.deny']({ accountId: dave.accountId, jid: carol.jid });
    await carol.c.waitFor('contact.updated', contactIs(dave.jid, { pendingOut: false, subscription: 'none' }));
    const daveView = (await dave.c.core.handlers['app.snapshot']({})).contacts.filter((c) => c.jid === carol.jid);
    expect(daveView).toEqual([]);
  });

  it('a message to an offline contact arrives when they sign in (offline storage), once', async () => {
    const eve = await user('eve');
    const frank = await user('frank');
    await makeContacts(eve, frank);
    await frank.c.core.handlers['account.disconnect']({ accountId: frank.accountId });
    const sent = await eve.c.core.handlers['message.send']({ accountId: eve.accountId, to: frank.jid, body: 'while you were away' });
    await eve.c.waitFor('message.updated', (m) => m.id === sent.id && m.delivery === 'sent');
    await frank.c.core.handlers['account.connect']({ accountId: frank.accountId });
    await frank.c.waitFor('message.added', (m) => m.body === 'while you were away');
    await eve.c.waitFor('message.updated', (m) => m.id === sent.id && m.delivery === 'delivered');
    const page = await frank.c.core.handlers['messages.page']({ accountId: frank.accountId, peer: eve.jid, limit: 10 });
    expect(page.map((m) => m.body)).toEqual(['while you were away']);
  });
});

describe('accounts across restarts', () => {
  it('an account taken offline stays offline when the messenger starts again, until connected', async () => {
    const u = await user('sleepy');
    const reopen = async (): Promise<TestCore> => {
      const prev = cores.pop()!;
      await prev.close();
      const next = await startCore({ profileDir: prev.profileDir, keychainService: prev.keychainService, extraCaPem: file.stack.caPem });
      cores.push(next);
      return next;
    };
    expect((await u.c.core.handlers['account.disconnect']({ accountId: u.accountId })).status).toBe('offline');
    let c = await reopen();
    // the snapshot says offline and nothing connects by itself: the account waits for the user
    expect((await c.core.handlers['app.snapshot']({})).accounts).toEqual([expect.objectContaining({ id: u.accountId, status: 'offline' })]);
    expect(c.events.some((e) => e.name === 'account.updated')).toBe(false);
    expect((await c.core.handlers['account.connect']({ accountId: u.accountId })).status).toBe('online');
    c = await reopen();
    await c.waitFor('account.updated', (a) => a.id === u.accountId && a.status === 'online', 60_000);
  });
});
