// The DH ratchet step, both ways (otrv4.md §"Rotating ECDH Keys and Brace Key as sender",
// §"Rotating ECDH Keys and Brace Key as receiver", the ratchets of §"When you send a Data
// Message" and §"When you receive a Data Message"). The rotation numbered i is a DH (third brace
// key) ratchet iff i % 3 == 0 (DECISIONS.md "Ratchet id i").
import { wipe } from '../../common/bytes';
import { OtrError } from '../../common/errors';
import type { DecodedDataMessage } from '../data-message';
import { isValidDhPublic } from '../dh3072';
import { decodePoint, ecdh, encodePoint } from '../ed448';
import { dhSharedSecret } from '../keys';
import { deriveRatchetKeys, generateDhKeyPair, generateEcdhKeyPair, mixedSharedSecret, nextBraceKey, thirdBraceKey } from './keys';
import { skipTo } from './skipped';
import { Unreadable, type RatchetContext, type RatchetState } from './state';

/** §"Rotating ECDH Keys and Brace Key as sender" + the DH ratchet of "When you send" */
export function rotateAsSender(ctx: RatchetContext, s: RatchetState): void {
  if (!s.theirEcdh) throw new OtrError('not-allowed', 'no ECDH key of the other side');
  const dhRatchet = s.i % 3 === 0;
  const ourEcdh = generateEcdhKeyPair(ctx.random);
  const kEcdh = ecdh(ourEcdh.secret, s.theirEcdh);
  let brace: Uint8Array;
  let ourDhPublic: bigint | null = null;
  if (dhRatchet) {
    if (s.theirDh === null) throw new OtrError('not-allowed', 'no DH key of the other side');
    const ourDh = generateDhKeyPair(ctx.random, ctx.dh);
    const kDh = dhSharedSecret(ctx.dh, ourDh.secret, s.theirDh);
    brace = thirdBraceKey(kDh);
    wipe(kDh);
    s.ourDh = ourDh;
    ourDhPublic = ourDh.public;
  } else {
    if (!s.brace) throw new OtrError('not-allowed', 'no brace key');
    brace = nextBraceKey(s.brace);
  }
  const k = mixedSharedSecret(kEcdh, brace);
  const { root, chain } = deriveRatchetKeys(s.root, k);
  wipe(kEcdh, k);
  s.root = root;
  s.brace = brace;
  s.chainS = chain;
  s.ourEcdh = ourEcdh;
  s.sendingEcdh = encodePoint(ourEcdh.public);
  s.sendingDh = ourDhPublic;
  s.sendingChainId = s.i;
  s.i += 1;
  s.pn = s.j;
  s.j = 0;
  s.needSenderRotation = false;
  s.acceptTheirRotation = true;
  // §"Revealing MAC Keys": the first data message of every new sending ratchet reveals them.
  s.revealNow.push(...s.macKeysToReveal);
  s.macKeysToReveal = [];
  s.lastNewEcdhAt = ctx.clock();
}

/**
 * A message with an ECDH key we do not know: accepted as their next ratchet only if it is the one
 * expected (DECISIONS.md), after storing the unread keys of their previous chain; then
 * §"Rotating ECDH Keys and Brace Key as receiver". Throws Unreadable otherwise.
 */
export function rotateAsReceiver(ctx: RatchetContext, s: RatchetState, m: DecodedDataMessage): void {
  if (!s.acceptTheirRotation || !s.ourEcdh || m.ratchetId !== s.i) throw new Unreadable();
  const dhRatchet = s.i % 3 === 0;
  if (dhRatchet !== (m.dh !== null)) throw new Unreadable();
  const theirEcdh = decodePoint(m.ecdh);
  if (dhRatchet && !isValidDhPublic(m.dh!)) throw new Unreadable();
  // store the keys of their previous chain that have not arrived (up to pn)
  if (s.chainR && s.theirEcdhBytes) {
    if (m.previousChainLength < s.k) throw new Unreadable();
    skipTo(ctx, s, s.theirEcdhBytes, m.previousChainLength);
  }
  const kEcdh = ecdh(s.ourEcdh.secret, theirEcdh);
  let brace: Uint8Array;
  if (dhRatchet) {
    if (!s.ourDh) throw new Unreadable();
    const kDh = dhSharedSecret(ctx.dh, s.ourDh.secret, m.dh!);
    brace = thirdBraceKey(kDh);
    wipe(kDh);
    s.ourDh = null; // "Securely delete our_dh.secret"; our next DH ratchet makes a new pair
    s.theirDh = m.dh;
  } else {
    if (!s.brace) throw new Unreadable();
    brace = nextBraceKey(s.brace);
  }
  const k = mixedSharedSecret(kEcdh, brace);
  const { root, chain } = deriveRatchetKeys(s.root, k);
  s.root = root;
  s.brace = brace;
  s.chainR = chain;
  s.k = 0;
  s.theirEcdh = theirEcdh;
  s.theirEcdhBytes = m.ecdh;
  s.receivingChainId = s.i;
  s.receivingDh = m.dh;
  s.i += 1;
  s.ourEcdh = null; // "Securely delete our_ecdh.secret"
  s.needSenderRotation = true;
  s.acceptTheirRotation = false;
}
