// A data message that decrypted in an OTRv3 session (OTRv3 §"Receiving a Data Message", §"Tagged-
// Length-Value (TLV) records", §"Extra symmetric key"): its text, its TLVs (disconnect, SMP, extra
// key, others passed on), and the heartbeat. Errors returned as events never say whether a MAC,
// a counter or a keyid was wrong.
import { OtrError } from '../common/errors';
import { splitMessagePayload, V3TlvType } from '../common/tlv';
import type { ConversationState } from './conversation-state';
import type { Decrypted } from './data-session';
import { parseExtraKeyTlv } from './extra-key';
import { V2_TAG, type InstanceSession, type Out } from './instance-session';
import { FLAG_IGNORE_UNREADABLE, type DataMessageFields } from './messages';

export function onData(st: ConversationState, s: InstanceSession, m: DataMessageFields, out: Out): void {
  if (s.msgstate !== 'encrypted' || !s.data) {
    st.unreadable(m.flags, out);
    return;
  }
  let dec;
  try {
    dec = s.data.decrypt(m);
  } catch (e) {
    if (e instanceof OtrError) {
      st.unreadable(m.flags, out);
      return;
    }
    throw e;
  }
  s.activity = ++st.activityCounter;
  s.confirmed = true;
  try {
    afterDecrypt(st, s, dec, out);
  } finally {
    // the session's reused buffers (data-session.ts Decrypted): plaintext and extra key, read by now
    dec.payload.fill(0);
    dec.extraKey.fill(0);
  }
}

function afterDecrypt(st: ConversationState, s: InstanceSession, dec: Decrypted, out: Out): void {
  const { text, tlvs } = splitMessagePayload(dec.payload); // copies: the text is a string, TLV values are copied
  if (text.length > 0) out.events.push({ type: 'message', text, encrypted: true, instanceTag: s.theirTag });
  let disconnected = false;
  for (const tlv of tlvs) {
    switch (tlv.type) {
      case V3TlvType.padding:
        break;
      case V3TlvType.disconnected:
        disconnected = true;
        break;
      case V3TlvType.smp1:
      case V3TlvType.smp2:
      case V3TlvType.smp3:
      case V3TlvType.smp4:
      case V3TlvType.smpAbort:
      case V3TlvType.smp1Question: {
        const r = s.smp.receive(tlv);
        st.smpEvents(r.events, out);
        if (r.tlvs.length > 0) st.sendData(s, '', r.tlvs, FLAG_IGNORE_UNREADABLE, out);
        break;
      }
      case V3TlvType.extraSymmetricKey: {
        if (s.theirTag === V2_TAG) break; // no extra key in version 2
        let u;
        try {
          u = parseExtraKeyTlv(tlv);
        } catch (e) {
          if (!(e instanceof OtrError)) throw e;
          out.events.push({ type: 'error', code: e.code, message: e.message });
          break;
        }
        out.events.push({ type: 'extra-key-received', key: dec.extraKey.slice(), use: u.use, useData: u.useData });
        break;
      }
      default:
        out.events.push({ type: 'tlv', tlv });
    }
  }
  if (disconnected) {
    // §"Receiving a Data Message": TLV 1 → forget the keys, MSGSTATE_FINISHED
    s.data?.destroy();
    s.data = undefined;
    s.smp.reset();
    s.msgstate = 'finished';
    out.events.push(st.stateEvent(s));
    return;
  }
  const hb = st.opts.heartbeatIntervalMs ?? 60_000;
  if (st.opts.clock() - s.lastSentAt >= hb) st.sendData(s, '', [], FLAG_IGNORE_UNREADABLE, out);
}
