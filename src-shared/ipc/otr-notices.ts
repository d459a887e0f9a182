// The notices of the OTR part of the IPC contract (otr-contract.ts): what the core tells the user
// about a private conversation, as a code and its data (never a sentence; the renderer words it in
// src-renderer/otr/notice-words.ts), their zod schema at the IPC boundary (otr.notice events,
// otr.notices answers) and a compile-time check that the schema and the types agree.
import { z } from 'zod';
import { accountId } from './values';

export type OtrNoticeKind =
  /**
   * a key we have not seen before for a contact we already had a key for, on a device that
   * replaces the one we knew (the same instance tag with a new key, or a new device while none of
   * the known ones is there): a warning
   */
  | 'fingerprint-changed'
  /**
   * issue 13, several devices: a device of the contact we never saw (a new instance tag) came up
   * with a private session while another device of theirs is there; said once per device, calmly
   */
  | 'new-device'
  /** a message arrived that could not be decrypted */
  | 'unreadable'
  /** the contact's client reported an OTR error */
  | 'peer-error'
  /** the contact ended the private conversation */
  | 'ended-by-peer'
  /** a message arrived in clear while the conversation is private */
  | 'plaintext-while-private'
  /** a message was held back: it waits for a private session */
  | 'queued'
  /** the messages that waited have been sent in a new private session */
  | 'queue-sent'
  | 'smp-succeeded'
  | 'smp-failed'
  /** we sent privately to an offline contact's devices (non-interactive DAKE from their prekeys) */
  | 'offline-sent'
  /**
   * the contact started a private conversation while we were offline, from the prekeys this
   * device published (OTRv4 §"Non-interactive DAKE": the contact, who sent the
   * Non-Interactive-Auth, gave up online deniability; we keep ours)
   */
  | 'offline-start'
  /**
   * the prekey server of our own XMPP server (peer = our own bare JID) or of the contact's
   * presents a different key than the one pinned on first use: nothing was published or fetched
   */
  | 'prekey-server-changed'
  /**
   * the contact's client only speaks OTR version 2 (it asked for it, or offered only it), which
   * the policy refuses (`allowV2: false`): no private conversation can come up with it
   */
  | 'older-version-refused'
  /**
   * the request for a private conversation went unanswered for the bounded time (the contact's
   * client may not speak OTR, only a version we refuse, or is offline)
   */
  | 'start-unanswered'
  /** wake-ups (docs/push-in-the-app.md): we knocked the offline contact's devices */
  | 'wake-sent'
  /** a knock from the contact woke this computer: the account logs in, a private session starts */
  | 'woken-by'
  /** a wake-up handshake message (TLV 0x01A4) from the contact was refused: nothing stored */
  | 'wake-refused';

/**
 * What a notice says, as data: a code (`kind`) and what the renderer needs to word it
 * (src-renderer/otr/notice-words.ts). The core writes no sentences for the user.
 */
export type OtrNoticeData =
  | { kind: 'fingerprint-changed'; fingerprint: string }
  /** `instanceTag`: the new device (OTRv4 §"Instance Tags"); `device`: its XMPP resource where known */
  | { kind: 'new-device'; fingerprint: string; instanceTag: number; device?: string }
  | { kind: 'unreadable' }
  /** `said`: the contact's error text as it arrived (at most 200 characters; untrusted) */
  | { kind: 'peer-error'; said: string }
  | { kind: 'ended-by-peer' }
  /** a message arrived in clear while the conversation is private (someone, or another device, wrote unencrypted) */
  | { kind: 'plaintext-while-private' }
  /** `because`: a private conversation is being started, or the contact ended the last one */
  | { kind: 'queued'; because: 'starting' | 'ended-by-peer' }
  | { kind: 'queue-sent' }
  /** `verifiedThem`: we verified the contact (false: we only answered their question) */
  | { kind: 'smp-succeeded'; verifiedThem: boolean }
  | { kind: 'smp-failed' }
  /** `messages`: how many waiting messages went; `devices`: to how many devices */
  | { kind: 'offline-sent'; messages: number; devices: number }
  | { kind: 'offline-start' }
  /** `whose`: our own server's prekey server (peer = our bare JID) or the contact's */
  | { kind: 'prekey-server-changed'; server: string; fingerprint: string; whose: 'own' | 'contact' }
  /** `by`: how the contact's client offered version 2 (its query, its whitespace tag, its AKE) */
  | { kind: 'older-version-refused'; by: 'query' | 'whitespace-tag' | 'ake' }
  /** `seconds`: how long the request went unanswered; `queued`: messages waiting then */
  | { kind: 'start-unanswered'; seconds: number; queued: number }
  | { kind: 'wake-sent' }
  | { kind: 'woken-by' }
  /** `reason`: malformed, oversized, unexpected (does not fit the handshake), bad-key (its key TLV unusable) */
  | { kind: 'wake-refused'; reason: 'malformed' | 'oversized' | 'unexpected' | 'bad-key' };

export type OtrNotice = {
  /** unique; the same notice fetched again (otr.notices) and pushed live has the same id */
  id: string;
  /** when it was raised, ms since epoch */
  at: number;
  accountId: string;
  peer: string;
  /** a key: the contact's new one (fingerprint-changed), or the one a prekey server presents now */
  fingerprint?: string;
  /** prekey-server-changed: the prekey server (its JID) whose key changed */
  server?: string;
} & OtrNoticeData;

/**
 * The schema of a notice as it crosses the IPC boundary (otr.notice events, otr.notices answers):
 * a host or test can check what the core emits; `.strict()` refuses extra fields, so a sentence
 * smuggled back in (a `message`) is refused.
 */
const hexKey = z.string().regex(/^[0-9a-f]{16,224}$/);
const noticeBase = {
  id: z.string().min(1).max(100),
  at: z.number().int().nonnegative(),
  accountId,
  peer: z.string().min(1).max(3071),
  fingerprint: hexKey.optional(),
  server: z.string().min(1).max(3071).optional(),
};
const count = z.number().int().nonnegative();
export const otrNoticeSchema = z.discriminatedUnion('kind', [
  z.object({ ...noticeBase, kind: z.literal('fingerprint-changed'), fingerprint: hexKey }).strict(),
  z
    .object({
      ...noticeBase,
      kind: z.literal('new-device'),
      fingerprint: hexKey,
      instanceTag: z.number().int().min(0x100).max(0xffffffff),
      device: z.string().min(1).max(1023).optional(),
    })
    .strict(),
  z.object({ ...noticeBase, kind: z.literal('unreadable') }).strict(),
  z.object({ ...noticeBase, kind: z.literal('peer-error'), said: z.string().max(200) }).strict(),
  z.object({ ...noticeBase, kind: z.literal('ended-by-peer') }).strict(),
  z.object({ ...noticeBase, kind: z.literal('queued'), because: z.enum(['starting', 'ended-by-peer']) }).strict(),
  z.object({ ...noticeBase, kind: z.literal('queue-sent') }).strict(),
  z.object({ ...noticeBase, kind: z.literal('smp-succeeded'), verifiedThem: z.boolean() }).strict(),
  z.object({ ...noticeBase, kind: z.literal('smp-failed') }).strict(),
  z.object({ ...noticeBase, kind: z.literal('offline-sent'), messages: count, devices: count.min(1) }).strict(),
  z.object({ ...noticeBase, kind: z.literal('offline-start') }).strict(),
  z
    .object({
      ...noticeBase,
      kind: z.literal('prekey-server-changed'),
      server: z.string().min(1).max(3071),
      fingerprint: hexKey,
      whose: z.enum(['own', 'contact']),
    })
    .strict(),
  z.object({ ...noticeBase, kind: z.literal('plaintext-while-private') }).strict(),
  z.object({ ...noticeBase, kind: z.literal('older-version-refused'), by: z.enum(['query', 'whitespace-tag', 'ake']) }).strict(),
  z.object({ ...noticeBase, kind: z.literal('start-unanswered'), seconds: count, queued: count }).strict(),
  z.object({ ...noticeBase, kind: z.literal('wake-sent') }).strict(),
  z.object({ ...noticeBase, kind: z.literal('woken-by') }).strict(),
  z.object({ ...noticeBase, kind: z.literal('wake-refused'), reason: z.enum(['malformed', 'oversized', 'unexpected', 'bad-key']) }).strict(),
]);

// the schema and the type say the same (a compile error here when one changes without the other)
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const noticeSchemaMatches: Same<z.infer<typeof otrNoticeSchema>['kind'], OtrNoticeKind> & Same<OtrNoticeData['kind'], OtrNoticeKind> = true;
void noticeSchemaMatches;
