// An Identity message of ours that never arrived (the contact's messenger restarted, or the
// copy went to a session that was gone), then the contact starts a DAKE of their own. The spec
// (§"Receiving an Identity Message", WAITING_AUTH_R) has the side with the higher hashed B
// ignore the contact's Identity "but resend your Identity message"; without the resend both
// sides wait for an Auth-R that never comes until both give up (bench/soak.ts saw this).
// docs/otrv4-decisions.md D18: ours is resent only when it has been outstanding longer than a
// crossing takes, so that two Identity messages that merely crossed still start one DAKE.
import { describe, expect, it } from 'vitest';
import { decodeOtrMessage } from '../common/envelope';
import { MessageType, peekV4Header } from './dake-messages';
import { nativeDh3072Engine } from './test-support/engines';
import { makeSide, messages, post, pump, type Side } from './test-support/pair';
import { T0 } from './test-support/parties';

const dh = nativeDh3072Engine();
const encrypted = (s: Side) => s.conv.sessions().some((x) => x.state === 'encrypted');

function sides(seed: string, clock: () => number) {
  const a = makeSide('alice@example.org', 'bob@example.org', `${seed}-a`, dh, {}, clock);
  const b = makeSide('bob@example.org', 'alice@example.org', `${seed}-b`, dh, {}, clock);
  return { a, b };
}

/** the OTRv4 message types in what a side sent (fragments are not expected here) */
const types = (toSend: string[]) => toSend.map((t) => peekV4Header(decodeOtrMessage(t)).type);

/**
 * Sides where Alice's hashed B is the higher one (she keeps her Identity): which side wins
 * depends on the ephemeral keys, so the seed is searched, deterministically.
 */
function aliceWins(clock: () => number): { a: Side; b: Side; lostIdentity: string[] } {
  for (let n = 0; n < 16; n++) {
    const probe = sides(`lost-${n}`, () => T0);
    const x = probe.a.conv.startInteractive().toSend;
    const y = probe.b.conv.startInteractive().toSend;
    // the lower side answers the higher one's Identity with an Auth-R
    if (types(probe.b.conv.receive(x[0]!).toSend)[0] === MessageType.authR) {
      void y;
      const { a, b } = sides(`lost-${n}`, clock);
      return { a, b, lostIdentity: a.conv.startInteractive().toSend };
    }
  }
  throw new Error('no seed where Alice wins');
}

describe('an Identity message of ours that was lost', () => {
  it('is resent when the contact starts a DAKE of their own, and one DAKE completes', () => {
    let now = T0;
    const { a, b } = aliceWins(() => now);
    // Alice's Identity is lost; 15 s later Bob (whose hash is lower) starts one of his own
    now += 15_000;
    const bobsIdentity = b.conv.startInteractive();
    const reply = a.conv.receive(bobsIdentity.toSend[0]!);
    // Alice keeps hers (higher hash) and resends it, byte for byte, instead of waiting
    expect(types(reply.toSend)).toEqual([MessageType.identity]);
    post(a, b, reply);
    pump(a, b);
    expect(encrypted(a) && encrypted(b)).toBe(true);
    expect(a.conv.ssid()).toEqual(b.conv.ssid());
    post(a, b, a.conv.send('still here'));
    pump(a, b);
    expect(messages(b)).toEqual(['still here']);
  });

  it('two Identity messages that merely crossed: the higher side does not resend, one DAKE completes', () => {
    let now = T0;
    const { a, b, lostIdentity } = aliceWins(() => now);
    now += 500;
    const bobsIdentity = b.conv.startInteractive();
    expect(a.conv.receive(bobsIdentity.toSend[0]!).toSend).toEqual([]);
    b.inbox.push(...lostIdentity); // Alice's Identity was only slow, not lost
    pump(a, b);
    expect(encrypted(a) && encrypted(b)).toBe(true);
    expect(a.conv.ssid()).toEqual(b.conv.ssid());
  });
});
