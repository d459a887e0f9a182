// Two XMPP domains with s2s on loopback and a federated push server each (issue 14 "Two
// domains"): users of the two domains chat over s2s, and a knock sealed by domain A's core push
// module travels through A's push server, is relayed to B's, arrives on B's desktop channel and
// is opened by B's core push module ("wake-up requested by alice"). Real Prosody, real push
// servers, real keychain. The handshake between the two push modules goes through a link that
// hands TLV 0x01A4 across with one extra symmetric key for both sides: it stands in for the OTR
// session hook, which the account composition wires (docs/push-in-the-app.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Database } from '@signalapp/sqlcipher';
import { createClient, xml, type XmppClient } from '../../src-main/core/xmpp/client/client';
import { openKeyStore } from '../../src-main/core/keychain/keychain';
import { PushClient } from '../../src-shared/node-push/client';
import { createPushService, type PushEvent, type PushService } from '../../src-main/core/push/service';
import { migrate } from '../../src-main/core/store/migrations';
import { PUSH_KEY_USE } from '../../src-main/core/push/shared-key';
import { sealKnockFor } from '../../src-main/core/push/knock';
import type { OtrPushLink } from '../../src-main/core/push/handshake';
import { startTwoDomains, type TwoDomainStack } from './two-domains';

let stack: TwoDomainStack;
const clients: XmppClient[] = [];

interface Side {
  push: PushService;
  events: PushEvent[];
  jid: string;
  /** resolves with the first event (already seen or future) that matches */
  when<T extends PushEvent>(match: (e: PushEvent) => e is T): Promise<T>;
  when(match: (e: PushEvent) => boolean): Promise<PushEvent>;
  db: Database;
}

function makeSide(jid: string, service: string): Side {
  const events: PushEvent[] = [];
  let waiters: Array<() => void> = [];
  const db = new Database(':memory:');
  migrate(db);
  const push = createPushService({
    db,
    keychain: openKeyStore(service),
    http: (endpoint, token) => new PushClient({ endpoint, ca: stack.caPem, ...(token ? { token } : {}) }),
    clock: { now: () => Date.now() },
    random: (n) => new Uint8Array(randomBytes(n)),
    events: (e) => {
      events.push(e);
      const ready = waiters;
      waiters = [];
      for (const w of ready) w();
    },
    accountJid: () => jid,
  });
  const when = (match: (e: PushEvent) => boolean) =>
    new Promise<PushEvent>((resolve) => {
      let seen = 0;
      const check = () => {
        for (; seen < events.length; seen++) if (match(events[seen]!)) return resolve(events[seen]!);
        waiters.push(check);
      };
      check();
    });
  return { push, events, jid, when: when as Side['when'], db };
}

/**
 * hands each TLV to the other side, with one extra symmetric key for both (see the header): as a
 * message, after the send returned, like the OTR layer does
 */
function link(from: Side, to: Side): OtrPushLink {
  return {
    async sendPushTlv(accountId, _peer, value, { withKey }) {
      const key = withKey ? { version: 4 as const, extraSymKey: new Uint8Array(randomBytes(64)), tlvIndex: 1, context: PUSH_KEY_USE } : undefined;
      setImmediate(() => void to.push.receivedTlv(accountId, from.jid, value, key));
      return key ? { key } : {};
    },
  };
}

beforeAll(async () => {
  stack = await startTwoDomains({ push: true, accounts: { a: [{ user: 'alice', password: 'alice-pw' }], b: [{ user: 'bob', password: 'bob-pw' }] } });
});

afterAll(async () => {
  for (const c of clients) await c.entity.stop().catch(() => {});
  await stack?.stop();
});

describe('two domains', () => {
  it('users of the two domains chat over server-to-server links', async () => {
    const alice = createClient({
      domain: stack.a.domain,
      host: stack.a.host,
      port: stack.a.port,
      extraCaPem: stack.caPem,
      credentials: { username: 'alice', password: 'alice-pw' },
    });
    const bob = createClient({
      domain: stack.b.domain,
      host: stack.b.host,
      port: stack.b.port,
      extraCaPem: stack.caPem,
      credentials: { username: 'bob', password: 'bob-pw' },
    });
    clients.push(alice, bob);
    await Promise.all([alice.entity.start(), bob.entity.start()]);
    const received = new Promise<string>((resolve) => {
      bob.entity.on('stanza', (s) => {
        if (s.is('message') && s.getChildText('body')) resolve(`${s.attrs.from?.split('/')[0]}: ${s.getChildText('body')}`);
      });
    });
    // RFC 6121 §4.2: without initial presence bob's resource gets no chat messages (offline storage)
    await bob.entity.send(xml('presence'));
    await alice.entity.send(xml('message', { to: `bob@${stack.b.domain}`, type: 'chat' }, xml('body', {}, 'hello across domains')));
    expect(await received).toBe(`alice@${stack.a.domain}: hello across domains`);
  });

  it("a knock from A's core push module is relayed by A's push server to B's and wakes bob", async () => {
    const service = `messenger-test-two-domains-${randomBytes(4).toString('hex')}`;
    const alice = makeSide(`alice@${stack.a.domain}`, service + '-a');
    const bob = makeSide(`bob@${stack.b.domain}`, service + '-b');
    try {
      await alice.push.configure('acc', { apiEndpoint: stack.a.push!.endpoint, pushName: 'alice', password: 'alice-push-pw', create: true });
      await bob.push.configure('acc', { apiEndpoint: stack.b.push!.endpoint, pushName: 'bob', password: 'bob-push-pw', create: true });
      await Promise.all([
        alice.when((e) => e.type === 'channel' && e.status === 'connected'),
        bob.when((e) => e.type === 'channel' && e.status === 'connected'),
      ]);
      alice.push.attachOtr(link(alice, bob));
      bob.push.attachOtr(link(bob, alice));

      // both say yes: alice offers, bob is asked, bob approves
      await alice.push.approve('acc', bob.jid);
      await bob.when((e) => e.type === 'prompt' && e.reason === 'their-offer');
      await bob.push.approve('acc', alice.jid);
      await alice.when((e) => e.type === 'record' && e.change === 'stored');
      const ra = alice.push.store.record('acc', bob.jid)!;
      const rb = bob.push.store.record('acc', alice.jid)!;
      expect(Buffer.from(ra.sharedKey).equals(Buffer.from(rb.sharedKey))).toBe(true);
      expect(ra.buddyApiEndpoint).toBe(stack.b.push!.endpoint);
      expect(alice.push.wakeUps('acc')).toEqual([expect.objectContaining({ peer: bob.jid, canWake: true, state: 'done' })]);

      // alice writes while bob is offline: one knock, through A's server, relayed to B's
      expect(await alice.push.knock('acc', bob.jid)).toBe(true);
      expect(await alice.push.knock('acc', bob.jid)).toBe(false); // at most one a minute while unanswered
      const woke = await bob.when((e) => e.type === 'wake-requested');
      expect(woke).toEqual({ type: 'wake-requested', accountId: 'acc', peer: alice.jid, via: 'knock' });

      // bob woke: the handshake runs again (no prompt) and rotates shared_key
      const old = alice.push.store.record('acc', bob.jid)!;
      await bob.push.rotate('acc', alice.jid);
      await bob.when((e) => e.type === 'record' && e.change === 'rotated');
      const rotated = alice.push.store.record('acc', bob.jid)!;
      expect(Buffer.from(rotated.sharedKey).equals(Buffer.from(old.sharedKey))).toBe(false);
      expect(Buffer.from(rotated.sharedKey).equals(Buffer.from(bob.push.store.record('acc', alice.jid)!.sharedKey))).toBe(true);

      // a knock sealed with the old key travels the same real path and is dropped as wrong-key
      const stale = new PushClient({ endpoint: stack.a.push!.endpoint, ca: stack.caPem });
      await stale.login('alice', 'alice-push-pw');
      await stale.sendKnock(sealKnockFor(old, Date.now(), (n) => new Uint8Array(randomBytes(n))));
      stale.close();
      expect(await bob.when((e) => e.type === 'knock-dropped')).toEqual({ type: 'knock-dropped', reason: 'wrong-key' });
      expect(bob.events.filter((e) => e.type === 'wake-requested')).toHaveLength(1);

      // the new key still wakes bob (the contact answered: the limiter lets the next knock go)
      alice.push.contactAnswered('acc', bob.jid);
      expect(await alice.push.knock('acc', bob.jid)).toBe(true);
      await bob.when((e) => e.type === 'wake-requested' && bob.events.filter((x) => x.type === 'wake-requested').length === 2);

      // ChatSecure v3.1 Level 1: bob POSTs the whitelist token alice gave him to her messages/ URL
      // (what a ChatSecure-era client does); alice's module maps the token back to bob
      const fromBob = bob.push.store.record('acc', alice.jid)!;
      const chatsecure = new PushClient({ endpoint: stack.a.push!.endpoint, ca: stack.caPem });
      expect(fromBob.theirMessagesUrl).toBe(new URL('messages/', stack.a.push!.endpoint).toString());
      await chatsecure.sendMessage({ token: fromBob.theirTokens[0]!, priority: 'high' });
      chatsecure.close();
      expect(await alice.when((e) => e.type === 'wake-requested')).toEqual({
        type: 'wake-requested',
        accountId: 'acc',
        peer: bob.jid,
        via: 'chatsecure-token',
      });

      // revoke: both records go, and alice's whitelist token no longer works on A's server
      const token = alice.push.store.record('acc', bob.jid)!.ourToken!;
      await alice.push.revoke('acc', bob.jid);
      await bob.when((e) => e.type === 'record' && e.change === 'revoked-by-contact');
      expect(alice.push.store.record('acc', bob.jid)).toBeUndefined();
      expect(bob.push.store.record('acc', alice.jid)).toBeUndefined();
      const anon = new PushClient({ endpoint: stack.a.push!.endpoint, ca: stack.caPem });
      await expect(anon.sendMessage({ token })).rejects.toMatchObject({ status: 404 });
      anon.close();
    } finally {
      await alice.push.disable('acc').catch(() => {});
      await bob.push.disable('acc').catch(() => {});
      await alice.push.close();
      await bob.push.close();
      alice.db.close();
      bob.db.close();
    }
  });
});
