// An OTRv4 session in ENCRYPTED_MESSAGES as a session record and back (issue 13, "restarts lose
// nothing"; otrv4.md §"Protocol States", §"The Double Ratchet Algorithm", §"Session Expiration").
// Besides the ratchet (ratchet/persist.ts) the session keeps what it shows and what SMP needs:
// the SSID (§"Secure Session ID") with the DAKE role that says which half is bold, and the
// contact's fingerprint (§"Fingerprints"; SMP hashes it, §"Secret information"). The DAKE shared
// secret K is NOT kept: the ratchet was initialised from it and it is not needed again.
// Not recorded: an SMP exchange under way (it starts over), data messages that arrived before
// Auth-I, a DAKE under way. Our instance tag is the identity's and is checked on restore.
import { type RecordObject, type RecordReader, hexOf, SessionRecordError } from '../session-record';
import { type DoubleRatchet, exportRatchet, type RatchetOptions, restoreRatchet } from './ratchet';

/** what an encrypted session shows besides its keys */
export interface EncryptedInfo {
  /** §"Secure Session ID": 8 bytes */
  ssid: Uint8Array;
  /** the DAKE role ('alice': sent Auth-R or Non-Interactive-Auth, shows the first half in bold) */
  role: 'alice' | 'bob';
  /** the contact's fingerprint, lowercase hex (56 bytes) */
  theirFp: string;
}

const SSID_BYTES = 8;
const FINGERPRINT_HEX = /^[0-9a-f]{112}$/;

export function exportEncrypted(ourTag: number, ratchet: DoubleRatchet, info: EncryptedInfo): RecordObject {
  return { ourTag, ssid: hexOf(info.ssid), role: info.role, theirFp: info.theirFp, ratchet: exportRatchet(ratchet) };
}

/** Reads exportEncrypted()'s record; throws SessionRecordError (also when it was another instance's). */
export function readEncrypted(r: RecordReader, opts: RatchetOptions): { ratchet: DoubleRatchet; info: EncryptedInfo } {
  const ourTag = r.int('ourTag', 0, 0xffffffff);
  if (ourTag !== opts.ourInstanceTag) throw new SessionRecordError('the session belongs to another instance tag of ours');
  const ssid = r.bytes('ssid', SSID_BYTES);
  const role = r.str('role', ['alice', 'bob']) as 'alice' | 'bob';
  const theirFp = r.str('theirFp');
  if (!FINGERPRINT_HEX.test(theirFp)) throw new SessionRecordError('theirFp is not a fingerprint');
  const ratchet = restoreRatchet(r.obj('ratchet'), opts);
  r.done();
  return { ratchet, info: { ssid, role, theirFp } };
}
