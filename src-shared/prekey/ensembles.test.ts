// The retriever must not trust the server (§"Receiving Prekey Ensembles"): an answer mixing
// valid, expired, badly signed, mismatched and duplicate ensembles yields one valid ensemble per
// instance tag, the latest-expiring one where a tag has several.
import { describe, expect, it } from 'vitest';
import { createClientProfile } from '../otr/v4/client-profile';
import { generateForgingKey } from '../otr/v4/keys';
import { createPrekeyMessage, encodePrekeyMessage } from '../otr/v4/prekey-message';
import { createPrekeyProfile } from '../otr/v4/prekey-profile';
import { selectRetrievedEnsembles } from './ensembles';
import type { EnsembleRetrievalMessage, PrekeyEnsemble } from './messages';
import { nativeDh3072Engine } from '../node-crypto/dh-engines';
import { type TestDevice, makeDevice, random } from './test-support/device';

const engine = nativeDh3072Engine();
const now = Date.now();

function ensemble(d: TestDevice, overrides: Partial<PrekeyEnsemble> = {}): PrekeyEnsemble {
  return {
    clientProfile: d.clientProfile.encoded,
    prekeyProfile: d.prekeyProfile.encoded,
    prekeyMessage: encodePrekeyMessage(createPrekeyMessage(random, engine, d.instanceTag).message),
    ...overrides,
  };
}

function reply(ensembles: PrekeyEnsemble[]): EnsembleRetrievalMessage {
  return { type: 'ensemble-retrieval', version: 4, receiverInstanceTag: 0x1234, identity: 'alice@example.org', ensembles };
}

describe('client-side selection of retrieved ensembles', () => {
  it('keeps one valid ensemble per instance tag and drops the rest', () => {
    const laptop = makeDevice({ nowMs: now });
    const phone = makeDevice({ nowMs: now });
    // the same phone with a newer client profile (later expiry)
    const later = BigInt(Math.floor(now / 1000) + 14 * 86400);
    const phoneNewer = {
      ...phone,
      clientProfile: createClientProfile({
        ownerTag: phone.instanceTag,
        keyPair: phone.longTerm,
        forgingKey: generateForgingKey(random, { keepSecret: false }),
        versions: '4',
        expires: later,
      }),
    };
    const expired = makeDevice({ nowMs: now - 10 * 86400 * 1000, lifetimeSec: 86400 });
    const stranger = makeDevice({ nowMs: now, instanceTag: laptop.instanceTag });
    const badSig = Uint8Array.from(laptop.prekeyProfile.encoded);
    badSig[badSig.length - 1]! ^= 1;
    const otherTagPp = createPrekeyProfile({
      ownerTag: phone.instanceTag,
      expires: later,
      keyPair: laptop.longTerm,
      sharedPrekey: laptop.sharedPrekey,
    }).encoded;
    const good = ensemble(laptop);
    const got = selectRetrievedEnsembles(
      reply([
        good,
        good, // duplicate
        ensemble(phone),
        ensemble(phoneNewer),
        ensemble(expired), // expired profiles
        ensemble(laptop, { prekeyProfile: badSig }), // prekey profile signature broken
        ensemble(laptop, { prekeyProfile: stranger.prekeyProfile.encoded }), // prekey profile by another key
        ensemble(laptop, { prekeyProfile: otherTagPp }), // instance tags differ
        ensemble(laptop, { clientProfile: Uint8Array.of(0, 0, 0, 9) }), // not a profile at all
      ]),
      { nowMs: now, engine },
    );
    expect([...got.byInstanceTag.keys()].sort()).toEqual([laptop.instanceTag, phone.instanceTag].sort());
    expect(got.byInstanceTag.get(phone.instanceTag)!.clientProfile.expires).toBe(later);
    expect(got.byInstanceTag.get(laptop.instanceTag)!.clientProfile.publicKey.equals(laptop.longTerm.public)).toBe(true);
    expect(got.dropped).toBe(7);
  });

  it('an answer with only invalid ensembles gives nothing', () => {
    const expired = makeDevice({ nowMs: now - 10 * 86400 * 1000, lifetimeSec: 86400 });
    expect(selectRetrievedEnsembles(reply([ensemble(expired)]), { nowMs: now, engine }).byInstanceTag.size).toBe(0);
  });
});
