import { describe, expect, it } from 'vitest';
import { makePair } from './test-support/pair';
import { PushHandshakeError } from './errors';
import { encodePushTlv } from './handshake-tlv';

const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : undefined);

/** alice asks, bob says yes: the two are linked (a shared_key and each other's tokens) */
async function linkedPair(): Promise<ReturnType<typeof makePair>> {
  const pair = makePair();
  await pair.alice.hs.approve('acc', 'bob@b.test');
  await pair.flush();
  await pair.bob.hs.approve('acc', 'alice@a.test');
  await pair.flush();
  return pair;
}

describe('push handshake state machine', () => {
  it('asks once when a private session starts, and not again after an answer', () => {
    const { alice } = makePair();
    alice.hs.privateSessionStarted('acc', 'bob@b.test');
    expect(alice.events.filter((e) => e.type === 'prompt')).toEqual([{ type: 'prompt', accountId: 'acc', peer: 'bob@b.test', reason: 'ask' }]);
    alice.hs.decline('acc', 'bob@b.test');
    alice.hs.privateSessionStarted('acc', 'bob@b.test');
    expect(alice.events.filter((e) => e.type === 'prompt')).toHaveLength(1);
    expect(alice.sent).toHaveLength(0);
  });

  for (const version of [4, 3] as const) {
    it(`both say yes (OTRv${version}): both store the seven fields and the same shared_key`, async () => {
      const { alice, bob, flush } = makePair({ version });
      await alice.hs.approve('acc', 'bob@b.test');
      expect(alice.hs.state('acc', 'bob@b.test')).toBe('offered');
      await flush();
      expect(bob.events).toContainEqual({ type: 'prompt', accountId: 'acc', peer: 'alice@a.test', reason: 'their-offer' });
      expect(bob.store.record('acc', 'alice@a.test')).toBeUndefined();
      await bob.hs.approve('acc', 'alice@a.test');
      await flush();
      const ra = alice.store.record('acc', 'bob@b.test')!;
      const rb = bob.store.record('acc', 'alice@a.test')!;
      expect(ra).toMatchObject({
        protocol: 'xmpp',
        accountName: 'alice@a.test',
        pushName: 'alice',
        apiEndpoint: 'https://push.a.test/api/v1/',
        buddyName: 'bob@b.test',
        buddyPushName: 'bob',
        buddyApiEndpoint: 'https://push.b.test/api/v1/',
        otrVersion: version,
      });
      expect(rb).toMatchObject({
        accountName: 'bob@b.test',
        pushName: 'bob',
        buddyName: 'alice@a.test',
        buddyPushName: 'alice',
        buddyApiEndpoint: 'https://push.a.test/api/v1/',
      });
      expect(hex(ra.sharedKey)).toBe(hex(rb.sharedKey));
      expect(ra.sharedKey).toHaveLength(version === 4 ? 64 : 32);
      // each holds the token the other issued for it, and its own to revoke
      expect(ra.theirTokens).toEqual([bob.issued[0]]);
      expect(rb.ourToken).toBe(bob.issued[0]);
      // the key never travels: no sent TLV contains it
      for (const s of [...alice.sent, ...bob.sent]) expect(Buffer.from(s.value).toString('hex')).not.toContain(hex(ra.sharedKey)!.slice(0, 32));
    });
  }

  it("the contact's no sends nothing and stores nothing", async () => {
    const { alice, bob, flush } = makePair();
    await alice.hs.approve('acc', 'bob@b.test');
    await flush();
    bob.hs.decline('acc', 'alice@a.test');
    await flush();
    expect(bob.sent).toHaveLength(0);
    expect(bob.issued).toHaveLength(0);
    expect(bob.store.record('acc', 'alice@a.test')).toBeUndefined();
    expect(alice.store.record('acc', 'bob@b.test')).toBeUndefined();
    expect(alice.hs.state('acc', 'bob@b.test')).toBe('offered');
  });

  it('an answer nobody asked for, an offer without its key, and junk are refused; nothing stored', async () => {
    const { alice } = makePair();
    // bob's push link, as his offer or answer would carry it
    const link = {
      v: 1 as const,
      push_name: 'bob',
      api_endpoint: 'https://push.b.test/api/v1/',
      endpoint: 'https://push.b.test/api/v1/messages/',
      tokens: ['cd'.repeat(20)],
    };
    const answer = encodePushTlv({ kind: 'answer', ...link });
    await expect(alice.hs.received('acc', 'bob@b.test', answer, undefined)).rejects.toMatchObject({ code: 'unexpected-push-tlv' });
    const offer = encodePushTlv({ kind: 'offer', ...link });
    await expect(alice.hs.received('acc', 'bob@b.test', offer, undefined)).rejects.toMatchObject({ code: 'unexpected-push-tlv' });
    await expect(
      alice.hs.received('acc', 'bob@b.test', offer, { version: 4, extraSymKey: new Uint8Array(64), tlvIndex: 0, context: Uint8Array.of(1, 2, 3, 4) }),
    ).rejects.toBeInstanceOf(PushHandshakeError);
    await expect(alice.hs.received('acc', 'bob@b.test', new TextEncoder().encode('{"kind":"offer"}'), undefined)).rejects.toMatchObject({
      code: 'malformed-push-tlv',
    });
    expect(alice.store.record('acc', 'bob@b.test')).toBeUndefined();
    expect(alice.hs.state('acc', 'bob@b.test')).toBe('none');
    expect(alice.events).toHaveLength(0);
  });

  it('rotation after a wake-up: no prompt, a new shared_key on both sides', async () => {
    const { alice, bob, flush } = await linkedPair();
    const before = hex(bob.store.record('acc', 'alice@a.test')!.sharedKey);
    const prompts = bob.events.filter((e) => e.type === 'prompt').length + alice.events.filter((e) => e.type === 'prompt').length;
    await bob.hs.rotate('acc', 'alice@a.test');
    await flush();
    const ka = hex(alice.store.record('acc', 'bob@b.test')!.sharedKey);
    const kb = hex(bob.store.record('acc', 'alice@a.test')!.sharedKey);
    expect(ka).toBe(kb);
    expect(kb).not.toBe(before);
    expect(bob.events.filter((e) => e.type === 'prompt').length + alice.events.filter((e) => e.type === 'prompt').length).toBe(prompts);
    expect(alice.events).toContainEqual({ type: 'record', accountId: 'acc', peer: 'bob@b.test', change: 'rotated' });
    // tokens are kept across a rotation (no new token per wake-up)
    expect(alice.issued).toHaveLength(1);
  });

  it('offers that cross: one wins, both end with the same key', async () => {
    const { alice, bob, flush } = makePair();
    await alice.hs.approve('acc', 'bob@b.test');
    await bob.hs.approve('acc', 'alice@a.test');
    await flush();
    await flush();
    const ra = alice.store.record('acc', 'bob@b.test');
    const rb = bob.store.record('acc', 'alice@a.test');
    expect(ra && rb).toBeTruthy();
    expect(hex(ra!.sharedKey)).toBe(hex(rb!.sharedKey));
  });

  it('revoke deletes the record and our token on our server, and the contact drops its record', async () => {
    const { alice, bob, flush } = await linkedPair();
    await alice.hs.revoke('acc', 'bob@b.test');
    expect(alice.revoked).toEqual([alice.issued[0]]);
    expect(alice.store.record('acc', 'bob@b.test')).toBeUndefined();
    await flush();
    expect(bob.store.record('acc', 'alice@a.test')).toBeUndefined();
    expect(bob.revoked).toEqual([bob.issued[0]]);
    expect(bob.events).toContainEqual({ type: 'record', accountId: 'acc', peer: 'alice@a.test', change: 'revoked-by-contact' });
    // a revoked contact's new offer does not nag the user; re-ask is explicit
    bob.hs.privateSessionStarted('acc', 'alice@a.test');
    expect(bob.events.filter((e) => e.type === 'prompt' && e.reason === 'ask')).toHaveLength(0);
    await bob.hs.approve('acc', 'alice@a.test');
    expect(bob.hs.state('acc', 'alice@a.test')).toBe('offered');
  });

  for (const asker of ['revoker', 'contact'] as const) {
    it(`after a revoke the ${asker} asks again: the other user is asked once, both say yes, a new shared_key on both sides`, async () => {
      const { alice, bob, flush } = makePair();
      await alice.hs.approve('acc', 'bob@b.test');
      await flush();
      await bob.hs.approve('acc', 'alice@a.test');
      await flush();
      const old = hex(alice.store.record('acc', 'bob@b.test')!.sharedKey);
      await alice.hs.revoke('acc', 'bob@b.test');
      await flush();
      expect(bob.hs.state('acc', 'alice@a.test')).toBe('revoked');
      const [first, second] = asker === 'revoker' ? [alice, bob] : [bob, alice];
      const [firstPeer, secondPeer] = asker === 'revoker' ? ['bob@b.test', 'alice@a.test'] : ['alice@a.test', 'bob@b.test'];
      const promptsBefore = second.events.filter((e) => e.type === 'prompt').length;
      expect(await first.hs.approve('acc', firstPeer)).toBe('offered');
      await flush();
      // the other user decides: asked once, with the contact's yes already given
      expect(second.events.filter((e) => e.type === 'prompt').slice(promptsBefore)).toEqual([
        { type: 'prompt', accountId: 'acc', peer: secondPeer, reason: 'their-offer' },
      ]);
      expect(second.store.record('acc', secondPeer)).toBeUndefined();
      expect(await second.hs.approve('acc', secondPeer)).toBe('done');
      await flush();
      const ka = hex(alice.store.record('acc', 'bob@b.test')?.sharedKey);
      expect(ka).toBeDefined();
      expect(ka).toBe(hex(bob.store.record('acc', 'alice@a.test')?.sharedKey));
      expect(ka).not.toBe(old);
      expect(alice.hs.state('acc', 'bob@b.test')).toBe('done');
      expect(bob.hs.state('acc', 'alice@a.test')).toBe('done');
      // fresh whitelist tokens: the revoked ones are not handed out again
      expect(alice.store.record('acc', 'bob@b.test')!.ourToken).not.toBe(alice.revoked[0]);
      expect(bob.store.record('acc', 'alice@a.test')!.ourToken).not.toBe(bob.revoked[0]);
    });
  }

  it('after a revoke, a no to the contact asking again silences their later offers', async () => {
    const { alice, bob, flush } = await linkedPair();
    await alice.hs.revoke('acc', 'bob@b.test');
    await flush();
    await bob.hs.approve('acc', 'alice@a.test');
    await flush();
    alice.hs.decline('acc', 'bob@b.test');
    const prompts = alice.events.filter((e) => e.type === 'prompt').length;
    await bob.hs.rotate('acc', 'alice@a.test').catch(() => undefined); // no record: refused
    await bob.hs.approve('acc', 'alice@a.test');
    await flush();
    expect(alice.events.filter((e) => e.type === 'prompt')).toHaveLength(prompts);
    expect(alice.store.record('acc', 'bob@b.test')).toBeUndefined();
  });

  it('a revoke without a private session is owed: it goes with the next private session, and the contact drops its record then', async () => {
    const { alice, bob, flush } = await linkedPair();
    const link = alice.link!;
    alice.link = {
      sendPushTlv: () => Promise.reject(new PushHandshakeError('no-private-session', 'no private conversation with this contact')),
    };
    await alice.hs.revoke('acc', 'bob@b.test');
    await flush();
    expect(alice.store.record('acc', 'bob@b.test')).toBeUndefined();
    expect(bob.store.record('acc', 'alice@a.test')).toBeDefined();
    // a private session comes up again: the revoke goes, once
    alice.link = link;
    alice.hs.privateSessionStarted('acc', 'bob@b.test');
    await Promise.resolve();
    await flush();
    expect(bob.store.record('acc', 'alice@a.test')).toBeUndefined();
    expect(bob.events).toContainEqual({ type: 'record', accountId: 'acc', peer: 'alice@a.test', change: 'revoked-by-contact' });
    const sent = alice.sent.length;
    alice.hs.privateSessionStarted('acc', 'bob@b.test');
    await Promise.resolve();
    expect(alice.sent).toHaveLength(sent);
    expect(alice.events.filter((e) => e.type === 'prompt' && e.reason === 'ask')).toHaveLength(0);
  });

  it('re-ask after saying no: the contact, who said yes long before, answers by itself', async () => {
    const { alice, bob, flush } = makePair();
    await alice.hs.approve('acc', 'bob@b.test');
    await flush();
    bob.hs.decline('acc', 'alice@a.test');
    expect(bob.store.record('acc', 'alice@a.test')).toBeUndefined();
    // "Ask again" answers Alice's offer (a new offer of Bob's would cross hers and be ignored)
    expect(await bob.hs.approve('acc', 'alice@a.test')).toBe('done');
    await flush();
    // no prompt for Alice (she said yes), both records, the same key
    expect(alice.events.filter((e) => e.type === 'prompt')).toHaveLength(0);
    expect(alice.hs.state('acc', 'bob@b.test')).toBe('done');
    expect(bob.hs.state('acc', 'alice@a.test')).toBe('done');
    expect(hex(alice.store.record('acc', 'bob@b.test')?.sharedKey)).toBe(hex(bob.store.record('acc', 'alice@a.test')?.sharedKey));
  });

  it("re-ask by the asker after their own no: the contact's offer that came meanwhile is answered", async () => {
    const { alice, bob, flush } = makePair();
    alice.hs.privateSessionStarted('acc', 'bob@b.test');
    alice.hs.decline('acc', 'bob@b.test');
    await bob.hs.approve('acc', 'alice@a.test');
    await flush();
    // not nagged: no their-offer prompt for Alice, nothing stored
    expect(alice.events.filter((e) => e.type === 'prompt' && e.reason === 'their-offer')).toHaveLength(0);
    expect(alice.store.record('acc', 'bob@b.test')).toBeUndefined();
    expect(await alice.hs.approve('acc', 'bob@b.test')).toBe('done');
    await flush();
    expect(hex(alice.store.record('acc', 'bob@b.test')?.sharedKey)).toBe(hex(bob.store.record('acc', 'alice@a.test')?.sharedKey));
  });

  it('without the OTR hook or a push account the handshake refuses with a typed error', async () => {
    const { alice } = makePair();
    alice.link = undefined;
    await expect(alice.hs.approve('acc', 'bob@b.test')).rejects.toMatchObject({ code: 'no-private-session' });
  });
});
