// The notes' `encrypted(pub, …)`: a message authenticated by the sender's identity and readable
// only by the holder of the recipient's identity (docs/groups.md §"Pairwise construction").
//
//   E = X448(e), e fresh (RFC 7748 §6.2); ss = X448(e, X_to), refused if all-zero (§6.2 check)
//   k = SHAKE-256(label ‖ header ‖ ss, 32)    header = framed(group, from, to, E, X_to)
//   ct = XChaCha20-Poly1305(k, n, AD = header)(payload)        (draft-irtf-cfrg-xchacha-03 §2)
//   sig = Ed448(sym_h_from, label ‖ header ‖ n ‖ ct)           (RFC 8032 §5.2)
//
// The ephemeral-static ECDH gives confidentiality to the recipient's identity alone; the
// signature by the sender's long-term key authenticates the sender and binds the addressing,
// so the service (the relay) can neither read, alter, nor redirect a message to someone else.
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x448 } from '@noble/curves/ed448.js';
import { shake256 } from '@noble/hashes/sha3.js';
import type { RandomSource } from '../otr/common/random';
import { concat, framed, utf8 } from './bytes';
import { groupError } from './errors';
import { encodePairwise, parsePairwise, type PairwisePayload } from './inner';
import { type KeyBundle, type LocalGroupIdentity, signWith, verifyBundle, verifyWith, X448_BYTES } from './keys';
import { type MessageOf, NONCE_BYTES } from './wire';

const KDF_LABEL = utf8('messenger-groups/v1/pairwise-key');
const SIG_LABEL = utf8('messenger-groups/v1/pairwise-sig');

function header(group: string, from: string, to: string, e: Uint8Array, xTo: Uint8Array): Uint8Array {
  return framed(['encrypted', group, from, to, e, xTo]);
}

function ecdh(secret: Uint8Array, pub: Uint8Array): Uint8Array {
  let ss: Uint8Array;
  try {
    ss = x448.getSharedSecret(secret, pub);
  } catch {
    throw groupError('undecryptable', 'the X448 key is invalid');
  }
  // RFC 7748 §6.2: an all-zero output means a small-order point
  if (ss.every((b) => b === 0)) throw groupError('undecryptable', 'the X448 key is of small order');
  return ss;
}

export function sealPairwise(
  me: LocalGroupIdentity,
  group: string,
  to: { fp: string; key: KeyBundle },
  payload: PairwisePayload,
  random: RandomSource,
): MessageOf<'encrypted'> {
  const eSecret = random(X448_BYTES);
  const e = x448.getPublicKey(eSecret);
  const h = header(group, me.fingerprint, to.fp, e, to.key.x);
  const k = shake256(concat(KDF_LABEL, h, ecdh(eSecret, to.key.x)), { dkLen: 32 });
  eSecret.fill(0);
  const n = random(NONCE_BYTES);
  const ct = xchacha20poly1305(k, n, h).encrypt(encodePairwise(payload));
  const sig = signWith(me.signingSecret, concat(SIG_LABEL, h, n, ct));
  return { t: 'encrypted', group, from: me.fingerprint, to: to.fp, key: me.bundle, e, n, ct, sig };
}

/**
 * Opens a pairwise message addressed to us. `expectedSender` is the bundle we already hold for
 * `m.from` when we have one (a member): the message's own bundle must then be that one.
 */
export function openPairwise(me: LocalGroupIdentity, m: MessageOf<'encrypted'>, expectedSender?: KeyBundle): PairwisePayload {
  if (m.to !== me.fingerprint) throw groupError('out-of-order', 'this message is addressed to someone else');
  verifyBundle(m.key, m.from);
  if (expectedSender && !concat(expectedSender.h, expectedSender.x).every((v, i) => v === concat(m.key.h, m.key.x)[i])) {
    throw groupError('bad-identity', 'the sender used other keys than the ones we know');
  }
  const h = header(m.group, m.from, m.to, m.e, me.bundle.x);
  if (!verifyWith(m.key.h, concat(SIG_LABEL, h, m.n, m.ct), m.sig)) throw groupError('bad-signature', 'the sender signature does not verify');
  const k = shake256(concat(KDF_LABEL, h, ecdh(me.xSecret, m.e)), { dkLen: 32 });
  let pt: Uint8Array;
  try {
    pt = xchacha20poly1305(k, m.n, h).decrypt(m.ct);
  } catch {
    throw groupError('undecryptable', 'the message does not decrypt with our key');
  }
  return parsePairwise(pt);
}
