// Initializing the double ratchet from the DAKE result (otrv4.md §"Interactive DAKE Overview"
// steps "Initializes the double-ratchet algorithm", §"Non-Interactive DAKE Overview" likewise).
// See README.md for the roles and which keys each side passes.
import { wipe } from '../../common/bytes';
import { OtrError } from '../../common/errors';
import { MIN_INSTANCE_TAG } from '../data-message';
import { isValidDhPublic } from '../dh3072';
import { decodePoint, ecdh, encodePoint } from '../ed448';
import { Usage, kdf } from '../kdf';
import { dhSharedSecret } from '../keys';
import { deriveRatchetKeys, mixedSharedSecret, thirdBraceKey } from './keys';
import { DoubleRatchet } from './ratchet';
import type { InitRatchetParams, RatchetState } from './state';

export function initRatchet(p: InitRatchetParams): DoubleRatchet {
  if (p.sharedSecret.length !== 64) throw new RangeError('the DAKE shared secret K must be 64 bytes');
  for (const [tag, what] of [
    [p.ourInstanceTag, 'our'],
    [p.theirInstanceTag, 'their'],
  ] as const) {
    if (!Number.isInteger(tag) || tag < MIN_INSTANCE_TAG || tag > 0xffffffff) throw new RangeError(`${what} instance tag is invalid`);
  }
  const now = p.clock();
  const base: RatchetState = {
    i: 0,
    j: 0,
    k: 0,
    pn: 0,
    root: new Uint8Array(0),
    brace: null,
    chainS: null,
    chainR: null,
    // copies: destroy() erases the secrets of the ratchet's own objects, never the caller's
    ourEcdh: p.ourEcdh ? { ...p.ourEcdh } : null,
    ourDh: p.ourDh ? { ...p.ourDh } : null,
    theirEcdh: p.theirEcdh ?? null,
    theirEcdhBytes: p.theirEcdh ? encodePoint(p.theirEcdh) : null,
    theirDh: p.theirDh ?? null,
    sendingChainId: 0,
    sendingEcdh: null,
    sendingDh: null,
    receivingChainId: 0,
    receivingDh: null,
    needSenderRotation: false,
    acceptTheirRotation: false,
    macKeysToReveal: [],
    revealNow: [],
    skipped: new Map(),
    lastNewEcdhAt: now,
  };
  if (p.theirDh !== undefined && !isValidDhPublic(p.theirDh)) throw new OtrError('invalid-value', 'their first DH key is not in the group');
  if (p.theirEcdh) decodePoint(encodePoint(p.theirEcdh)); // validates (identity, subgroup)

  let firstChain: Uint8Array;
  if (p.mode === 'interactive') {
    if (!p.ourEcdh || !p.ourDh || !p.theirEcdh || p.theirDh === undefined) {
      throw new RangeError('the interactive ratchet needs both first ECDH and DH keys of both sides');
    }
    // prev_root_key = KDF(usage_first_root_key ‖ K, 64); the first chain from the first keys
    const prevRoot = kdf(Usage.firstRootKey, p.sharedSecret, 64);
    const kEcdh = ecdh(p.ourEcdh.secret, p.theirEcdh);
    const kDh = dhSharedSecret(p.dh, p.ourDh.secret, p.theirDh);
    const brace = thirdBraceKey(kDh);
    const k = mixedSharedSecret(kEcdh, brace);
    const { root, chain } = deriveRatchetKeys(prevRoot, k);
    wipe(prevRoot, kEcdh, kDh, k);
    base.root = root;
    base.brace = brace;
    firstChain = chain;
  } else {
    // root = KDF(usage_root_key ‖ K, 64), chain = KDF(usage_chain_key ‖ K, 64)
    base.root = kdf(Usage.rootKey, p.sharedSecret, 64);
    firstChain = kdf(Usage.chainKey, p.sharedSecret, 64);
    if (p.role === 'alice' && (!p.ourEcdh || !p.ourDh)) throw new RangeError('the non-interactive sender passes her first ECDH and DH key pairs');
    if (p.role === 'bob' && (!p.theirEcdh || p.theirDh === undefined))
      throw new RangeError('the non-interactive receiver passes the sender’s first ECDH and DH keys');
  }

  if (p.role === 'alice') {
    // Alice sends on the first chain with her first keys; Bob's first ratchet (id 0) is expected.
    base.chainS = firstChain;
    base.sendingEcdh = encodePoint(p.ourEcdh!.public);
    base.sendingDh = p.ourDh!.public;
    base.sendingChainId = 0;
    base.acceptTheirRotation = true;
    if (p.mode === 'non-interactive') {
      base.theirEcdh = null;
      base.theirEcdhBytes = null;
      base.theirDh = null;
    }
  } else {
    // Bob receives the first chain; his first send performs the ratchet numbered 0 (ECDH + DH),
    // i.e. the "Calculates the sending keys" step of the spec, done lazily.
    base.chainR = firstChain;
    base.receivingChainId = 0;
    base.receivingDh = p.theirDh!;
    base.needSenderRotation = true;
    if (p.mode === 'non-interactive') {
      base.ourEcdh = null;
      base.ourDh = null;
    }
  }
  return new DoubleRatchet(base, p);
}
