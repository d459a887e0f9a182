import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeOtrMessage } from '../common/envelope';
import { addWhitespaceTag } from '../common/whitespace';
import { nativeDh3072Engine } from './test-support/engines';
import { makeSide, messages, post, pump, type Side } from './test-support/pair';
import { T0 } from './test-support/parties';
import { extraKeyTlv } from './extra-key';

const dh = nativeDh3072Engine();

function sides(seed: string, extra = {}) {
  const a = makeSide('alice@example.org', 'bob@example.org', `${seed}-a`, dh, extra);
  const b = makeSide('bob@example.org', 'alice@example.org', `${seed}-b`, dh, extra);
  return { a, b };
}

function encrypted(s: Side): boolean {
  return s.conv.sessions().some((x) => x.state === 'encrypted');
}

function chat(a: Side, b: Side, rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    post(a, b, a.conv.send(`a${i}`));
    pump(a, b);
    post(b, a, b.conv.send(`b${i}`));
    pump(a, b);
  }
}

describe('v4 conversation: interactive DAKE', () => {
  it('either side starts with a query; both reach ENCRYPTED with the same SSID and fingerprints', () => {
    for (const starter of ['a', 'b'] as const) {
      const { a, b } = sides(`q-${starter}`);
      const [s, o] = starter === 'a' ? [a, b] : [b, a];
      post(s, o, s.conv.start());
      expect(o.inbox[0]).toMatch(/^\?OTRv43\?/);
      pump(a, b);
      expect(encrypted(a) && encrypted(b)).toBe(true);
      expect(a.conv.ssid()).toEqual(b.conv.ssid());
      expect(a.conv.sessions()[0]!.theirFingerprint).toBe(b.conv.fingerprint);
      expect(b.conv.sessions()[0]!.theirFingerprint).toBe(a.conv.fingerprint);
      chat(a, b, 4);
      expect(messages(b)).toEqual(['a0', 'a1', 'a2', 'a3']);
      expect(messages(a)).toEqual(['b0', 'b1', 'b2', 'b3']);
    }
  });

  it('starts from a whitespace-tagged plaintext', () => {
    const { a, b } = sides('ws');
    post(a, b, a.conv.send('hi there'));
    expect(b.inbox[0]).toContain('\x20\x09\x20\x20\x09\x09\x09\x09');
    pump(a, b);
    expect(b.events).toContainEqual({ type: 'message', text: 'hi there', encrypted: false });
    expect(encrypted(a) && encrypted(b)).toBe(true);
  });

  it('simultaneous starts: both send Identity, one DAKE completes', () => {
    const { a, b } = sides('sim');
    post(a, b, a.conv.startInteractive());
    post(b, a, b.conv.startInteractive());
    pump(a, b);
    expect(encrypted(a) && encrypted(b)).toBe(true);
    expect(a.conv.ssid()).toEqual(b.conv.ssid());
    chat(a, b, 2);
    expect(messages(b)).toEqual(['a0', 'a1']);
  });

  it('queues messages under REQUIRE_ENCRYPTION and sends them once encrypted', () => {
    const policy = { allowV3: false, allowV4: true, requireEncryption: true, sendWhitespaceTag: false, whitespaceStartAke: true, errorStartAke: true };
    const { a, b } = sides('req', { policy });
    post(a, b, a.conv.send('secret 1'));
    post(a, b, a.conv.send('secret 2'));
    expect(a.events.filter((e) => e.type === 'message-queued')).toHaveLength(2);
    expect(b.inbox.every((m) => !m.includes('secret'))).toBe(true);
    pump(a, b);
    expect(messages(b)).toEqual(['secret 1', 'secret 2']);
  });

  it('long conversation: many ratchets (brace key rotated every third), bursts both ways', () => {
    const { a, b } = sides('long');
    post(a, b, a.conv.start());
    pump(a, b);
    for (let i = 0; i < 12; i++) {
      for (let k = 0; k < 3; k++) post(a, b, a.conv.send(`a${i}.${k}`));
      pump(a, b);
      post(b, a, b.conv.send(`b${i}`));
      pump(a, b);
    }
    expect(messages(b)).toHaveLength(36);
    expect(messages(a)).toEqual(Array.from({ length: 12 }, (_, i) => `b${i}`));
    expect(a.events.some((e) => e.type === 'error') || b.events.some((e) => e.type === 'error')).toBe(false);
  });

  it('a Non-Interactive-Auth arriving during an interactive DAKE replaces it', () => {
    const { a, b } = sides('mixed');
    post(a, b, a.conv.startInteractive());
    b.inbox.length = 0; // the Identity is lost
    post(a, b, a.conv.startNonInteractive(b.party.publishEnsemble(), 'via prekeys'));
    pump(a, b);
    expect(messages(b)).toEqual(['via prekeys']);
    expect(a.conv.ssid()).toEqual(b.conv.ssid());
  });

  it('out-of-order and lost data messages', () => {
    const { a, b } = sides('ooo');
    post(a, b, a.conv.start());
    pump(a, b);
    const wire: string[] = [];
    for (let i = 0; i < 6; i++) wire.push(...a.conv.send(`m${i}`).toSend);
    for (const i of [3, 0, 5, 1]) post(b, a, b.conv.receive(wire[i]!));
    expect(messages(b)).toEqual(['m3', 'm0', 'm5', 'm1']);
    post(b, a, b.conv.send('reply'));
    pump(a, b);
    expect(messages(a)).toEqual(['reply']);
  });

  it('detects tampering of data messages and answers ERROR_1', () => {
    const { a, b } = sides('tamper');
    post(a, b, a.conv.start());
    pump(a, b);
    const [msg] = a.conv.send('do not touch').toSend;
    const body = msg!.slice(5, -1);
    const i = Math.floor(body.length * 0.8);
    const flipped = body.slice(0, i) + (body[i] === 'A' ? 'B' : 'A') + body.slice(i + 1);
    const out = b.conv.receive(`?OTR:${flipped}.`);
    expect(out.events.some((e) => e.type === 'message')).toBe(false);
    expect(out.toSend[0]).toMatch(/^\?OTR Error: ERROR_1/);
    // the genuine message still decrypts
    expect(b.conv.receive(msg!).events).toContainEqual({ type: 'message', text: 'do not touch', encrypted: true, instanceTag: a.conv.instanceTag });
  });

  it('end(): the peer goes to FINISHED and refuses to send in clear; restart works', () => {
    const { a, b } = sides('end');
    post(a, b, a.conv.start());
    pump(a, b);
    post(a, b, a.conv.end());
    pump(a, b);
    expect(b.conv.sessions()[0]!.state).toBe('finished');
    expect(a.conv.sessions()[0]!.state).toBe('plaintext');
    const out = b.conv.send('oops');
    expect(out.toSend).toEqual([]);
    expect(out.events[0]!.type).toBe('error');
    post(b, a, b.conv.end());
    post(b, a, b.conv.start());
    pump(a, b);
    expect(encrypted(a) && encrypted(b)).toBe(true);
  });

  it('a replayed old Identity message does not tear down the running session', () => {
    const { a, b } = sides('replay');
    post(b, a, b.conv.startInteractive());
    const oldIdentity = a.inbox[0]!;
    pump(a, b);
    const ssid = a.conv.ssid();
    // an attacker (or the network) replays it: it is the Identity this session came from, so it
    // is ignored (D20); a replayed older one would get an Auth-R and leave the session running (D30)
    expect(a.conv.receive(oldIdentity)).toEqual({ toSend: [], events: [] });
    expect(encrypted(a)).toBe(true);
    post(a, b, a.conv.send('still here'));
    pump(a, b);
    expect(messages(b)).toEqual(['still here']);
    expect(a.conv.ssid()).toEqual(ssid);
  });

  it('a new Identity in ENCRYPTED state re-keys (disconnect and restart)', () => {
    const { a, b } = sides('rekey');
    post(a, b, a.conv.start());
    pump(a, b);
    const ssid1 = a.conv.ssid();
    post(b, a, b.conv.startInteractive(a.conv.instanceTag));
    pump(a, b);
    expect(a.conv.ssid()).not.toEqual(ssid1);
    expect(a.conv.ssid()).toEqual(b.conv.ssid());
    chat(a, b, 1);
    expect(messages(b)).toEqual(['a0']);
  });

  it('user actions without a session report error events instead of throwing', () => {
    const { a } = sides('noses');
    expect(a.conv.startSmp('x').events[0]).toMatchObject({ type: 'error', code: 'not-allowed' });
    expect(a.conv.useExtraKey(1, new Uint8Array(0))).toMatchObject({ key: new Uint8Array(0), toSend: [] });
    expect(a.conv.send('hi', { instanceTag: 0x999 }).events[0]).toMatchObject({ type: 'error' });
  });

  it('extra symmetric key: both sides get the same key', () => {
    const { a, b } = sides('extra');
    post(a, b, a.conv.start());
    pump(a, b);
    const r = a.conv.useExtraKey(0x01a4, new TextEncoder().encode('push'));
    post(a, b, r);
    pump(a, b);
    const ev = b.events.find((e) => e.type === 'extra-key-received');
    expect(ev).toMatchObject({ use: 0x01a4, key: r.key });
    expect(r.key).toHaveLength(64);
  });

  it('extra symmetric keys: several TLV 7s among other TLVs, the same keys by TLV index on both sides', () => {
    const { a, b } = sides('extra-many');
    post(a, b, a.conv.start());
    pump(a, b);
    const tlvs = [
      { type: 0x01a5, value: new Uint8Array(3) },
      extraKeyTlv(0x42, new TextEncoder().encode('file')),
      { type: 0x01a5, value: new Uint8Array(0) },
      extraKeyTlv(0x104a),
    ];
    const r = a.conv.sendWithExtraKeys('with keys', tlvs);
    expect(r.extraKeys.map((k) => [k.index, k.use])).toEqual([
      [1, 0x42],
      [3, 0x104a],
    ]);
    post(a, b, r);
    pump(a, b);
    const got = b.events.filter((e) => e.type === 'extra-key-received');
    expect(got).toEqual(r.extraKeys.map((k) => ({ type: 'extra-key-received', key: k.key, use: k.use, useData: k.useData })));
    expect(messages(b)).toContain('with keys');
    // a sent key differs from the next message's: each message has its own chain key
    const again = a.conv.sendWithExtraKeys('', [extraKeyTlv(0x42)]);
    expect(again.extraKeys[0]!.key).not.toEqual(r.extraKeys[0]!.key);
  });

  it('fragments long messages and reassembles them out of order', () => {
    const { a, b } = sides('frag', { maxMessageSize: 120 });
    post(a, b, a.conv.start());
    pump(a, b);
    const frags = a.conv.send('x'.repeat(500)).toSend;
    expect(frags.length).toBeGreaterThan(3);
    for (const f of [...frags].reverse()) post(b, a, b.conv.receive(f));
    expect(messages(b)).toEqual(['x'.repeat(500)]);
  });

  it('SSID display: the Auth-R sender bolds the first half, the Auth-I sender the second', () => {
    const { a, b } = sides('ssid');
    post(a, b, a.conv.startInteractive()); // a sends Identity (Bob's role), b answers with Auth-R
    pump(a, b);
    const da = a.conv.ssidDisplay()!;
    const db = b.conv.ssidDisplay()!;
    expect(da.halves).toEqual(db.halves);
    expect([da.boldHalf, db.boldHalf]).toEqual([1, 0]);
  });

  it('session expiration: tick() sends TLV 1 with the MAC keys; both sides end up FINISHED', () => {
    let now = T0;
    const opts = { ratchet: { sessionExpiryMs: 60_000 } };
    const a = makeSide('alice@example.org', 'bob@example.org', 'exp-a', dh, opts, () => now);
    const b = makeSide('bob@example.org', 'alice@example.org', 'exp-b', dh, {}, () => now);
    post(a, b, a.conv.start());
    pump(a, b);
    chat(a, b, 1);
    expect(a.conv.tick().toSend).toEqual([]);
    now += 120_000;
    const out = a.conv.tick();
    expect(out.toSend).toHaveLength(1);
    expect(a.conv.sessions()[0]!.state).toBe('finished');
    post(a, b, out);
    pump(a, b);
    expect(b.conv.sessions()[0]!.state).toBe('finished');
  });

  it('ignores its own DAKE messages reflected back', () => {
    const { a } = sides('reflect');
    const [identity] = a.conv.startInteractive().toSend;
    expect(a.conv.receive(identity!)).toEqual({ toSend: [], events: [] });
  });

  it('answers a received message with a heartbeat when it has not sent for a while', () => {
    let now = T0;
    const a = makeSide('alice@example.org', 'bob@example.org', 'hb-a', dh, {}, () => now);
    const b = makeSide('bob@example.org', 'alice@example.org', 'hb-b', dh, {}, () => now);
    post(a, b, a.conv.start());
    pump(a, b);
    post(a, b, a.conv.send('ping'));
    now += 120_000;
    const out = b.conv.receive(b.inbox.shift()!);
    expect(out.toSend).toHaveLength(1); // the heartbeat, an empty data message
    post(b, a, out);
    pump(a, b);
    expect(a.events.filter((e) => e.type === 'message')).toEqual([]);
  });

  it('ignores messages addressed to another instance tag', () => {
    const { a, b } = sides('tags');
    const c = makeSide('carol@example.org', 'bob@example.org', 'tags-c', dh);
    post(a, b, a.conv.startInteractive());
    // b answers with an Auth-R for a; carol receives it instead
    const authR = b.conv.receive(b.inbox.shift()!).toSend;
    const out = c.conv.receive(authR[0]!);
    expect(out.toSend).toEqual([]);
    expect(c.conv.sessions().every((s) => s.state === 'plaintext')).toBe(true);
  });
});

describe('v4 conversation: non-interactive DAKE', () => {
  it('sends the first data message with the Non-Interactive-Auth; the conversation continues', () => {
    const { a, b } = sides('nik');
    const ensemble = b.party.publishEnsemble();
    post(a, b, a.conv.startNonInteractive(ensemble, 'offline hello'));
    expect(b.inbox).toHaveLength(2);
    expect(b.inbox[0]).toMatch(/^\?OTR:AAQN/);
    pump(a, b);
    expect(messages(b)).toEqual(['offline hello']);
    expect(a.conv.ssid()).toEqual(b.conv.ssid());
    chat(b, a, 3);
    expect(messages(a)).toEqual(['b0', 'b1', 'b2'].map((x) => x.replace('b', 'a')));
    expect(b.party.prekeys.size).toBe(0);
  });

  it('a replayed Non-Interactive-Auth (prekey already used) is refused', () => {
    const { a, b } = sides('nik-replay');
    const out = a.conv.startNonInteractive(b.party.publishEnsemble(), 'once');
    for (const m of out.toSend) b.conv.receive(m);
    const replay = b.conv.receive(out.toSend[0]!);
    expect(replay.events.some((e) => e.type === 'error')).toBe(true);
  });

  it('interactive-only mode refuses non-interactive DAKEs', () => {
    const { a } = sides('io', { mode: 'otrv4-interactive-only' });
    const { b } = sides('io2');
    const out = a.conv.startNonInteractive(b.party.publishEnsemble());
    expect(out.toSend).toEqual([]);
    expect(out.events[0]).toMatchObject({ type: 'error', code: 'not-allowed' });
  });
});

describe('v4 conversation: receive() never throws on bad input', () => {
  it('random strings, random ?OTR: payloads and mutated valid messages give events, not exceptions', () => {
    const { a, b } = sides('fuzz');
    post(a, b, a.conv.start());
    const identity = b.conv.receive(b.inbox.shift()!).toSend[0]!;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.uint8Array({ maxLength: 300 }).map((x) => encodeOtrMessage(Uint8Array.from([0, 4, ...x]))),
          fc.tuple(fc.nat(), fc.integer({ min: 0, max: 63 })).map(([i, c]) => {
            const body = identity.slice(5, -1);
            const k = i % body.length;
            const ch = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[c]!;
            return `?OTR:${body.slice(0, k)}${ch}${body.slice(k + 1)}.`;
          }),
          fc.string().map((s) => `?OTR|${s}`),
          fc.string().map((s) => addWhitespaceTag(s, [4])),
        ),
        (msg) => {
          a.conv.receive(msg);
        },
      ),
      { numRuns: 150 },
    );
    // still usable afterwards: the genuine Identity is answered
    expect(a.conv.receive(identity).toSend.length).toBeGreaterThan(0);
  });
});

describe('v4 conversation: SMP', () => {
  function encryptedPair(seed: string) {
    const { a, b } = sides(seed);
    post(a, b, a.conv.start());
    pump(a, b);
    return { a, b };
  }
  const smpEvents = (s: Side) => s.events.filter((e) => e.type === 'smp').map((e) => (e.type === 'smp' ? e.smp.type : ''));

  it('succeeds with the same secret (question and answer)', () => {
    const { a, b } = encryptedPair('smp-ok');
    post(a, b, a.conv.startSmp('blue', 'favourite colour?'));
    pump(a, b);
    expect(b.events).toContainEqual({ type: 'smp', smp: { type: 'smp-request', question: 'favourite colour?' } });
    post(b, a, b.conv.answerSmp('blue'));
    pump(a, b);
    expect(smpEvents(a)).toContain('smp-succeeded');
    expect(smpEvents(b)).toContain('smp-succeeded');
  });

  it('fails with different secrets', () => {
    const { a, b } = encryptedPair('smp-bad');
    post(a, b, a.conv.startSmp('blue'));
    pump(a, b);
    post(b, a, b.conv.answerSmp('red'));
    pump(a, b);
    expect(smpEvents(a)).toContain('smp-failed');
    expect(smpEvents(b)).toContain('smp-failed');
  });
});
