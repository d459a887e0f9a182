// Issue 15, nicknames (XEP-0172) against a real server (Prosody, and ejabberd in the
// integration-ejabberd project): our own nickname goes with our subscription requests; the
// contact who gets the request sees it as the name until they give one of their own in the
// roster, which wins. A nickname set or changed later reaches contacts over PEP (§4.5).
import { describe, expect, it } from 'vitest';
import { contactIs, makeContacts } from '../test-support/harness';
import { stackPerFile } from '../test-support/stack-per-file';

const file = stackPerFile();

describe('nicknames (XEP-0172)', () => {
  it('our nickname goes with a subscription request and names us where the roster does not', async () => {
    const alice = await file.user('alice');
    const carol = await file.user('carol');
    const A = alice.c.core.handlers;
    const C = carol.c.core.handlers;

    expect(await A['account.nick.get']({ accountId: alice.accountId })).toEqual({ accountId: alice.accountId, nick: '' });
    expect(await A['account.nick.set']({ accountId: alice.accountId, nick: 'Alice Liddell' })).toEqual({ accountId: alice.accountId, nick: 'Alice Liddell' });

    await A['contact.add']({ accountId: alice.accountId, jid: carol.jid });
    const asked = await carol.c.waitFor('contact.updated', contactIs(alice.jid, { pendingIn: true, nick: 'Alice Liddell' }));
    expect(asked.name).toBe('Alice Liddell');

    // approved: in carol's roster without a name of carol's own, still shown by the nickname
    await C['contact.approve']({ accountId: carol.accountId, jid: alice.jid });
    await carol.c.waitFor('contact.updated', contactIs(alice.jid, { subscription: 'both', name: 'Alice Liddell' }));

    // the roster name carol gives wins; the nickname stays known
    const renamed = await C['contact.rename']({ accountId: carol.accountId, jid: alice.jid, name: 'Ally' });
    expect(renamed).toMatchObject({ name: 'Ally', nick: 'Alice Liddell' });
    // and with it removed, the nickname names her again
    expect(await C['contact.rename']({ accountId: carol.accountId, jid: alice.jid, name: '' })).toMatchObject({ name: 'Alice Liddell' });

    // carol asked back (approve asks when she did not see alice yet) without a nickname: alice sees none
    const back = await alice.c.waitFor('contact.updated', contactIs(carol.jid, { subscription: 'both' }));
    expect(back.nick).toBeUndefined();
    expect(back.name).toBeUndefined();
  });

  it('a nickname set or changed later reaches contacts over PEP, and its removal too', async () => {
    const alice = await file.user('alice');
    const bob = await file.user('bob');
    await makeContacts(alice, bob);
    const A = alice.c.core.handlers;
    // a contact of an earlier session, as in daily use: ejabberd's PEP notifies the contacts its
    // session knew at login (a subscription made during a session counts from the next one);
    // Prosody's follows the roster at once
    await A['account.disconnect']({ accountId: alice.accountId });
    alice.c.events.length = 0;
    await A['account.connect']({ accountId: alice.accountId });
    await alice.c.waitFor('contact.updated', (c) => c.jid === bob.jid && c.presence !== 'offline');

    // no subscription request carries it now: only the PEP notification can bring it
    await A['account.nick.set']({ accountId: alice.accountId, nick: 'Alice \u202eLiddell' });
    const seen = await bob.c.waitFor('contact.updated', contactIs(alice.jid, { nick: 'Alice Liddell' }));
    expect(seen.name).toBe('Alice Liddell'); // cleaned: the bidi override is gone (§7)

    await A['account.nick.set']({ accountId: alice.accountId, nick: 'Al' });
    await bob.c.waitFor('contact.updated', contactIs(alice.jid, { nick: 'Al', name: 'Al' }));

    await A['account.nick.set']({ accountId: alice.accountId, nick: '' });
    const removed = await bob.c.waitFor('contact.updated', (c) => c.jid === alice.jid && c.nick === undefined);
    expect(removed.name).toBeUndefined();
    // her own notifications (PEP sends them to her devices too) name nobody on her side
    expect(alice.c.events.some((e) => e.name === 'contact.updated' && (e.payload as { nick?: string }).nick !== undefined)).toBe(false);
  });

  it('a contact who comes online later gets the current nickname from the server', async () => {
    const alice = await file.user('alice');
    const bob = await file.user('bob');
    await makeContacts(alice, bob);
    await bob.c.core.handlers['account.disconnect']({ accountId: bob.accountId });
    await alice.c.core.handlers['account.nick.set']({ accountId: alice.accountId, nick: 'Alice while you were away' });
    await bob.c.core.handlers['account.connect']({ accountId: bob.accountId });
    // XEP-0163 §4.3.2: the last published item goes to a contact whose presence arrives with +notify
    await bob.c.waitFor('contact.updated', contactIs(alice.jid, { nick: 'Alice while you were away' }));
  });
});
