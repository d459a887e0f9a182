// Two instances of our own library talking to each other: negotiation, AKE (both directions and
// simultaneous), data messages with key rotation, TLVs, SMP, extra key, fragmentation, instance
// tags, heartbeats, end of session, and the policies.
import { describe, expect, it } from 'vitest';
import { errors, makePeer, messages, post, pump, smpEvents, twoPeers } from './test-support/pair';
import { fingerprintHex } from './dsa';
import { fixtureKey } from './test-support/keys';
import { WHITESPACE_BASE } from '../common/whitespace';

describe('V3Conversation between two instances of the library', () => {
  it('AKE from a query; both sides see each other’s fingerprint and the same ssid', () => {
    const { a, b, say } = twoPeers();
    say(a, a.conv.start());
    const sa = a.events.find((e) => e.type === 'state-changed');
    const sb = b.events.find((e) => e.type === 'state-changed');
    expect(sa).toMatchObject({ state: 'encrypted', version: 3, theirInstanceTag: 0x2222, theirFingerprint: fingerprintHex(fixtureKey(1)) });
    expect(sb).toMatchObject({ state: 'encrypted', version: 3, theirInstanceTag: 0x1111, theirFingerprint: fingerprintHex(fixtureKey(0)) });
    expect(sa && 'ssid' in sa && sa.ssid).toEqual(sb && 'ssid' in sb && sb.ssid);
    expect(a.conv.sessions()).toEqual([{ instanceTag: 0x2222, state: 'encrypted', version: 3, theirFingerprint: fingerprintHex(fixtureKey(1)) }]);
    expect(errors(a)).toEqual([]);
    expect(errors(b)).toEqual([]);
  });

  it('messages both ways over many rounds rotate the D-H keys; unicode and TLVs survive', () => {
    const { a, b, say } = twoPeers();
    say(b, b.conv.start());
    for (let i = 0; i < 30; i++) {
      say(a, a.conv.send(`a→b ${i} ✓`));
      if (i % 3 === 0) say(a, a.conv.send(`a→b again ${i}`));
      say(b, b.conv.send(`b→a ${i} 🙂`, { tlvs: [{ type: 0x01a4, value: Uint8Array.of(i) }] }));
    }
    expect(messages(b).filter((m) => /^a→b \d+ ✓$/.test(m)).length).toBe(30);
    expect(messages(a)).toContain('b→a 29 🙂');
    const tlvs = a.events.filter((e) => e.type === 'tlv');
    expect(tlvs.length).toBe(30);
    expect(errors(a)).toEqual([]);
    expect(errors(b)).toEqual([]);
  });

  it('simultaneous start (both send queries, both commit) still ends encrypted', () => {
    const { a, b, links } = twoPeers();
    post(a, a.conv.start(), [b]);
    post(b, b.conv.start(), [a]);
    pump([a, b], links);
    expect(a.conv.sessions()[0]?.state).toBe('encrypted');
    expect(b.conv.sessions()[0]?.state).toBe('encrypted');
    const { say } = { say: (p: typeof a, o: ReturnType<typeof a.conv.send>) => (post(p, o, links.get(p)!), pump([a, b], links)) };
    say(a, a.conv.send('after race'));
    expect(messages(b)).toContain('after race');
  });

  it('whitespace tag starts the AKE; plaintext is delivered without the tag', () => {
    const { a, b, say } = twoPeers();
    const out = a.conv.send('hello in clear');
    expect(out.toSend[0]).toContain(WHITESPACE_BASE);
    say(a, out);
    expect(b.events[0]).toEqual({ type: 'message', text: 'hello in clear', encrypted: false });
    expect(b.conv.sessions()[0]?.state).toBe('encrypted');
    // §"User types a message": once plaintext has been received from the contact, stop tagging
    const fresh = twoPeers();
    expect(fresh.a.conv.send('tagged').toSend[0]).toContain(WHITESPACE_BASE);
    fresh.a.conv.receive('plain reply from a non-OTR client');
    expect(fresh.a.conv.send('untagged').toSend).toEqual(['untagged']);
  });

  it('require-encryption queues the message, starts OTR and sends it once encrypted', () => {
    const { a, b, say } = twoPeers({ policyA: { requireEncryption: true } });
    const out = a.conv.send('secret stuff');
    expect(out.events).toEqual([{ type: 'message-queued', text: 'secret stuff' }]);
    expect(out.toSend).toEqual(['?OTRv32?']);
    say(a, out);
    expect(b.events).toContainEqual({ type: 'message', text: 'secret stuff', encrypted: true, instanceTag: 0x1111 });
  });

  it('an error message starts the AKE when ERROR_START_AKE is set', () => {
    const { a, b, say } = twoPeers();
    post(b, { toSend: ['?OTR Error: something'], events: [] }, [a]);
    say(a, { toSend: [], events: [] });
    expect(a.events[0]).toEqual({ type: 'error', code: 'peer-error', message: 'something' });
    expect(a.conv.sessions()[0]?.state).toBe('encrypted');
    expect(b.conv.sessions()[0]?.state).toBe('encrypted');
  });

  it('v1 queries start nothing; v2-only queries, tags and D-H Commits refused by the policy are reported, not dropped', () => {
    const { a } = twoPeers({ policyA: { allowV2: false } });
    expect(a.conv.receive('?OTR?')).toEqual({ toSend: [], events: [] });
    expect(a.conv.receive('?OTRv2?')).toEqual({ toSend: [], events: [{ type: 'older-version-refused', version: 2, by: 'query' }] });
    expect(a.conv.receive('?OTR?v2? This user has requested an Off-the-Record private conversation.')).toEqual({
      toSend: [],
      events: [{ type: 'older-version-refused', version: 2, by: 'query' }],
    });
    const tagged = a.conv.receive('hi' + WHITESPACE_BASE + '\x20\x20\x09\x09\x20\x20\x09\x20');
    expect(tagged).toEqual({
      toSend: [],
      events: [
        { type: 'message', text: 'hi', encrypted: false },
        { type: 'older-version-refused', version: 2, by: 'whitespace-tag' },
      ],
    });
    // a v2 D-H Commit from a client that started anyway
    const v2 = makePeer('v2', 1, 0x3333, { policy: { allowV3: false } });
    const commit = v2.conv.receive('?OTRv2?').toSend[0]!;
    expect(commit).toMatch(/^\?OTR:AAIC/);
    expect(a.conv.receive(commit)).toEqual({ toSend: [], events: [{ type: 'older-version-refused', version: 2, by: 'ake' }] });
    // a query offering 3 as well is no refusal: v3 starts
    expect(a.conv.receive('?OTRv23?').events).toEqual([]);
  });

  it('disconnect: the peer goes to FINISHED and cannot send; ending returns it to plaintext', () => {
    const { a, b, say } = twoPeers();
    say(a, a.conv.start());
    say(a, a.conv.end());
    expect(a.conv.sessions().map((s) => s.state)).toEqual(['plaintext']);
    expect(b.conv.sessions()[0]?.state).toBe('finished');
    const o = b.conv.send('lost?');
    expect(o.toSend).toEqual([]);
    expect(o.events[0]).toMatchObject({ type: 'error', code: 'not-allowed' });
    b.conv.end();
    expect(b.conv.sessions().map((s) => s.state)).toEqual(['plaintext']);
    say(a, a.conv.start());
    expect(b.conv.sessions()[0]?.state).toBe('encrypted');
  });

  it('SMP with a question: success, then failure with a wrong answer; shared-secret variant', () => {
    const { a, b, say } = twoPeers();
    say(a, a.conv.start());
    say(a, a.conv.startSmp('blue', 'favourite colour?'));
    expect(b.events).toContainEqual({ type: 'smp', smp: { type: 'smp-request', question: 'favourite colour?' } });
    say(b, b.conv.answerSmp('blue'));
    expect(smpEvents(a)).toContain('smp-succeeded');
    expect(smpEvents(b)).toContain('smp-succeeded');
    a.events.length = 0;
    b.events.length = 0;
    say(b, b.conv.startSmp('one secret'));
    expect(a.events).toContainEqual({ type: 'smp', smp: { type: 'smp-request' } });
    say(a, a.conv.answerSmp('another secret'));
    expect(smpEvents(a)).toContain('smp-failed');
    expect(smpEvents(b)).toContain('smp-failed');
    // still able to talk
    say(a, a.conv.send('still here'));
    expect(messages(b)).toContain('still here');
  });

  it('SMP abort and out-of-order messages reset both sides', () => {
    const { a, b, say } = twoPeers();
    say(a, a.conv.start());
    say(a, a.conv.startSmp('x'));
    say(a, a.conv.abortSmp());
    expect(smpEvents(b)).toContain('smp-aborted');
    expect(b.conv.answerSmp('x').events).toEqual([{ type: 'error', code: 'not-allowed', message: 'no SMP request to answer' }]);
    // restart works
    say(a, a.conv.startSmp('x'));
    say(b, b.conv.answerSmp('x'));
    expect(smpEvents(a)).toContain('smp-succeeded');
  });

  it('extra symmetric key: both sides end with the same 32 bytes, and use/use data arrive', () => {
    const { a, b, say } = twoPeers();
    say(a, a.conv.start());
    say(b, b.conv.send('rotate first'));
    const out = a.conv.useExtraKey(0x42, Uint8Array.of(1, 2, 3));
    expect(out.key.length).toBe(32);
    say(a, out);
    const got = b.events.find((e) => e.type === 'extra-key-received');
    expect(got).toEqual({ type: 'extra-key-received', key: out.key, use: 0x42, useData: Uint8Array.of(1, 2, 3) });
  });

  it('fragmentation with a small maximum size, in order; out-of-order fragments are dropped', () => {
    const { a, b, say } = twoPeers({ maxMessageSize: 120 });
    say(a, a.conv.start());
    const long = 'long message '.repeat(40);
    const out = a.conv.send(long);
    expect(out.toSend.length).toBeGreaterThan(3);
    for (const f of out.toSend) expect(f.length).toBeLessThanOrEqual(120);
    say(a, out);
    expect(messages(b)).toContain(long);
    const out2 = a.conv.send('second ' + long);
    const shuffled = [out2.toSend[1]!, out2.toSend[0]!, ...out2.toSend.slice(2)];
    for (const f of shuffled) b.conv.receive(f);
    expect(messages(b)).not.toContain('second ' + long);
    say(a, a.conv.send('third'));
    expect(messages(b)).toContain('third');
  });

  it('heartbeat: after a quiet period a received message triggers an empty IGNORE_UNREADABLE data message', () => {
    const { a, b, say } = twoPeers();
    say(a, a.conv.start());
    say(a, a.conv.send('hi'));
    b.now.t += 61_000;
    const out = b.conv.receive(a.conv.send('again').toSend[0]!);
    expect(out.toSend.length).toBe(1);
    expect(out.toSend[0]!.startsWith('?OTR:AAMD')).toBe(true);
    const r = a.conv.receive(out.toSend[0]!);
    expect(r.events).toEqual([]);
  });

  it('two instances of one contact: separate sessions, messages routed by instance tag', () => {
    const alice = makePeer('alice', 0, 0x1111);
    const bob1 = makePeer('bob', 1, 0x2001);
    const bob2 = makePeer('bob', 1, 0x2002);
    const links = new Map([
      [alice, [bob1, bob2]],
      [bob1, [alice]],
      [bob2, [alice]],
    ]);
    const say = (p: typeof alice, o: ReturnType<typeof alice.conv.send>): void => {
      post(p, o, links.get(p)!);
      pump([alice, bob1, bob2], links);
    };
    say(alice, alice.conv.start());
    expect(
      alice.conv
        .sessions()
        .map((s) => [s.instanceTag, s.state])
        .sort(),
    ).toEqual([
      [0x2001, 'encrypted'],
      [0x2002, 'encrypted'],
    ]);
    say(alice, alice.conv.send('to bob1', { instanceTag: 0x2001 }));
    say(alice, alice.conv.send('to bob2', { instanceTag: 0x2002 }));
    expect(messages(bob1)).toEqual(['to bob1']);
    expect(messages(bob2)).toEqual(['to bob2']);
    say(bob2, bob2.conv.send('from bob2'));
    expect(alice.events).toContainEqual({ type: 'message', text: 'from bob2', encrypted: true, instanceTag: 0x2002 });
    // default target = most recently active instance
    say(alice, alice.conv.send('reply'));
    expect(messages(bob2)).toContain('reply');
    expect(messages(bob1)).not.toContain('reply');
    expect(errors(bob1)).toEqual([]);
    expect(errors(bob2)).toEqual([]);
  });

  it('with v3 not allowed, OTR is off: everything is plain text and nothing is answered', () => {
    const { a } = twoPeers({ policyA: { allowV3: false, allowV2: false } });
    expect(a.conv.receive('?OTRv3?')).toEqual({ toSend: [], events: [{ type: 'message', text: '?OTRv3?', encrypted: false }] });
    expect(a.conv.send('hi')).toEqual({ toSend: ['hi'], events: [] });
    expect(a.conv.start().events[0]).toMatchObject({ type: 'error', code: 'not-allowed' });
  });

  it('DSA keys generated asynchronously give control back while searching for primes', async () => {
    const { generateDsaKeyAsync } = await import('./dsa');
    const { seededRng } = await import('./test-support/keys');
    let yields = 0;
    const k = await generateDsaKeyAsync(seededRng('async-keygen'), async () => {
      yields++;
    });
    expect(k.q.toString(2).length).toBe(160);
    expect(yields).toBeGreaterThan(0);
  });

  it('IGNORE_UNREADABLE: an unreadable flagged message is dropped silently, an unflagged one gets an error reply', () => {
    const { a, b, say } = twoPeers();
    say(a, a.conv.start());
    const smpMsg = a.conv.startSmp('s').toSend[0]!; // SMP messages carry IGNORE_UNREADABLE
    const plain = a.conv.send('normal').toSend[0]!;
    b.conv.end(); // b forgets its keys: both are unreadable for it now
    expect(b.conv.receive(smpMsg)).toEqual({ toSend: [], events: [] });
    const r = b.conv.receive(plain);
    expect(r.events).toEqual([{ type: 'error', code: 'unreadable', message: 'an encrypted message could not be read' }]);
    expect(r.toSend).toEqual(['?OTR Error: ERROR_1: Message could not be read']);
  });

  it('a D-H Commit sent to instance 0 can be answered for 60 s only (libotr MAX_AKE_WAIT_TIME)', () => {
    const { a, b } = twoPeers();
    const commit = a.conv.receive('?OTRv3?').toSend;
    const key = b.conv.receive(commit[0]!).toSend;
    a.now.t += 61_000;
    expect(a.conv.receive(key[0]!).toSend).toEqual([]);
    // within the time it is answered with a Reveal Signature
    const { a: a2, b: b2 } = twoPeers();
    const key2 = b2.conv.receive(a2.conv.receive('?OTRv3?').toSend[0]!).toSend;
    a2.now.t += 30_000;
    expect(a2.conv.receive(key2[0]!).toSend.length).toBe(1);
  });

  it('messages for another instance tag, or from an invalid sender tag, are discarded silently', () => {
    const { a, b, say } = twoPeers();
    say(a, a.conv.start());
    const c = makePeer('carol', 2, 0x3333);
    const wire = a.conv.send('not for carol').toSend[0]!;
    const r = c.conv.receive(wire);
    expect(r).toEqual({ toSend: [], events: [] });
    expect(b.conv.receive(wire).events[0]).toMatchObject({ type: 'message', text: 'not for carol' });
  });
});
