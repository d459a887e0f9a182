// Knocks as the app seals and opens them (docs/architecture.md §7; ChatSecure Push Protocol v3 draft,
// "Sending Knock to Offline Contact" and "Receiving Knock"). The envelope format and the
// XChaCha20-Poly1305 sealing with To/From as associated data are src-shared/push (wire.ts,
// seal.ts); this file adds what only a client knows: which record a knock belongs to, that the
// sealed names are that record's, that the time is fresh and the id new.
import { b64urlEncode } from '../../../src-shared/push/b64url';
import { KnockSealError, openKnock, sealKnock } from '../../../src-shared/push/seal';
import type { KnockEnvelope, KnockSecret } from '../../../src-shared/push/wire';
import { KnockRejectedError } from './errors';
import type { PushRecord, PushStore } from './push-store';
import { knockKeyOf } from './shared-key';

/** A knock older (or further in the future) than this is stale: the contact gave up long ago. */
export const KNOCK_FRESHNESS_MS = 10 * 60_000;

export function sealKnockFor(record: PushRecord, now: number, random: (n: number) => Uint8Array): KnockEnvelope {
  const secret: KnockSecret = {
    protocol: record.protocol,
    // v3 draft: "Alice's account_name, Bob's buddy_name" (the sender's and the recipient's)
    account_name: record.accountName,
    buddy_name: record.buddyName,
    time: now,
    id: b64urlEncode(random(16)),
  };
  return sealKnock({
    sharedKey: knockKeyOf(record.sharedKey),
    to: { endpoint: record.buddyApiEndpoint, push_name: record.buddyPushName },
    from: { endpoint: record.apiEndpoint, push_name: record.pushName },
    secret,
    random,
  });
}

export interface OpenedKnock {
  record: PushRecord;
  secret: KnockSecret;
}

/**
 * Looks the knock up by its public To/From, opens it and checks it. Throws KnockRejectedError
 * (unknown-sender, wrong-key, mismatched-names, stale, replayed); a rejected knock changes
 * nothing but the seen-id table (only for a knock that opened: nobody else can fill it).
 */
export function openKnockFor(store: PushStore, envelope: KnockEnvelope, now: number): OpenedKnock {
  const candidates = store.recordsByRoute(envelope.to, envelope.from);
  if (candidates.length === 0) throw new KnockRejectedError('unknown-sender', 'no wake-up record matches this knock');
  for (const record of candidates) {
    let secret: KnockSecret;
    try {
      secret = openKnock(knockKeyOf(record.sharedKey), envelope);
    } catch (e) {
      if (e instanceof KnockSealError) continue;
      throw e;
    }
    // The sender's account_name is our buddy, the recipient's buddy_name is us.
    if (secret.protocol !== record.protocol || secret.account_name !== record.buddyName || secret.buddy_name !== record.accountName) {
      throw new KnockRejectedError('mismatched-names', 'the knock names other accounts than its record');
    }
    if (Math.abs(now - secret.time) > KNOCK_FRESHNESS_MS) throw new KnockRejectedError('stale', 'the knock is too old (or from the future)');
    store.pruneSeen(now - 2 * KNOCK_FRESHNESS_MS);
    if (!store.markSeen(record.accountId, secret.id, now)) throw new KnockRejectedError('replayed', 'this knock was seen before');
    return { record, secret };
  }
  throw new KnockRejectedError('wrong-key', 'the knock does not open with the shared key of its record');
}

/**
 * At most one knock per contact per interval while the contact has not answered (issue 14): a
 * knock is a tap on the shoulder, and a second one within the minute wakes nobody more.
 */
export class KnockLimiter {
  readonly #last = new Map<string, number>();
  constructor(readonly intervalMs = 60_000) {}

  /** true (and records the knock) if a knock may go now */
  take(key: string, now: number): boolean {
    const last = this.#last.get(key);
    if (last !== undefined && now - last < this.intervalMs) return false;
    this.#last.set(key, now);
    return true;
  }

  /** the contact answered (came online, wrote): the next knock may go at once */
  answered(key: string): void {
    this.#last.delete(key);
  }
}
