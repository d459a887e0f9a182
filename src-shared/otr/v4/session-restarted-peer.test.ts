// The contact's messenger restarted in the middle of a DAKE, and both sides asked for a private
// conversation more than once (bench/soak.ts: every OTR error message the contact's new core sent
// back made ours send a query, and every query made the other side send an Identity message).
// Two defects left both sides waiting for an Auth-I that never came, until both gave up with
// messages queued:
// - an Auth-R that answers our own, newer Identity message was dropped while we were still
//   waiting for the Auth-I of an older DAKE the contact had started (a DAKE its old core took
//   with it); §"Sending an Identity Message" moves the state to WAITING_AUTH_R, so the newer
//   DAKE is the one to complete (docs/otrv4-decisions.md D32);
// - each query was answered with a fresh Identity message, so the two sides compared (§"Receiving
//   an Identity Message", WAITING_AUTH_R) different pairs of messages and could each end up
//   answering the other's; while one is outstanding, a query is now answered with the same bytes
//   again (D32).
import { describe, expect, it } from 'vitest';
import { decodeOtrMessage } from '../common/envelope';
import { MessageType, peekV4Header } from './dake-messages';
import { V4Conversation } from './session';
import { nativeDh3072Engine, seededRandom } from './test-support/engines';
import { makeSide, messages, post, pump, type Side } from './test-support/pair';
import { T0 } from './test-support/parties';

const dh = nativeDh3072Engine();
const encrypted = (s: Side) => s.conv.sessions().some((x) => x.state === 'encrypted');
const types = (toSend: string[]) => toSend.map((t) => peekV4Header(decodeOtrMessage(t)).type);
const QUERY = '?OTRv4?';

/** the same user and device (long-term keys, instance tag) in a freshly started messenger */
function restarted(old: Side, seed: string, clock: () => number): Side {
  const random = seededRandom(seed);
  const conv = new V4Conversation({
    identity: old.party.identity,
    random,
    clock,
    dh,
    ourId: 'bob@example.org',
    theirId: 'alice@example.org',
  });
  return { party: old.party, conv, events: [], inbox: [] };
}

describe('a DAKE with a contact whose messenger restarted', () => {
  it('completes when our newer Identity is answered while an older DAKE of theirs waits for its Auth-I', () => {
    let now = T0;
    const clock = () => now;
    const a = makeSide('alice@example.org', 'bob@example.org', 'restart-a', dh, {}, clock);
    const oldBob = makeSide('bob@example.org', 'alice@example.org', 'restart-b', dh, {}, clock);
    // Bob's old messenger starts a DAKE; Alice answers it and waits for its Auth-I
    const authR = a.conv.receive(oldBob.conv.startInteractive().toSend[0]!);
    expect(types(authR.toSend)).toEqual([MessageType.authR]);
    // ... which never comes: Bob's messenger restarts and its new core asks for a conversation
    now += 2_000;
    const bob = restarted(oldBob, 'restart-b-new', clock);
    const identity = a.conv.receive(QUERY);
    expect(types(identity.toSend)).toEqual([MessageType.identity]);
    post(a, bob, identity);
    pump(a, bob);
    expect(encrypted(a) && encrypted(bob)).toBe(true);
    expect(a.conv.ssid()).toEqual(bob.conv.ssid());
    post(a, bob, a.conv.send('after the restart'));
    pump(a, bob);
    expect(messages(bob)).toEqual(['after the restart']);
  });

  it('answers repeated queries with the same Identity message while it is outstanding', () => {
    const a = makeSide('alice@example.org', 'bob@example.org', 'repeat-a', dh);
    const first = a.conv.receive(QUERY).toSend;
    const second = a.conv.receive(QUERY).toSend;
    expect(types(first)).toEqual([MessageType.identity]);
    expect(second).toEqual(first);
  });

  it('ends in one shared session when both sides receive several queries at once', () => {
    let now = T0;
    const clock = () => now;
    for (const seed of ['storm-1', 'storm-2', 'storm-3', 'storm-4', 'storm-5', 'storm-6']) {
      const a = makeSide('alice@example.org', 'bob@example.org', `${seed}-a`, dh, {}, clock);
      const b = makeSide('bob@example.org', 'alice@example.org', `${seed}-b`, dh, {}, clock);
      // each OTR error message made the other side send a query: three each, interleaved
      a.inbox.push(QUERY, QUERY);
      b.inbox.push(QUERY, QUERY, QUERY);
      pump(a, b);
      now += 1_000;
      a.inbox.push(QUERY);
      pump(a, b);
      expect(encrypted(a) && encrypted(b), seed).toBe(true);
      expect(a.conv.ssid(), seed).toEqual(b.conv.ssid());
      post(b, a, b.conv.send(`hello ${seed}`));
      pump(a, b);
      expect(messages(a)).toEqual([`hello ${seed}`]);
    }
  });
});
