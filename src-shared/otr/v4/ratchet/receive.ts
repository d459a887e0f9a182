// The receive path of the double ratchet (otrv4.md §"When you receive a Data Message"): a stored
// skipped key, the current receiving chain, or a new ratchet of theirs. It works on a copy of the
// state (DoubleRatchet.decrypt commits only on success) and throws Unreadable on any failure.
import { equalBytes } from '../../common/bytes';
import { MIN_INSTANCE_TAG, chachaXor, verifyAuthenticator, type DecodedDataMessage } from '../data-message';
import { extraSymmetricKey, macKey, messageKey, nextChainKey } from './keys';
import { expireSkipped, skipTo, skippedId } from './skipped';
import { rotateAsReceiver } from './step';
import { Unreadable, type DecryptResult, type RatchetContext, type RatchetState } from './state';

export function receiveInto(ctx: RatchetContext, s: RatchetState, m: DecodedDataMessage): DecryptResult {
  // §"When you receive": the receiver tag must be ours (and the sender the one we talk to).
  if (m.receiverTag !== ctx.ourTag || m.senderTag !== ctx.theirTag || m.senderTag < MIN_INSTANCE_TAG) throw new Unreadable();
  expireSkipped(ctx, s);

  // 1. a stored skipped key
  const id = skippedId(m.ecdh, m.messageId);
  const stored = s.skipped.get(id);
  if (stored) {
    if (stored.ratchetId !== m.ratchetId) throw new Unreadable();
    const mkMac = macKey(stored.mkEnc);
    if (!verifyAuthenticator(mkMac, m)) throw new Unreadable();
    const payload = chachaXor(stored.mkEnc, m.ciphertext);
    s.skipped.delete(id);
    s.macKeysToReveal.push(mkMac);
    return { payload, extraSymmetricKey: stored.extraKey.slice(), flags: m.flags, revealedMacKeys: m.revealedMacKeys };
  }

  // 2. the current receiving chain
  if (s.theirEcdhBytes && s.chainR && equalBytes(m.ecdh, s.theirEcdhBytes)) {
    if (m.ratchetId !== s.receivingChainId || m.dh !== s.receivingDh) throw new Unreadable();
    // duplicates / replays: an id below k whose key is not stored is gone for good
    if (m.messageId < s.k) throw new Unreadable();
    return receiveInChain(ctx, s, m);
  }

  // 3. a new ratchet of theirs
  rotateAsReceiver(ctx, s, m);
  return receiveInChain(ctx, s, m);
}

function receiveInChain(ctx: RatchetContext, s: RatchetState, m: DecodedDataMessage): DecryptResult {
  if (m.messageId - s.k > ctx.maxSkip) throw new Unreadable();
  skipTo(ctx, s, s.theirEcdhBytes!, m.messageId);
  const chain = s.chainR!;
  const mkEnc = messageKey(chain);
  const mkMac = macKey(mkEnc);
  if (!verifyAuthenticator(mkMac, m)) throw new Unreadable();
  const extra = extraSymmetricKey(chain);
  const payload = chachaXor(mkEnc, m.ciphertext);
  s.chainR = nextChainKey(chain);
  s.k += 1;
  s.macKeysToReveal.push(mkMac);
  return { payload, extraSymmetricKey: extra, flags: m.flags, revealedMacKeys: m.revealedMacKeys };
}
