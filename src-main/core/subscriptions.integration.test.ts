// Subscriptions under a server's anti-flood (issue 18): ejabberd's default mod_pres_counter lets a
// session send and receive 5 subscription stanzas per 60 s and silently drops the rest. Adding two
// contacts within a minute must still end with both mutually subscribed, using as few stanzas as
// RFC 6121 allows (pre-approval, §3.4) and retrying what is still pending after a while; while a
// request is unanswered the contact shows it (pendingOut). Runs against the server of
// MESSENGER_XMPP_SERVER (the integration-ejabberd project runs it on ejabberd with Debian's default).
import { describe, expect, it } from 'vitest';
import type { Contact } from '../../src-shared/ipc/contract';
import { stackPerFile } from './test-support/stack-per-file';

const file = stackPerFile();

const is = (jid: string, want: Partial<Contact>) => (p: Contact) => p.jid === jid && Object.entries(want).every(([k, v]) => p[k as keyof Contact] === v);

const user = (prefix: string) => file.user(prefix);

describe(`subscriptions under the server's anti-flood (${process.env.MESSENGER_XMPP_SERVER ?? 'prosody'})`, () => {
  it('two contacts added within a minute both end up mutually subscribed', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const carol = await user('carol');

    // alice adds both at once; the request is visible as pending until it is answered
    const added = await alice.c.core.handlers['contact.add']({ accountId: alice.accountId, jid: bob.jid });
    expect(added.pendingOut).toBe(true);
    await alice.c.core.handlers['contact.add']({ accountId: alice.accountId, jid: carol.jid });

    await bob.c.waitFor('contact.updated', is(alice.jid, { pendingIn: true }));
    await bob.c.core.handlers['contact.approve']({ accountId: bob.accountId, jid: alice.jid });
    await carol.c.waitFor('contact.updated', is(alice.jid, { pendingIn: true }));
    await carol.c.core.handlers['contact.approve']({ accountId: carol.accountId, jid: alice.jid });

    // under ejabberd's anti-flood this takes one or two retries (65 s apart); the safety net is generous
    const within = 300_000;
    await alice.c.waitFor('contact.updated', is(bob.jid, { subscription: 'both', pendingOut: false }), within);
    await alice.c.waitFor('contact.updated', is(carol.jid, { subscription: 'both', pendingOut: false }), within);
    await bob.c.waitFor('contact.updated', is(alice.jid, { subscription: 'both', pendingIn: false }), within);
    await carol.c.waitFor('contact.updated', is(alice.jid, { subscription: 'both', pendingIn: false }), within);
    // and presence flows both ways
    await alice.c.waitFor('contact.updated', is(carol.jid, { presence: 'online' }), within);
    await carol.c.waitFor('contact.updated', is(alice.jid, { presence: 'online' }), within);
  }, 420_000);
});
