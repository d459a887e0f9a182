// The push handshake's way through a private OTR conversation (docs/push-in-the-app.md; the
// seed "ChatSecure Push Protocol Version 3", "Initial Exchange over OTR TLV"): TLV 0x01A4 in a
// data message of the session with the contact, and for an offer, in the SAME message, the
// extra-symmetric-key TLV whose key both sides turn into shared_key:
//   - OTRv4 §"Extra Symmetric Key": TLV 7 with the 4-byte context 0x000001A4, at index 0, then
//     TLV 0x01A4 at index 1. The library hands out symkey = KDF(index || context ||
//     extra_sym_key, 64) for the TLV 7 (src-shared/otr/v4/extra-key.ts), sender and receiver alike.
//   - OTRv3 §"Extra symmetric key": TLV 8 with the 4-byte use indicator 0x000001A4, then TLV
//     0x01A4; the key is the message's h2(0xFF) (src-shared/otr/v3/conversation.ts sendWithExtraKey).
// On the receiving side dispatch.ts hands the key of a TLV 7/8 to the TLV right after it
// (wire.ts InboundTlv.extraKey); pushKeyInput turns it into the push module's input.
// An OTR version 2 session has no extra symmetric key (OTRv3 §"Extra symmetric key" is v3 only):
// an offer is refused there, an answer or a revoke (no key) still goes.
import type { EngineOutput } from '../../../src-shared/otr/api';
import type { Tlv } from '../../../src-shared/otr/common/tlv';
import { PUSH_HANDSHAKE_TLV } from '../../../src-shared/otr/common/tlv';
import { encodeExtraKeyTlv } from '../../../src-shared/otr/v3/extra-key';
import { extraKeyTlv } from '../../../src-shared/otr/v4/extra-key';
import { PushHandshakeError } from '../push/errors';
import type { OtrPushLink } from '../push/handshake';
import type { ExtraSymmetricKeyInput } from '../push/shared-key';
import type { OtrAccount } from './account';
import type { Dispatch } from './dispatch';
import type { Peers } from './peers';
import type { InboundTlv } from './wire';

/** 0x000001A4 as the number the libraries take for a TLV 7/8's use */
export const PUSH_KEY_USE_NUMBER = 0x000001a4;

export type TlvSent = { sent: true; version: 2 | 3 | 4; key?: Uint8Array } | { sent: false; reason: 'no-private-session' | 'no-extra-key' };

/**
 * Sends `tlv` in a data message of the private session with `peer` (the session the header
 * shows), with a TLV 7/8 for `extraKeyUse` before it when given. Nothing is sent without an
 * encrypted session; nothing is ever sent in clear.
 */
export function sendTlvPrivately(d: { peers: Peers; dispatch: Dispatch }, peer: string, tlv: Tlv, extraKeyUse?: number): TlvSent {
  const ps = d.peers.known(peer);
  const s = ps ? d.peers.encryptedSession(ps) : undefined;
  if (!ps || !s) return { sent: false, reason: 'no-private-session' };
  const version = s.version === 4 ? 4 : s.version === 2 ? 2 : 3;
  let out: EngineOutput;
  let key: Uint8Array | undefined;
  if (extraKeyUse === undefined) {
    out = ps.conv.send('', { tlvs: [tlv], instanceTag: s.instanceTag });
  } else if (version === 2) {
    return { sent: false, reason: 'no-extra-key' };
  } else if (version === 4 && ps.conv.v4) {
    const r = ps.conv.v4.sendWithExtraKeys('', [extraKeyTlv(extraKeyUse), tlv], s.instanceTag);
    key = r.extraKeys[0]?.key;
    out = r;
  } else if (version === 3 && ps.conv.v3) {
    const r = ps.conv.v3.sendWithExtraKey('', [encodeExtraKeyTlv(extraKeyUse, new Uint8Array(0)), tlv], s.instanceTag);
    key = r.key;
    out = r;
  } else {
    return { sent: false, reason: 'no-private-session' };
  }
  // the library refused (an error event, nothing to send): the session is gone
  if (out.toSend.length === 0 || (extraKeyUse !== undefined && !(key && key.length > 0))) return { sent: false, reason: 'no-private-session' };
  d.dispatch.handle(ps, out, d.peers.addressOf(ps, s.instanceTag));
  return { sent: true, version, ...(key ? { key } : {}) };
}

/** what the push module derives shared_key from, for a key the library handed out */
function keyInput(version: 3 | 4, key: Uint8Array, use: number): ExtraSymmetricKeyInput {
  const context = new Uint8Array(4);
  new DataView(context.buffer).setUint32(0, use >>> 0);
  // v4: index 0 is where the sender puts the TLV 7; the library derived symkey already (derived)
  return version === 4 ? { version, extraSymKey: key, tlvIndex: 0, context, derived: true } : { version, extraSymKey: key, tlvIndex: 0, context };
}

/** the key input of an inbound TLV 0x01A4, when its message announced one (wire.ts) */
export function pushKeyInput(tlv: InboundTlv): ExtraSymmetricKeyInput | undefined {
  return tlv.extraKey ? keyInput(tlv.extraKey.version, tlv.extraKey.key, tlv.extraKey.use) : undefined;
}

/** whether an inbound TLV is the push handshake's */
export const isPushTlv = (tlv: InboundTlv): boolean => tlv.tlv.type === PUSH_HANDSHAKE_TLV;

/**
 * The OtrPushLink of src-main/core/push/handshake.ts over the accounts' OTR services: the send
 * runs in the account's OTR order (OtrAccount.run), so it sees the session as the messages do.
 */
export function createOtrPushLink(accountOf: (accountId: string) => OtrAccount | undefined): OtrPushLink {
  return {
    async sendPushTlv(accountId, peer, value, { withKey }) {
      const otr = accountOf(accountId);
      if (!otr) throw new PushHandshakeError('no-private-session', 'the account is not open');
      const tlv: Tlv = { type: PUSH_HANDSHAKE_TLV, value };
      const r = await otr.run((svc) => svc.sendTlv(peer, tlv, withKey ? PUSH_KEY_USE_NUMBER : undefined));
      if (!r.sent) {
        throw new PushHandshakeError(
          'no-private-session',
          r.reason === 'no-extra-key'
            ? 'OTR version 2 has no extra symmetric key: wake-ups need OTR version 3 or 4'
            : 'no private conversation with this contact',
        );
      }
      if (!withKey) return {};
      const key = r.key;
      if (!key || r.version === 2) throw new PushHandshakeError('invalid-extra-symmetric-key', 'the private session gave no extra symmetric key');
      return { key: keyInput(r.version, key, PUSH_KEY_USE_NUMBER) };
    },
  };
}
