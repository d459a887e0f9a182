// The codecs: every message round-trips, and bad bodies are a typed 'malformed' error.
import { describe, expect, it } from 'vitest';
import { GroupProtocolError } from './errors';
import { parsePairwise, encodePairwise, parseGroupPayload, encodeGroupPayload, type PairwisePayload } from './inner';
import { encodeMessage, parseMessage, type GroupMessage } from './wire';
import { testIdentity } from './test-support/harness';

const alice = testIdentity('alice');
const fp = alice.fingerprint;
const sig = new Uint8Array(114).fill(7);

const samples: GroupMessage[] = [
  { t: 'identity', group: 'g-1', fp, key: alice.bundle, since: 4, create: true },
  { t: 'Ack', group: 'g-1', member: false, creator: fp, admins: [fp], head: 9 },
  { t: 'new_user', group: 'g-1', fp, key: alice.bundle },
  { t: 'Nack', group: 'g-1', fp, reason: 'not-verified' },
  { t: 'encrypted', group: 'g-1', from: fp, to: fp, key: alice.bundle, e: new Uint8Array(56), n: new Uint8Array(24), ct: new Uint8Array(40), sig },
  { t: 'add_user', group: 'g-1', fp, key: alice.bundle, by: fp, epoch: 1, sig },
  { t: 'user_added', group: 'g-1', fp, key: alice.bundle, by: fp, epoch: 1, sig, seq: 3 },
  { t: 'remove', group: 'g-1', fp, by: fp, epoch: 2, sig },
  { t: 'user_removed', group: 'g-1', fp, by: fp, epoch: 2, sig, seq: 5 },
  { t: 'leave', group: 'g-1', fp, epoch: 2, sig },
  { t: 'user_left', group: 'g-1', fp, epoch: 2, sig, seq: 6 },
  { t: 'set_admins', group: 'g-1', admins: [fp], by: fp, ver: 1, sig },
  { t: 'admins_set', group: 'g-1', admins: [], by: fp, ver: 2, sig, seq: 8 },
  { t: 'group', group: 'g-1', from: fp, epoch: 2, ctr: 0, n: new Uint8Array(24), ct: new Uint8Array(20), sig, seq: 7 },
  { t: 'disconnect', group: 'g-1', reason: 'nobody-vouched', text: 'nobody' },
  { t: 'error', group: 'g-1', code: 'malformed', text: 'x' },
];

describe('outer messages', () => {
  it.each(samples.map((m) => [m.t, m] as const))('%s round-trips', (_t, m) => {
    expect(parseMessage(encodeMessage(m))).toEqual(m);
  });

  const bad: [string, string][] = [
    ['not JSON', '{'],
    ['no type', '{"group":"g-1"}'],
    ['unknown type', '{"t":"hello","group":"g-1"}'],
    ['an extra field', JSON.stringify({ t: 'Nack', group: 'g-1', fp, reason: 'not-verified', extra: 1 })],
    ['a short fingerprint', JSON.stringify({ t: 'Nack', group: 'g-1', fp: 'ab', reason: 'not-verified' })],
    ['an upper-case group id', JSON.stringify({ t: 'Nack', group: 'G', fp, reason: 'not-verified' })],
    ['a wrong nonce length', encodeMessage(samples[4]!).replace(/"n":"[^"]*"/, '"n":"AAAA"')],
    ['a key of the wrong length', encodeMessage(samples[2]!).replace(/"x":"[^"]*"/, '"x":"AAAA"')],
    ['bad base64', encodeMessage(samples[4]!).replace(/"ct":"[^"]*"/, '"ct":"!!"')],
    ['a negative seq', encodeMessage(samples[6]!).replace(/"seq":3/, '"seq":-1')],
    ['a body too long', 'x'.repeat(300_000)],
    ['an admin list of non-fingerprints', JSON.stringify({ t: 'set_admins', group: 'g-1', admins: ['me'], by: fp, ver: 1, sig: 'AA' })],
    ['admins_set without its seq', encodeMessage(samples[12]!).replace(/,"seq":8/, '')],
    ['null', 'null'],
  ];
  it.each(bad)('refuses %s with a typed error', (_what, body) => {
    expect(() => parseMessage(body)).toThrow(GroupProtocolError);
    try {
      parseMessage(body);
    } catch (e) {
      expect((e as GroupProtocolError).code).toBe('malformed');
    }
  });
});

describe('inner payloads', () => {
  it('round-trips the pairwise payloads of steps 3–5 and rekey', () => {
    const nonce = new Uint8Array(32).fill(1);
    const key = new Uint8Array(32).fill(2);
    for (const p of [
      { k: 'identity', fp },
      { k: 'challenge', nonce },
      { k: 'response', nonce, session_key: key, epoch: 1, creator: fp, admins: [fp], members: [{ fp, key: alice.bundle, name: 'Alice' }] },
      { k: 'response', nonce, session_key: key, epoch: 1, creator: fp, admins: [fp], admin_ver: 3, members: [{ fp, key: alice.bundle }] },
      { k: 'rekey', epoch: 2, session_key: key, members: [fp] },
    ] as PairwisePayload[]) {
      expect(parsePairwise(encodePairwise(p))).toEqual(p);
    }
  });

  it('refuses a short nonce, an unknown kind and invalid UTF-8', () => {
    const enc = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o));
    expect(() => parsePairwise(enc({ k: 'challenge', nonce: 'AAAA' }))).toThrow(/32 bytes/);
    expect(() => parsePairwise(enc({ k: 'steal', fp }))).toThrow(GroupProtocolError);
    expect(() => parseGroupPayload(new Uint8Array([0xff, 0xfe]))).toThrow(GroupProtocolError);
    expect(parseGroupPayload(encodeGroupPayload({ k: 'hello_i_am', name: 'Al', fp }))).toEqual({ k: 'hello_i_am', name: 'Al', fp });
  });
});
