// Group messages under the session key with per-sender authentication (docs/groups.md §"Group
// messages"): every member shares the session key, so the AEAD alone would let any member post
// as another. Each message is therefore also signed by its sender's long-term Ed448 key, and
// carries (epoch, per-sender counter) so that receivers refuse replays.
//
//   k_epoch = SHAKE-256(label ‖ framed(group, epoch) ‖ session_key, 32)
//   AD = framed('group', group, from, epoch, ctr)
//   ct = XChaCha20-Poly1305(k_epoch, n, AD)(payload); sig = Ed448(sym_h, label ‖ AD ‖ n ‖ ct)
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { shake256 } from '@noble/hashes/sha3.js';
import type { RandomSource } from '../otr/common/random';
import { concat, framed, utf8 } from './bytes';
import { groupError } from './errors';
import { encodeGroupPayload, type GroupPayload, parseGroupPayload, SESSION_KEY_BYTES } from './inner';
import { type LocalGroupIdentity, signWith, verifyWith } from './keys';
import { type MessageOf, NONCE_BYTES } from './wire';

const KEY_LABEL = utf8('messenger-groups/v1/epoch-key');
const SIG_LABEL = utf8('messenger-groups/v1/group-sig');

function epochKey(sessionKey: Uint8Array, group: string, epoch: number): Uint8Array {
  if (sessionKey.length !== SESSION_KEY_BYTES) throw groupError('not-ready', 'no session key');
  return shake256(concat(KEY_LABEL, framed([group, String(epoch)]), sessionKey), { dkLen: 32 });
}

const ad = (group: string, from: string, epoch: number, ctr: number): Uint8Array => framed(['group', group, from, String(epoch), String(ctr)]);

export function sealGroup(
  me: LocalGroupIdentity,
  group: string,
  sessionKey: Uint8Array,
  epoch: number,
  ctr: number,
  payload: GroupPayload,
  random: RandomSource,
): MessageOf<'group'> {
  const a = ad(group, me.fingerprint, epoch, ctr);
  const n = random(NONCE_BYTES);
  const ct = xchacha20poly1305(epochKey(sessionKey, group, epoch), n, a).encrypt(encodeGroupPayload(payload));
  const sig = signWith(me.signingSecret, concat(SIG_LABEL, a, n, ct));
  return { t: 'group', group, from: me.fingerprint, epoch, ctr, n, ct, sig };
}

/** Verifies the sender's signature with `senderH`, then decrypts. Replay checks are the caller's. */
export function openGroup(m: MessageOf<'group'>, sessionKey: Uint8Array, senderH: Uint8Array): GroupPayload {
  const a = ad(m.group, m.from, m.epoch, m.ctr);
  if (!verifyWith(senderH, concat(SIG_LABEL, a, m.n, m.ct), m.sig))
    throw groupError('bad-signature', 'the message is not signed by the member it claims to be from');
  let pt: Uint8Array;
  try {
    pt = xchacha20poly1305(epochKey(sessionKey, m.group, m.epoch), m.n, a).decrypt(m.ct);
  } catch {
    throw groupError('undecryptable', 'the message does not decrypt with the session key');
  }
  return parseGroupPayload(pt);
}
