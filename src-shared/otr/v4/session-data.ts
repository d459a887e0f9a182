// The data path of an OTRv4 conversation (otrv4.md §"Data Exchange", §"Sending a Data Message",
// §"Receiving a Data Message", §"Session Expiration"): entering ENCRYPTED_MESSAGES with a ratchet
// from a DAKE (or a restored one) and a fresh SMP engine, encrypting to an Instance
// (session-instance.ts), receiving its data messages (TLVs: disconnect, SMP, extra symmetric
// keys; heartbeats), keeping those that overtake Auth-I, expiring a session, and the encrypted
// sessions as session records and back (session-persist.ts; issue 13).
import type { EngineOutput } from '../api';
import { formatErrorMessage, OtrErrorMessageCode } from '../common/error-message';
import { OtrError } from '../common/errors';
import { joinMessagePayload, splitMessagePayload, V4TlvType, type Tlv } from '../common/tlv';
import { clientProfileFingerprint } from './client-profile';
import type { DakeResult } from './dake';
import { FLAG_IGNORE_UNREADABLE, peekDataMessageHeader } from './data-message';
import { extraKeysOfTlvs } from './extra-key';
import { fingerprint, fromHex, isValidInstanceTag, toHex } from './keys';
import { DataMessageError, type DoubleRatchet, initRatchet, type RatchetOptions } from './ratchet';
import { type RecordObject, type RecordReader, SessionRecordError } from '../session-record';
import type { SessionCore } from './session-core';
import { endPhase, type Instance } from './session-instance';
import { type EncryptedInfo, exportEncrypted, readEncrypted } from './session-persist';
import { Smp } from './smp';

/** data messages kept per instance while Auth-I is outstanding (§"Receiving a Data Message") */
const MAX_EARLY = 20;

/** §"Receiving a Data Message"; `quietOnFailure`: no error for one that cannot be read (kept early data) */
export function receiveData(c: SessionCore, bytes: Uint8Array, out: EngineOutput, quietOnFailure = false): void {
  const h = peekDataMessageHeader(bytes);
  if (!isValidInstanceTag(h.senderTag)) throw new OtrError('malformed', 'sender instance tag is below 0x100');
  if (h.receiverTag !== c.ourTag) return; // §"Instance Tags": not for us
  const ignore = (h.flags & FLAG_IGNORE_UNREADABLE) !== 0;
  const s = c.instances.get(h.senderTag);
  if (!s || s.phase.name !== 'encrypted') {
    if (s && s.phase.name === 'waiting-auth-i' && s.early.length < MAX_EARLY) {
      // §"Receiving a Data Message": the first DH ratchet after the DAKE may overtake Auth-I
      s.early.push({ bytes, at: c.opts.clock() });
      return;
    }
    if (!ignore && !quietOnFailure) {
      out.toSend.push(formatErrorMessage(`${OtrErrorMessageCode.notInPrivateState}: Not in private state message`));
      out.events.push({ type: 'error', code: 'unreadable', message: 'an encrypted message arrived outside a private conversation' });
    }
    return;
  }
  if (expireIfDue(c, s, out)) return;
  const phase = s.phase;
  let payload: Uint8Array;
  let extraKey: Uint8Array;
  try {
    const d = phase.ratchet.decrypt(bytes);
    payload = d.payload;
    extraKey = d.extraSymmetricKey;
  } catch (e) {
    if (!(e instanceof DataMessageError) && !(e instanceof OtrError)) throw e;
    if (s.rekey && s.early.length < MAX_EARLY) {
      // perhaps the first message of the new session, overtaking Auth-I
      s.early.push({ bytes, at: c.opts.clock() });
      return;
    }
    if (!ignore && !quietOnFailure) {
      out.toSend.push(formatErrorMessage(`${OtrErrorMessageCode.unreadable}: Unreadable message`));
      out.events.push({ type: 'error', code: 'unreadable', message: 'an encrypted message could not be read' });
    }
    return;
  }
  s.activity = ++c.activityCounter;
  // the contact's data message in this session: it completed the DAKE too
  phase.confirmed = true;
  const { text, tlvs } = splitMessagePayload(payload);
  if (text.length > 0) out.events.push({ type: 'message', text, encrypted: true, instanceTag: s.theirTag });
  // §"Extra Symmetric Key": one key per TLV 7, chained over the TLV list (extra-key.ts)
  const extraKeys = new Map(extraKeysOfTlvs(extraKey, tlvs).map((k) => [k.index, k]));
  extraKey.fill(0);
  for (const [index, tlv] of tlvs.entries()) {
    switch (tlv.type) {
      case V4TlvType.padding:
        break;
      case V4TlvType.disconnected:
        // §"Receiving a Data Message": forget keys, FINISHED
        endPhase(s);
        s.phase = { name: 'finished' };
        out.events.push({ type: 'state-changed', state: 'finished', version: 4, theirInstanceTag: s.theirTag });
        return;
      case V4TlvType.smp1:
      case V4TlvType.smp2:
      case V4TlvType.smp3:
      case V4TlvType.smp4:
      case V4TlvType.smpAbort: {
        if (!phase.smp) break;
        const r = phase.smp.receive(tlv);
        for (const ev of r.events) out.events.push({ type: 'smp', smp: ev });
        if (r.tlvs.length > 0) encryptTo(c, s, '', r.tlvs, out, true);
        break;
      }
      case V4TlvType.extraSymmetricKey: {
        const k = extraKeys.get(index);
        // beyond the tenth TLV 7 of a message there is no key (§"Extra Symmetric Key")
        if (k) out.events.push({ type: 'extra-key-received', key: k.key, use: k.use, useData: k.useData });
        break;
      }
      default:
        out.events.push({ type: 'tlv', tlv });
    }
  }
  const hb = c.opts.heartbeatIntervalMs ?? 60_000;
  if (hb > 0 && s.phase.name === 'encrypted' && c.opts.clock() - s.lastSentAt >= hb) encryptTo(c, s, '', [], out, true);
}

/** encrypts to an encrypted instance; returns the message's extra symmetric key */
export function encryptTo(c: SessionCore, s: Instance, text: string, tlvs: Tlv[], out: EngineOutput, ignoreUnreadable = false): Uint8Array {
  if (s.phase.name !== 'encrypted') throw new OtrError('not-allowed', 'no private conversation with this instance');
  if (expireIfDue(c, s, out)) throw new OtrError('not-allowed', 'the private conversation expired');
  const { message, extraSymmetricKey } = s.phase.ratchet.encrypt(joinMessagePayload(text, tlvs), { ignoreUnreadable });
  s.activity = ++c.activityCounter;
  s.lastSentAt = c.opts.clock();
  out.toSend.push(...c.wire(message, s.theirTag));
  return extraSymmetricKey;
}

/** §"Session Expiration": TLV 1 with the MAC keys, FINISHED; true if it expired */
export function expireIfDue(c: SessionCore, s: Instance, out: EngineOutput): boolean {
  if (s.phase.name !== 'encrypted' || s.phase.ratchet.destroyed || !s.phase.ratchet.isExpired()) return false;
  out.toSend.push(...c.wire(s.phase.ratchet.expire(), s.theirTag));
  s.phase = { name: 'finished' };
  out.events.push({ type: 'state-changed', state: 'finished', version: 4, theirInstanceTag: s.theirTag });
  return true;
}

/** `confirmed`: see Phase; false when we sent the last DAKE message (Auth-I, Non-Interactive-Auth) */
export function enterEncrypted(c: SessionCore, s: Instance, result: DakeResult, out: EngineOutput, confirmed: boolean, answered?: Uint8Array): void {
  const ratchet = initRatchet({
    ...c.opts.ratchet,
    mode: result.mode,
    role: result.role,
    sharedSecret: result.sharedSecret,
    // copies: the ratchet wipes its keys in place, and a pending Identity may be answered by
    // several instances of the contact
    ...(result.ourEcdh ? { ourEcdh: { ...result.ourEcdh } } : {}),
    ...(result.ourDh ? { ourDh: { ...result.ourDh } } : {}),
    ...(result.theirEcdh ? { theirEcdh: result.theirEcdh } : {}),
    ...(result.theirDh !== undefined ? { theirDh: result.theirDh } : {}),
    ourInstanceTag: c.ourTag,
    theirInstanceTag: result.theirInstanceTag,
    random: c.opts.random,
    clock: c.opts.clock,
    dh: c.opts.dh,
  });
  const theirFpBytes = fingerprint(result.theirProfile.publicKey, result.theirProfile.forgingKey);
  setEncrypted(c, s, ratchet, { ssid: result.ssid, role: result.role, theirFp: toHex(theirFpBytes) }, confirmed, answered);
  s.activity = ++c.activityCounter;
  out.events.push({
    type: 'state-changed',
    state: 'encrypted',
    version: 4,
    theirInstanceTag: s.theirTag,
    theirFingerprint: toHex(theirFpBytes),
    ssid: result.ssid,
  });
  // §"Receiving an Auth-I Message": "If a plaintext message is waiting to be sent, encrypt it and send it"
  const queued = c.queued;
  c.queued = [];
  for (const q of queued) encryptTo(c, s, q.text, q.tlvs, out);
}

/** ENCRYPTED_MESSAGES with a ratchet (new from a DAKE, or restored), with a fresh SMP engine */
export function setEncrypted(c: SessionCore, s: Instance, ratchet: DoubleRatchet, info: EncryptedInfo, confirmed: boolean, answered?: Uint8Array): void {
  const smp = (c.opts.smp ?? ((p) => new Smp(p)))({
    random: c.opts.random,
    ourFingerprint: clientProfileFingerprint(c.opts.identity.clientProfile),
    theirFingerprint: fromHex(info.theirFp),
    ssid: info.ssid,
  });
  s.phase = { name: 'encrypted', ratchet, info, confirmed, ...(smp ? { smp } : {}), ...(answered ? { answered } : {}) };
}

function ratchetOptions(c: SessionCore, theirTag: number): RatchetOptions {
  return {
    ...c.opts.ratchet,
    ourInstanceTag: c.ourTag,
    theirInstanceTag: theirTag,
    random: c.opts.random,
    clock: c.opts.clock,
    dh: c.opts.dh,
  };
}

/** the confirmed sessions in ENCRYPTED_MESSAGES as session records (V4Conversation.exportSessions) */
export function exportConfirmed(c: SessionCore): Array<{ instanceTag: number; session: RecordObject }> {
  const out: Array<{ instanceTag: number; session: RecordObject }> = [];
  for (const s of c.instances.values()) {
    if (s.phase.name === 'encrypted' && s.phase.confirmed && !s.phase.ratchet.destroyed)
      out.push({ instanceTag: s.theirTag, session: exportEncrypted(c.ourTag, s.phase.ratchet, s.phase.info) });
  }
  return out;
}

/** a recorded session back in ENCRYPTED_MESSAGES for `instanceTag` (V4Conversation.restoreSession) */
export function restoreEncrypted(c: SessionCore, instanceTag: number, r: RecordReader): void {
  if (!isValidInstanceTag(instanceTag)) throw new SessionRecordError('the contact instance tag is invalid');
  const { ratchet, info } = readEncrypted(r, ratchetOptions(c, instanceTag));
  const s = c.instance(instanceTag);
  endPhase(s);
  setEncrypted(c, s, ratchet, info, true);
  s.activity = ++c.activityCounter;
}
