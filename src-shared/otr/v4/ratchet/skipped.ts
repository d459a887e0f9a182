// The store of skipped message keys (otrv4.md §"When you receive a Data Message": "store
// skipped_MKenc", §"Deletion of Stored Message Keys", §"Revealing MAC Keys"). Keys are stored by
// the sender's ECDH public key and message id, in eviction order (a Map keeps insertion order).
import { macKey, messageKey, extraSymmetricKey, nextChainKey } from './keys';
import { Unreadable, type RatchetContext, type RatchetState, type SkippedKey } from './state';

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export const skippedId = (ecdhBytes: Uint8Array, messageId: number): string => `${hex(ecdhBytes)}:${messageId}`;

/** stores skipped message keys of the current receiving chain from k up to (excluding) `until` */
export function skipTo(ctx: RatchetContext, s: RatchetState, ecdhBytes: Uint8Array, until: number): void {
  if (until - s.k > ctx.maxSkip) throw new Unreadable();
  if (!s.chainR) return;
  const now = ctx.clock();
  let chain = s.chainR;
  while (s.k < until) {
    s.skipped.set(skippedId(ecdhBytes, s.k), {
      mkEnc: messageKey(chain),
      extraKey: extraSymmetricKey(chain),
      ratchetId: s.receivingChainId,
      storedAt: now,
      storedAtI: s.i,
    });
    chain = nextChainKey(chain);
    s.k += 1;
  }
  s.chainR = chain;
  // bound the store: evict the oldest, revealing their MAC keys (§"Revealing MAC Keys")
  while (s.skipped.size > ctx.maxStoredKeys) {
    const [oldest, key] = s.skipped.entries().next().value as [string, SkippedKey];
    s.skipped.delete(oldest);
    s.macKeysToReveal.push(macKey(key.mkEnc));
  }
}

/** §"Deletion of Stored Message Keys": by age and by ratchet steps */
export function expireSkipped(ctx: RatchetContext, s: RatchetState): void {
  if (s.skipped.size === 0) return;
  const now = ctx.clock();
  for (const [id, key] of s.skipped) {
    if (now - key.storedAt >= ctx.skippedMaxAge || s.i - key.storedAtI >= ctx.skippedMaxRatchets) {
      s.skipped.delete(id);
      s.macKeysToReveal.push(macKey(key.mkEnc));
    }
  }
}
