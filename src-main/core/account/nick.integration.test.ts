// Issue 15, nicknames (XEP-0172) against a real Prosody: our own nickname goes with our
// subscription requests; the contact who gets the request sees it as the name until they give
// one of their own in the roster, which wins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../../scripts/stack/stack';
import { closeAndRemove, contactIs, signedInUser, type TestCore } from '../test-support/harness';

let stack: Stack;
const cores: TestCore[] = [];

beforeAll(async () => {
  stack = await startStack();
}, 60_000);

afterAll(async () => {
  await closeAndRemove(cores);
  await stack?.stop();
});

describe('nicknames (XEP-0172)', () => {
  it('our nickname goes with a subscription request and names us where the roster does not', async () => {
    const alice = await signedInUser(stack, 'alice');
    const carol = await signedInUser(stack, 'carol');
    cores.push(alice.c, carol.c);
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
});
