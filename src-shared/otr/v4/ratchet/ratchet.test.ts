import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OtrError } from '../../common/errors';
import { V4TlvType, joinMessagePayload, splitMessagePayload } from '../../common/tlv';
import { MAC_BYTES, computeAuthenticator, decodeDataMessage, sealDataMessage, splitMacKeys } from '../data-message';
import { encodePoint } from '../ed448';
import { deriveExtraSubkey, generateEcdhKeyPair } from './keys';
import type { DoubleRatchet } from './ratchet';
import { DataMessageError } from './state';
import { ALICE_TAG, BOB_TAG, makePair, seededRandom, str, text } from './test-support/pair';

/** decrypt must fail with the one opaque error */
function expectUnreadable(r: DoubleRatchet, msg: Uint8Array): DataMessageError {
  try {
    r.decrypt(msg);
  } catch (e) {
    expect(e).toBeInstanceOf(DataMessageError);
    expect((e as DataMessageError).code).toBe('unreadable');
    expect((e as DataMessageError).message).toBe('message could not be read');
    return e as DataMessageError;
  }
  throw new Error('expected the message to be refused');
}

function send(from: DoubleRatchet, s: string): Uint8Array {
  return from.encrypt(text(s)).message;
}

function recv(to: DoubleRatchet, m: Uint8Array): string {
  return str(to.decrypt(m).payload);
}

describe.each(['interactive', 'non-interactive'] as const)('double ratchet (%s)', (mode) => {
  it('alternating turns, Alice first, crossing many brace-key rotations', () => {
    const { alice, bob } = makePair(mode, `alt-${mode}`);
    const dhSeen: boolean[] = [];
    for (let turn = 0; turn < 40; turn++) {
      const [from, to] = turn % 2 === 0 ? [alice, bob] : [bob, alice];
      for (let n = 0; n < 2; n++) {
        const m = send(from, `turn ${turn} message ${n}`);
        const d = decodeDataMessage(m);
        // every third ratchet carries a new DH key (§"Rotating ECDH Keys and Brace Key as sender")
        expect(d.dh !== null).toBe(d.ratchetId % 3 === 0);
        if (n === 0) dhSeen.push(d.dh !== null);
        expect(recv(to, m)).toBe(`turn ${turn} message ${n}`);
      }
    }
    // first chain (id 0) and then one ratchet per turn: ids 0..38, DH on 0,3,6,...
    expect(dhSeen.filter(Boolean).length).toBeGreaterThanOrEqual(13);
    expect(alice.ratchetCounter).toBe(bob.ratchetCounter);
  });

  it('Bob may send first, then alternate', () => {
    const { alice, bob } = makePair(mode, `bobfirst-${mode}`);
    expect(recv(alice, send(bob, 'hello from bob'))).toBe('hello from bob');
    expect(recv(bob, send(alice, 'hi bob'))).toBe('hi bob');
    expect(recv(alice, send(bob, 'again'))).toBe('again');
  });

  it('both send before receiving anything (simultaneous first messages)', () => {
    const { alice, bob } = makePair(mode, `simul-${mode}`);
    const a0 = send(alice, 'a0');
    const b0 = send(bob, 'b0');
    expect(recv(bob, a0)).toBe('a0');
    expect(recv(alice, b0)).toBe('b0');
    expect(recv(bob, send(alice, 'a1'))).toBe('a1');
    expect(recv(alice, send(bob, 'b1'))).toBe('b1');
  });

  it('long one-sided runs in each direction', () => {
    const { alice, bob } = makePair(mode, `runs-${mode}`);
    for (let round = 0; round < 4; round++) {
      for (let n = 0; n < 60; n++) expect(recv(bob, send(alice, `a${round}.${n}`))).toBe(`a${round}.${n}`);
      for (let n = 0; n < 45; n++) expect(recv(alice, send(bob, `b${round}.${n}`))).toBe(`b${round}.${n}`);
    }
    expect(alice.storedKeyCount).toBe(0);
    expect(bob.storedKeyCount).toBe(0);
  });
});

describe('double ratchet: out of order, loss, replay', () => {
  it('decrypts a chain in any order; skipped keys are used once and deleted', () => {
    const { alice, bob } = makePair('interactive', 'ooo');
    fc.assert(
      fc.property(fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6, 7], { minLength: 8, maxLength: 8 }), (order) => {
        const sent = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => send(alice, `m${n}`));
        for (const n of order) {
          expect(recv(bob, sent[n]!)).toBe(`m${n}`);
        }
        expect(bob.storedKeyCount).toBe(0);
        for (const m of sent) expectUnreadable(bob, m); // all replays refused
        // a reply and an answer keep the ratchet turning between property runs
        expect(recv(alice, send(bob, 'ack'))).toBe('ack');
      }),
      { numRuns: 15 },
    );
  });

  it('a message lost across ratchets arrives late and decrypts through pn', () => {
    const { alice, bob } = makePair('interactive', 'late');
    const a0 = send(alice, 'a0');
    const a1 = send(alice, 'a1'); // delayed
    const a2 = send(alice, 'a2'); // delayed until after two more ratchets
    expect(recv(bob, a0)).toBe('a0');
    expect(recv(alice, send(bob, 'b0'))).toBe('b0');
    const a3 = send(alice, 'a3'); // new ratchet; pn = 3 stores a1, a2
    expect(recv(bob, a3)).toBe('a3');
    expect(bob.storedKeyCount).toBe(2);
    expect(recv(bob, a2)).toBe('a2');
    expect(recv(alice, send(bob, 'b1'))).toBe('b1');
    expect(recv(bob, a1)).toBe('a1');
    expect(bob.storedKeyCount).toBe(0);
    expectUnreadable(bob, a1);
    expectUnreadable(bob, a3);
  });

  it('lost messages never arrive: the conversation goes on', () => {
    const { alice, bob } = makePair('interactive', 'lost');
    for (let turn = 0; turn < 12; turn++) {
      const [from, to] = turn % 2 === 0 ? [alice, bob] : [bob, alice];
      const msgs = [0, 1, 2, 3].map((n) => send(from, `${turn}.${n}`));
      // lose all but one message of each turn (never the same position)
      const keep = turn % 4;
      expect(recv(to, msgs[keep]!)).toBe(`${turn}.${keep}`);
    }
  });

  it('refuses a replayed message in the current chain and leaves state usable', () => {
    const { alice, bob } = makePair('interactive', 'replay');
    const m = send(alice, 'once');
    expect(recv(bob, m)).toBe('once');
    expectUnreadable(bob, m);
    expect(recv(bob, send(alice, 'twice'))).toBe('twice');
  });

  it('bounds the store: max_skip per chain and maxStoredKeys overall (oldest evicted, MAC revealed)', () => {
    const { alice, bob } = makePair('interactive', 'bound', { maxSkip: 10, maxStoredKeys: 6 });
    const msgs = Array.from({ length: 12 }, (_, n) => send(alice, `m${n}`));
    // message 11 would need 11 skipped keys > max_skip: refused, nothing stored
    expectUnreadable(bob, msgs[11]!);
    expect(bob.storedKeyCount).toBe(0);
    expect(recv(bob, msgs[9]!)).toBe('m9'); // skips 0..8 = 9 keys, store keeps the newest 6
    expect(bob.storedKeyCount).toBe(6);
    expect(bob.pendingMacKeyCount).toBe(3 + 1); // 3 evicted + the received one
    expectUnreadable(bob, msgs[0]!); // evicted
    expect(recv(bob, msgs[3]!)).toBe('m3');
    expect(bob.storedKeyCount).toBe(5);
  });

  it('expires stored skipped keys by age and by ratchet steps, revealing their MAC keys', () => {
    const { alice, bob, clock } = makePair('interactive', 'expire-skipped', { skippedKeyMaxAgeMs: 60_000, skippedKeyMaxRatchets: 4 });
    const m0 = send(alice, 'm0');
    const m1 = send(alice, 'm1');
    expect(recv(bob, m1)).toBe('m1');
    expect(bob.storedKeyCount).toBe(1);
    clock.now += 61_000;
    expectUnreadable(bob, m0); // too old
    bob.expireSkippedKeys();
    expect(bob.storedKeyCount).toBe(0);
    expect(bob.pendingMacKeyCount).toBe(2);

    const m2 = send(alice, 'm2');
    const m3 = send(alice, 'm3');
    expect(recv(bob, m3)).toBe('m3');
    expect(bob.storedKeyCount).toBe(1);
    for (let turn = 0; turn < 4; turn++) {
      if (turn % 2 === 0) recv(alice, send(bob, 'x'));
      else recv(bob, send(alice, 'y'));
    }
    expect(bob.storedKeyCount).toBe(0); // aged out by ratchet steps
    expectUnreadable(bob, m2);
  });
});

describe('double ratchet: tampering and failure leave the state unchanged', () => {
  function tamperEveryByte(r: DoubleRatchet, msg: Uint8Array, positions: number[]): void {
    const before = [r.ratchetCounter, r.storedKeyCount, r.pendingMacKeyCount];
    for (const pos of positions) {
      const bad = Uint8Array.from(msg);
      bad[pos]! ^= 0x01 << (pos % 8);
      let threw = false;
      try {
        r.decrypt(bad);
      } catch (e) {
        threw = true;
        expect(e).toBeInstanceOf(OtrError);
        expect(['malformed', 'unreadable', 'unsupported-version']).toContain((e as OtrError).code);
      }
      expect(threw, `byte ${pos} tampered undetected`).toBe(true);
      expect([r.ratchetCounter, r.storedKeyCount, r.pendingMacKeyCount]).toEqual(before);
    }
  }

  it('detects a flipped bit in every byte of a same-chain message, then decrypts the original', () => {
    const { alice, bob } = makePair('interactive', 'tamper1');
    recv(bob, send(alice, 'first'));
    const m = send(alice, 'the second message');
    expect(decodeDataMessage(m).revealedMacKeys.length).toBe(0);
    tamperEveryByte(bob, m, [...m.keys()]);
    expect(recv(bob, m)).toBe('the second message');
  });

  it('detects tampering with a new-ratchet message (brace-key step) and still decrypts it after', () => {
    const { alice, bob } = makePair('interactive', 'tamper2');
    recv(bob, send(alice, 'a'));
    recv(alice, send(bob, 'b')); // ratchet 0 (DH)
    const m = send(alice, 'c'); // ratchet 1: symmetric brace-key step, new ECDH, reveals Bob's MAC key
    const d = decodeDataMessage(m);
    expect(d.dh).toBeNull();
    expect(d.revealedMacKeys.length).toBe(MAC_BYTES);
    // the revealed MAC keys are outside the authenticator by design (§"Data Message Format")
    tamperEveryByte(
      bob,
      m,
      [...m.keys()].filter((p) => p < d.authenticated.length + MAC_BYTES + 4),
    );
    expect(recv(bob, m)).toBe('c');
  });

  it('detects tampering with a DH-ratchet message (sampled bytes) and still decrypts it after', () => {
    const { alice, bob } = makePair('interactive', 'tamper3');
    const m = send(bob, 'bob first: DH ratchet 0');
    expect(decodeDataMessage(m).dh).not.toBeNull();
    const positions = [0, 1, 2, 3, 7, 11, 12, 15, 19, 23, 27, 30, 60, 84, 85, 88, 89, 200, 400, 470, m.length - 80, m.length - 5];
    tamperEveryByte(alice, m, positions);
    expect(recv(alice, m)).toBe('bob first: DH ratchet 0');
  });

  it('a forged new ratchet (valid fresh ECDH key, expected id, wrong keys) changes nothing', () => {
    const { alice, bob } = makePair('interactive', 'forged');
    const a0 = send(alice, 'a0');
    const a1 = send(alice, 'a1');
    recv(bob, a1); // a0 now in the store
    recv(alice, send(bob, 'b0')); // Alice may ratchet next, with id = Bob's i
    const snapshot = (r: DoubleRatchet) => [r.ratchetCounter, r.storedKeyCount, r.pendingMacKeyCount];
    const before = snapshot(bob);
    const rnd = seededRandom('mallory');
    const fake = generateEcdhKeyPair(rnd);
    for (const pn of [0, 1, 2, 5]) {
      const forged = sealDataMessage(
        {
          senderTag: ALICE_TAG,
          receiverTag: BOB_TAG,
          flags: 0,
          previousChainLength: pn,
          ratchetId: bob.ratchetCounter,
          messageId: 3,
          ecdh: encodePoint(fake.public),
          dh: null,
        },
        text('forged'),
        rnd(64),
        rnd(64),
        new Uint8Array(0),
      );
      expectUnreadable(bob, forged);
      expect(snapshot(bob)).toEqual(before);
    }
    expect(recv(bob, send(alice, 'a2 real ratchet'))).toBe('a2 real ratchet');
    expect(recv(bob, a0)).toBe('a0');
  });

  it('the same opaque error for a bad MAC, an unknown key, a wrong tag and a replay', () => {
    const { alice, bob } = makePair('interactive', 'opaque');
    const m = send(alice, 'x');
    const badMac = Uint8Array.from(m);
    badMac[m.length - 10]! ^= 1;
    const d = decodeDataMessage(m);
    const badTag = Uint8Array.from(m);
    badTag[10]! ^= 1; // receiver tag
    const errs = [expectUnreadable(bob, badMac), expectUnreadable(bob, badTag)];
    recv(bob, m);
    errs.push(expectUnreadable(bob, m));
    expect(new Set(errs.map((e) => `${e.code}:${e.message}`)).size).toBe(1);
    expect(d.flags).toBe(0);
    expect(errs[0]!.ignoreUnreadable).toBe(false);
    const hb = alice.encrypt(new Uint8Array(0), { ignoreUnreadable: true }).message;
    const hbBad = Uint8Array.from(hb);
    hbBad[hb.length - 20]! ^= 1;
    expect(expectUnreadable(bob, hbBad).ignoreUnreadable).toBe(true);
  });

  it('random garbage and mutated messages throw only OtrErrors and never change the state', () => {
    const { alice, bob } = makePair('interactive', 'fuzz');
    const valid = send(alice, 'valid');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([p, x]) => {
            const b = Uint8Array.from(valid);
            b[p]! ^= x;
            return b;
          }),
          fc.nat({ max: valid.length - 1 }).map((n) => valid.slice(0, n)),
        ),
        (bytes) => {
          try {
            bob.decrypt(bytes);
            throw new Error('accepted a mutated message');
          } catch (e) {
            expect(e).toBeInstanceOf(DataMessageError);
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(recv(bob, valid)).toBe('valid');
  });
});

describe('double ratchet: MAC revelation, extra key, expiry', () => {
  it('reveals the MAC keys of received messages in the first message of the next ratchet', () => {
    const { alice, bob } = makePair('interactive', 'reveal');
    const sent = [send(alice, 'a'), send(alice, 'b'), send(alice, 'c')];
    for (const m of sent) recv(bob, m);
    const reply = send(bob, 'reply');
    const revealed = splitMacKeys(decodeDataMessage(reply).revealedMacKeys);
    expect(revealed.length).toBe(3);
    // each revealed key is the MAC key that authenticated one of Alice's messages
    sent.forEach((m, n) => {
      const d = decodeDataMessage(m);
      expect(computeAuthenticator(revealed[n]!, d.authenticated)).toEqual(d.authenticator);
    });
    expect(decodeDataMessage(send(bob, 'more')).revealedMacKeys.length).toBe(0);
    recv(alice, reply);
  });

  it('gives both sides the same extra symmetric key (TLV 7), and the same sub-keys', () => {
    const { alice, bob } = makePair('interactive', 'extra');
    recv(bob, send(alice, 'x'));
    const payload = joinMessagePayload('', [{ type: V4TlvType.extraSymmetricKey, value: Uint8Array.of(0, 0, 0, 1, 9) }]);
    const { message, extraSymmetricKey } = bob.encrypt(payload, { ignoreUnreadable: true });
    const got = alice.decrypt(message);
    expect(got.extraSymmetricKey).toEqual(extraSymmetricKey);
    expect(got.extraSymmetricKey.length).toBe(64);
    expect(splitMessagePayload(got.payload).tlvs[0]!.type).toBe(V4TlvType.extraSymmetricKey);
    const use = Uint8Array.of(0, 0, 0, 1);
    expect(deriveExtraSubkey(got.extraSymmetricKey, 0, use)).toEqual(deriveExtraSubkey(extraSymmetricKey, 0, use));
    // a skipped message keeps its extra key
    const m1 = bob.encrypt(text('1')).message;
    const m2 = bob.encrypt(text('2'));
    alice.decrypt(m2.message);
    const k1 = bob.encrypt(text('3'));
    expect(alice.decrypt(m1).extraSymmetricKey).not.toEqual(m2.extraSymmetricKey);
    expect(alice.decrypt(k1.message).extraSymmetricKey).toEqual(k1.extraSymmetricKey);
  });

  it('expires the session: TLV 1 with every unrevealed MAC key, then everything is wiped', () => {
    const { alice, bob, clock } = makePair('interactive', 'expiry', { sessionExpiryMs: 2 * 3600_000 });
    recv(bob, send(alice, 'a0'));
    const lost = send(alice, 'a1'); // never arrives: its key stays in Bob's store
    recv(bob, send(alice, 'a2'));
    expect(bob.storedKeyCount).toBe(1);
    clock.now += 3600_000;
    expect(bob.isExpired()).toBe(false);
    clock.now += 3600_000;
    expect(bob.isExpired()).toBe(true);
    const bye = bob.expire();
    expect(bob.destroyed).toBe(true);
    expect(() => bob.encrypt(text('x'))).toThrow(OtrError);
    const d = decodeDataMessage(bye);
    expect(d.flags & 1).toBe(1);
    // a0, a2 received + a1's derived MAC key
    expect(splitMacKeys(d.revealedMacKeys).length).toBe(3);
    const got = alice.decrypt(bye);
    expect(splitMessagePayload(got.payload).tlvs.map((t) => t.type)).toEqual([V4TlvType.disconnected]);
    const dl = decodeDataMessage(lost);
    expect(splitMacKeys(d.revealedMacKeys).some((k) => computeAuthenticator(k, dl.authenticated).every((b, n) => b === dl.authenticator[n]))).toBe(true);
  });

  it('sending resets the expiry timer (a new ECDH key of ours)', () => {
    const { alice, bob, clock } = makePair('interactive', 'expiry2', { sessionExpiryMs: 1000 });
    clock.now += 900;
    recv(alice, send(bob, 'b')); // Bob's first send rotates
    clock.now += 900;
    expect(bob.isExpired()).toBe(false);
    expect(alice.isExpired()).toBe(true); // Alice has not made a new ECDH key since init
  });
});
