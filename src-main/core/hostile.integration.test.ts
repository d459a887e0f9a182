// Hostile and malformed input that reaches the core through a real server: a contact ("mallory")
// who sends whatever a modified client can send, and a server that offers no TLS. The core must
// not crash, must not change state it should not, and must keep working afterwards.
import { describe, expect, it } from 'vitest';
import xml from '@xmpp/xml';
import { startStack } from '../../scripts/stack/stack';
import { MessengerError } from '../../src-shared/ipc/result';
import { createClient, type XmppClient } from './xmpp/client/client';
import { contactIs, startCore, uniqueName } from './test-support/harness';
import { stackPerFile } from './test-support/stack-per-file';

const raw: XmppClient[] = [];

const file = stackPerFile(async () => {
  for (const r of raw) await r.entity.stop().catch(() => {});
});
const { cores } = file;

const coreUser = (prefix: string) => file.user(prefix);

describe('hostile stanzas from a contact', () => {
  it('change nothing they should not, crash nothing, and the account keeps working', async () => {
    const alice = await coreUser('alice');
    const A = alice.c.core.handlers;

    // mallory: a raw XMPP client under test control
    const mName = uniqueName('mallory');
    await file.stack.createAccount(mName, 'mallory-pw');
    const mJid = `${mName}@${file.stack.domain}`;
    const m = createClient({
      domain: file.stack.domain,
      host: file.stack.host,
      port: file.stack.port,
      extraCaPem: file.stack.caPem,
      credentials: { username: mName, password: 'mallory-pw' },
    });
    raw.push(m);
    let aliceFull = '';
    const received: Array<ReturnType<typeof xml>> = [];
    const waiters = new Set<() => void>();
    m.entity.on('stanza', (s: ReturnType<typeof xml>) => {
      received.push(s);
      if (s.is('presence') && s.attrs.type === 'subscribe') m.entity.send(xml('presence', { to: s.attrs.from, type: 'subscribed' })).catch(() => {});
      if (s.is('presence') && !s.attrs.type && s.attrs.from?.startsWith(alice.jid + '/')) aliceFull = s.attrs.from;
      for (const w of [...waiters]) w();
    });
    const mWait = (pred: (s: ReturnType<typeof xml>) => boolean) =>
      new Promise<ReturnType<typeof xml>>((resolve) => {
        const hit = received.find(pred);
        if (hit) return resolve(hit);
        const w = () => {
          const h = received.find(pred);
          if (h) {
            waiters.delete(w);
            resolve(h);
          }
        };
        waiters.add(w);
      });
    // mallory's own stream must stay up the whole time (XEP-0198 counting included)
    let malloryDisconnects = 0;
    m.entity.on('disconnect', () => malloryDisconnects++);
    await m.entity.start();
    await m.entity.send(xml('presence', {}));
    await m.entity.send(xml('presence', { to: alice.jid, type: 'subscribe' }));
    await alice.c.waitFor('contact.updated', contactIs(mJid, { pendingIn: true }));
    await A['contact.approve']({ accountId: alice.accountId, jid: mJid });
    await alice.c.waitFor('contact.updated', contactIs(mJid, { subscription: 'both' }));
    await mWait((s) => s.is('presence') && !s.attrs.type && (s.attrs.from ?? '').startsWith(alice.jid + '/'));
    expect(aliceFull).not.toBe('');

    // alice writes to an offline account; the server stores it ('sent', not delivered)
    const bName = uniqueName('bob');
    await file.stack.createAccount(bName, 'bob-pw');
    const bobJid = `${bName}@${file.stack.domain}`;
    const toBob = await A['message.send']({ accountId: alice.accountId, to: bobJid, body: 'for bob only' });
    await alice.c.waitFor('message.updated', (x) => x.id === toBob.id && x.delivery === 'sent');

    // 1. a roster push from someone else (RFC 6121 §2.1.6): refused
    const push = xml(
      'iq',
      { type: 'set', to: aliceFull, id: 'push1' },
      xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: `evil@${file.stack.domain}`, subscription: 'both' })),
    );
    const pushAnswer = await m.iqCaller.request(push).then(
      () => 'result',
      (e: { condition?: string }) => e.condition,
    );
    expect(pushAnswer).toBe('service-unavailable');
    // 2. a receipt and an error for alice's message to bob, from mallory
    await m.entity.send(xml('message', { to: alice.jid, id: 'r1' }, xml('received', { xmlns: 'urn:xmpp:receipts', id: toBob.id })));
    await m.entity.send(
      xml(
        'message',
        { to: alice.jid, id: toBob.id, type: 'error' },
        xml('error', { type: 'cancel' }, xml('item-not-found', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })),
      ),
    );
    // 3. the same message twice (same stanza id and origin-id), and again with a new stanza id
    for (const id of ['dup-1', 'dup-1', 'dup-2']) {
      await m.entity.send(
        xml('message', { to: alice.jid, type: 'chat', id }, xml('body', {}, 'only once'), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'origin-dup' })),
      );
    }
    // 4. an oversized body, empty and whitespace bodies, other message types, two bodies, a bad delay
    await m.entity.send(xml('message', { to: alice.jid, type: 'chat', id: 'big' }, xml('body', {}, 'B'.repeat(100_000))));
    await m.entity.send(xml('message', { to: alice.jid, type: 'chat', id: 'empty' }, xml('body', {})));
    await m.entity.send(xml('message', { to: alice.jid, type: 'chat', id: 'ws' }, xml('body', {}, '   \n ')));
    await m.entity.send(xml('message', { to: alice.jid, type: 'headline', id: 'hl' }, xml('body', {}, 'headline text')));
    await m.entity.send(xml('message', { to: alice.jid, type: 'groupchat', id: 'gc' }, xml('body', {}, 'groupchat text')));
    await m.entity.send(
      xml(
        'message',
        { to: alice.jid, type: 'chat', id: 'two' },
        xml('body', {}, 'first body'),
        xml('body', {}, 'second body'),
        xml('delay', { xmlns: 'urn:xmpp:delay', stamp: 'not a date' }),
      ),
    );
    await m.entity.send(
      xml(
        'message',
        { to: alice.jid, type: 'chat', id: 'future' },
        xml('body', {}, 'from the future'),
        xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2999-01-01T00:00:00Z' }),
      ),
    );
    // 4b. forged carbons (XEP-0280 §11): mallory pretends to be our other device
    for (const kind of ['received', 'sent']) {
      const inner = xml(
        'message',
        {
          xmlns: 'jabber:client',
          from: kind === 'received' ? bobJid : `${alice.jid}/other`,
          to: kind === 'received' ? `${alice.jid}/other` : bobJid,
          type: 'chat',
          id: `forged-${kind}`,
        },
        xml('body', {}, `forged ${kind} carbon`),
      );
      await m.entity.send(
        xml(
          'message',
          { to: alice.jid, type: 'chat', id: `carbon-${kind}` },
          xml(kind, { xmlns: 'urn:xmpp:carbons:2' }, xml('forwarded', { xmlns: 'urn:xmpp:forward:0' }, inner)),
        ),
      );
    }
    // 5. deep nesting, odd namespaces, unknown children
    let deep = xml('x', { xmlns: 'urn:example:deep' });
    for (let i = 0; i < 150; i++) deep = xml('x', {}, deep);
    await m.entity.send(xml('message', { to: alice.jid, type: 'chat', id: 'deep' }, deep));
    await m.entity.send(xml('message', { to: alice.jid, type: 'chat', id: 'ns' }, xml('body', { xmlns: 'urn:example:notbody' }, 'not a body')));
    // 6. presence with a made-up <show/>, a huge status, and presence of unknown type
    await m.entity.send(xml('presence', {}, xml('show', {}, 'bogus'), xml('status', {}, 'S'.repeat(5000))));
    await m.entity.send(xml('presence', { to: alice.jid, type: 'weird' }));
    // 7. IQs the core does not know, and a malformed one (two children)
    const unknownIq = await m.iqCaller.request(xml('iq', { type: 'get', to: aliceFull }, xml('query', { xmlns: 'urn:example:unknown' }))).then(
      () => 'result',
      (e: { condition?: string }) => e.condition,
    );
    expect(unknownIq).toBe('service-unavailable');
    const twoChildren = await m.iqCaller.request(xml('iq', { type: 'set', to: aliceFull }, xml('a', { xmlns: 'urn:x' }), xml('b', { xmlns: 'urn:x' }))).then(
      () => 'result',
      (e: { condition?: string }) => e.condition,
    );
    expect(twoChildren).toBe('bad-request');
    // 8. an iq result nobody asked for
    await m.entity.send(xml('iq', { type: 'result', to: aliceFull, id: 'nobody-asked' }));

    // Stanzas from one sender arrive in order (RFC 6120 §10.1): once this one is in, all are.
    await m.entity.send(xml('message', { to: alice.jid, type: 'chat', id: 'sync' }, xml('body', {}, 'sync point')));
    await alice.c.waitFor('message.added', (x) => x.body === 'sync point');

    const snap = await A['app.snapshot']({});
    expect(snap.accounts[0]?.status).toBe('online');
    expect(snap.contacts.map((c) => c.jid).sort()).toEqual([bobJid, mJid].sort()); // no 'evil'
    const mallory = snap.contacts.find((c) => c.jid === mJid);
    expect(mallory).toMatchObject({ presence: 'online' });
    expect((mallory?.status ?? '').length).toBeLessThanOrEqual(1024);
    const bobMsgs = await A['messages.page']({ accountId: alice.accountId, peer: bobJid, limit: 10 });
    // neither 'delivered' nor 'failed', and no forged carbon in the conversation
    expect(bobMsgs.map((x) => [x.body, x.delivery])).toEqual([['for bob only', 'sent']]);
    const fromMallory = await A['messages.page']({ accountId: alice.accountId, peer: mJid, limit: 100 });
    const bodies = fromMallory.map((x) => (x.body.length > 40 ? `${x.body[0]}x${x.body.length}` : x.body));
    expect(bodies).toEqual(['only once', 'Bx65536', 'first body', 'from the future', 'sync point']);
    const future = fromMallory.find((x) => x.body === 'from the future');
    expect(future!.timestamp).toBeLessThan(Date.now() + 60_000);

    // still fully working: a normal exchange with receipts
    const hello = await A['message.send']({ accountId: alice.accountId, to: mJid, body: 'still here' });
    const got = await mWait((s) => s.is('message') && s.getChildText('body') === 'still here');
    expect(got.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id).toBe(hello.id);
    await m.entity.send(xml('message', { to: got.attrs.from }, xml('received', { xmlns: 'urn:xmpp:receipts', id: got.attrs.id })));
    await alice.c.waitFor('message.updated', (x) => x.id === hello.id && x.delivery === 'delivered');
    expect(malloryDisconnects).toBe(0);
    // alice never had to reconnect either
    expect(alice.c.events.filter((e) => e.name === 'account.updated' && 'status' in e.payload && e.payload.status === 'connecting')).toHaveLength(1);
  });
});

describe('a server that offers no TLS', () => {
  it('is refused before any password is sent: certificate-untrusted', async () => {
    const plain = await startStack({ withoutTls: true });
    try {
      await plain.createAccount('victim', 'victim-pw');
      const c = await startCore({ extraCaPem: plain.caPem });
      cores.push(c);
      const e = await c.core.handlers['account.add']({ jid: `victim@${plain.domain}`, password: 'victim-pw', host: plain.host, port: plain.port }).then(
        () => null,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(MessengerError);
      expect((e as MessengerError).code).toBe('certificate-untrusted');
      expect((e as MessengerError).message).toMatch(/encrypted/);
      const r = await c.core.handlers['account.register']({ jid: `newbie@${plain.domain}`, password: 'pw', host: plain.host, port: plain.port }).then(
        () => null,
        (x: unknown) => x,
      );
      expect((r as MessengerError).code).toBe('certificate-untrusted');
    } finally {
      await plain.stop();
    }
  });
});
