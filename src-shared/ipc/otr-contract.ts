// The OTR part of the IPC contract (docs/architecture.md §3 and 6): private conversations, trust and
// verification. contract.ts spreads `otrRequestSchemas` into its request schemas, and
// `OtrRequestOutputs` / `OtrEventPayloads` into its outputs and events, so the renderer reaches
// the OTR service of the core through the same single, zod-checked channel.
// The renderer never sees a private key, a session key or an SMP secret it did not type itself:
// everything here is public (fingerprints, states) or typed by the user (SMP question/secret,
// which goes one way only, renderer -> core).
import { z } from 'zod';
import type { OtrNotice } from './otr-notices';
import { accountId, bareJid } from './values';

// The notices (types and schema) live in otr-notices.ts; re-exported so the contract stays one import.
export { otrNoticeSchema, type OtrNotice, type OtrNoticeData, type OtrNoticeKind } from './otr-notices';

/** a fingerprint as lowercase hex, spaces allowed (users paste the grouped form) */
const fingerprint = z
  .string()
  .trim()
  .transform((s) => s.replace(/\s+/g, '').toLowerCase())
  .pipe(z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{112})$/, 'a fingerprint is 40 (OTRv3) or 112 (OTRv4) hex digits'));
/** SMP secrets and answers: what people type (OTRv3 §"Socialist Millionaires' Protocol") */
const smpSecret = z.string().min(1).max(1000);
const smpQuestion = z.string().trim().min(1).max(500);

/**
 * Policies as users pick them (OTRv3 §"Policies"; OTRv4 §"Policies"):
 * - manual: OTR only when someone starts it
 * - opportunistic: advertise OTR (whitespace tag) and start it when the other side can
 * - always: never send a message in clear (REQUIRE_ENCRYPTION)
 */
export const otrPolicyNames = ['manual', 'opportunistic', 'always'] as const;
export type OtrPolicyName = (typeof otrPolicyNames)[number];
// Opportunistic by default (privacy first, as Pidgin-OTR's "automatically initiate"): plaintext
// carries the whitespace tag, a contact whose client speaks OTR starts a session from it, and
// once a session came up the conversation never falls back to plaintext silently. Users pick
// manual (nothing appended, OTR only on request) or always, per account or per contact.
export const DEFAULT_OTR_POLICY: OtrPolicyName = 'opportunistic';

/** What the conversation header shows (docs/architecture.md §6). */
export type OtrTrustState = 'not-private' | 'private-unverified' | 'private-verified' | 'finished';

/** Where the Socialist Millionaires' Protocol stands with this contact. */
export type OtrSmpPhase =
  | 'none'
  /** the contact asked us to prove we know a secret (question set for the Q&A variant) */
  | 'asked'
  /** we asked; waiting for the contact to answer */
  | 'waiting'
  /** the contact answered; the proof runs */
  | 'in-progress'
  | 'succeeded'
  | 'failed'
  | 'aborted';

export interface OtrSmpStatus {
  phase: OtrSmpPhase;
  /** the question of the Q&A variant (asked by us or by the contact) */
  question?: string;
  /** we started it */
  initiatedByUs: boolean;
  /** set on 'failed' when the protocol was violated rather than the secrets differing */
  cheated?: boolean;
}

export interface OtrStatus {
  accountId: string;
  peer: string;
  state: OtrTrustState;
  /**
   * protocol version of the private session; 2 is the older OTR version 2 (the contact's client,
   * e.g. Profanity, speaks nothing newer: no instance tags, one session per contact)
   */
  version?: 2 | 3 | 4;
  /** the contact's fingerprint in this session, lowercase hex */
  theirFingerprint?: string;
  /** the contact's instance tag (device) in this session */
  theirInstanceTag?: number;
  /** the contact's resource (device) the session runs with, when known */
  resource?: string;
  /** our own fingerprints (public), lowercase hex */
  ourFingerprints: { v3: string; v4: string };
  /** the policy for this contact (its own, else the account's) */
  policy: OtrPolicyName;
  /** this contact has its own policy (else the account's applies) */
  policyOverridden: boolean;
  /** messages written in a private conversation that wait for a new private session */
  queued: number;
  /**
   * the contact's devices (instance tags) that what we write goes to while the contact is offline:
   * set after `otr.offline.send`, cleared when the contact writes (then their device is current)
   */
  offlineDevices?: number[];
  /** the conversation was private: nothing goes out in clear until the user ends it */
  privateIntent: boolean;
  smp: OtrSmpStatus;
  /**
   * what is written now goes out unencrypted (no session, and neither policy, intent nor what is
   * known of the contact asks for one): the composer says so before sending
   */
  sendsInClear?: boolean;
  /** a message arrived in clear while the conversation was private (until the next private one) */
  receivedInClear?: boolean;
  /**
   * a request for a private conversation went out and nothing private is up yet (issue 11 item 6):
   * `sentAt` when it went (ms since epoch), `gaveUp` once it went unanswered for the bounded time
   * (a 'start-unanswered' notice said so) or the contact's client only offered a refused version
   */
  starting?: { sentAt: number; gaveUp: boolean };
  /** OTRv3 §"Policies" ALLOW_V2 for this contact (absent: allowed) */
  allowV2?: boolean;
  /**
   * issue 13, several devices: the contact's devices (instance tags) with a private session, given
   * when there are two or more; `receives`: what we write goes to it (the user's choice,
   * `otr.devices.choose`; without one, every device that is online)
   */
  sessionDevices?: Array<{ instanceTag: number; receives: boolean }>;
  /** the devices the user chose to write to (`otr.devices.choose`; absent: all of them) */
  chosenDevices?: number[];
}

export interface OtrFingerprintInfo {
  fingerprint: string;
  version: 3 | 4;
  verified: boolean;
  /** ms since epoch */
  firstSeen: number;
  lastSeen: number;
}

/**
 * One device of an offline contact that a private conversation can start with, from the prekey
 * ensemble its prekey server handed out (otrv4-prekey-server.md §"Retrieving Prekey Ensembles";
 * already validated: profiles signed, not expired, one ensemble per instance tag).
 */
export interface OtrOfflineDevice {
  instanceTag: number;
  /** the OTRv4 fingerprint of the device's long-term key (its client profile), lowercase hex */
  fingerprint: string;
  /** we saw this key in an earlier private conversation with the contact */
  known: boolean;
  /** the user verified this key */
  verified: boolean;
  /** when the device's client profile expires, ms since epoch */
  expiresAt: number;
}

/**
 * One device (OTR instance tag) of a contact or of oneself that took part in a private
 * conversation (the devices page, issue 15; src-main/core/otr/devices.ts).
 */
export interface OtrDevice {
  instanceTag: number;
  /** the key the device used, lowercase hex */
  fingerprint: string;
  version: 3 | 4;
  verified: boolean;
  /** ms since epoch */
  firstSeen: number;
  lastSeen: number;
  /** not seen for `staleAfterDays`: listed after the active ones */
  stale: boolean;
  /** this installation (only on one's own page) */
  thisDevice?: boolean;
  /** where known, the XMPP resource it last wrote from (the name its client gave itself) */
  name?: string;
}

export interface OtrDevices {
  accountId: string;
  peer: string;
  /** the page for oneself (peer is the account's own bare JID) */
  own: boolean;
  staleAfterDays: number;
  /** this device first, then active ones (most recently seen first), then stale ones */
  devices: OtrDevice[];
}

/** why a contact has no devices to start with offline: no prekey server, nothing published, nothing usable (expired or invalid) */
export type OtrOfflineUnavailable = 'no-server' | 'none' | 'unusable';

export interface OtrOfflineDevices {
  accountId: string;
  peer: string;
  devices: OtrOfflineDevice[];
  /** why there are none, as a code the renderer words */
  unavailable?: OtrOfflineUnavailable | 'fingerprint-changed';
}

// ---- requests -------------------------------------------------------------------------------

const peerRef = { accountId, peer: bareJid };

export const otrRequestSchemas = {
  /** the state of the private conversation with a contact */
  'otr.status': z.object(peerRef).strict(),
  /** start (or refresh, when already private) a private conversation: sends an OTR query */
  'otr.start': z.object(peerRef).strict(),
  /** end the private conversation (all of the contact's devices) */
  'otr.end': z.object(peerRef).strict(),
  /** our fingerprints and every fingerprint seen for the contact, with trust */
  'otr.fingerprints': z.object(peerRef).strict(),
  /** mark a fingerprint of the contact verified (compared out of band) or not */
  'otr.trust.set': z.object({ ...peerRef, fingerprint, verified: z.boolean() }).strict(),
  /** SMP: ask the contact (question and answer, or a shared secret when question is absent) */
  'otr.smp.start': z.object({ ...peerRef, secret: smpSecret, question: smpQuestion.optional() }).strict(),
  /** SMP: answer the contact's question / give the shared secret */
  'otr.smp.answer': z.object({ ...peerRef, secret: smpSecret }).strict(),
  'otr.smp.abort': z.object(peerRef).strict(),
  /** the account's policy (peer absent), or a contact's (policy null: back to the account's) */
  'otr.policy.set': z
    .object({
      accountId,
      peer: bareJid.optional(),
      policy: z.enum(otrPolicyNames).nullable(),
      /**
       * OTRv3 §"Policies" ALLOW_V2: allow the older OTR version 2 with clients that speak nothing
       * newer (absent: unchanged; never set: allowed). With no peer and policy null, only this
       * changes (the account keeps its policy).
       */
      allowV2: z.boolean().optional(),
    })
    .strict(),
  /**
   * what to do with messages waiting for a private session: send them in clear (ends the
   * private conversation; refused under the 'always' policy), or discard them
   */
  'otr.queue.resolve': z.object({ ...peerRef, action: z.enum(['send-in-clear', 'discard']) }).strict(),
  /**
   * the contact is offline: fetch the devices a private conversation can start with now (their
   * prekey ensembles, from the prekey server of the contact's XMPP server). Each ensemble is
   * handed out once, so the answer is kept in the core for `otr.offline.send`.
   */
  'otr.offline.devices': z.object(peerRef).strict(),
  /**
   * the account's recent notices (the last few per conversation, oldest first), kept in the core
   * because they are pushed as they happen, possibly before a window is listening (a key change
   * seen while connecting at start-up must not go unseen)
   */
  'otr.notices': z.object({ accountId }).strict(),
  /**
   * the user accepts the key a prekey server presents now (a 'prekey-server-changed' notice
   * names both): it replaces the key pinned on first use, and this device publishes again
   */
  'otr.prekeyServer.trust': z
    .object({
      accountId,
      server: z
        .string()
        .trim()
        .toLowerCase()
        .min(1)
        .max(1023)
        .regex(/^[^@/\s]+$/, 'a prekey server is named by its domain'),
      fingerprint: z
        .string()
        .trim()
        .transform((s) => s.replace(/\s+/g, '').toUpperCase())
        .pipe(z.string().regex(/^[0-9A-F]{112}$/, 'a prekey server fingerprint is 112 hex digits')),
    })
    .strict(),
  /**
   * start a private conversation with each of these devices of the offline contact (OTRv4
   * non-interactive DAKE) and send the messages that wait to every one of them; what is written
   * next goes to the same devices until the contact writes back. Instance tags must come from
   * the last `otr.offline.devices` answer (OTRv4 §"Instance Tags": 0x100 and above).
   */
  'otr.offline.send': z.object({ ...peerRef, instanceTags: z.array(z.number().int().min(0x100).max(0xffffffff)).min(1).max(64) }).strict(),
  /** the devices page: a contact's devices, or one's own (peer absent) */
  'otr.devices': z.object({ accountId, peer: bareJid.optional() }).strict(),
  /** forget a device: its record, and its key's trust when no other device used that key */
  'otr.devices.forget': z.object({ accountId, peer: bareJid.optional(), instanceTag: z.number().int().min(0x100).max(0xffffffff) }).strict(),
  /**
   * issue 13, several devices: which of the contact's devices with a private session get what we
   * write from now on (null: all of them that are online, the default). Each tag must be a device
   * with a private session now (else a typed 'not-found' error); kept for this run of the app.
   */
  'otr.devices.choose': z
    .object({
      ...peerRef,
      instanceTags: z.array(z.number().int().min(0x100).max(0xffffffff)).min(1, 'choose at least one device').max(64).nullable(),
    })
    .strict(),
} as const;

export interface OtrRequestOutputs {
  'otr.status': OtrStatus;
  'otr.start': OtrStatus;
  'otr.end': OtrStatus;
  'otr.fingerprints': { ours: { v3: string; v4: string }; theirs: OtrFingerprintInfo[] };
  'otr.trust.set': OtrStatus;
  'otr.smp.start': OtrStatus;
  'otr.smp.answer': OtrStatus;
  'otr.smp.abort': OtrStatus;
  'otr.policy.set': { policy: OtrPolicyName };
  'otr.queue.resolve': OtrStatus;
  'otr.offline.devices': OtrOfflineDevices;
  'otr.notices': OtrNotice[];
  'otr.prekeyServer.trust': { server: string };
  'otr.offline.send': OtrStatus;
  'otr.devices': OtrDevices;
  'otr.devices.forget': OtrDevices;
  'otr.devices.choose': OtrStatus;
}

export type OtrRequestName = keyof typeof otrRequestSchemas;
export type OtrParsedRequest<K extends OtrRequestName> = z.output<(typeof otrRequestSchemas)[K]>;
export type OtrRequestInput<K extends OtrRequestName> = z.input<(typeof otrRequestSchemas)[K]>;

// ---- events (core -> renderer) --------------------------------------------------------------

export interface OtrEventPayloads {
  'otr.status': OtrStatus;
  'otr.notice': OtrNotice;
}
export const otrEventNames: Array<keyof OtrEventPayloads> = ['otr.status', 'otr.notice'];

// ---- presentation helpers (pure; used by the renderer and the core) -------------------------

/**
 * The usual grouped form: upper-case hex in groups of 8 (Pidgin-OTR, libotr's
 * otrl_privkey_hash_to_human for 40-digit OTRv3 fingerprints; the same for OTRv4's 112 digits).
 */
export function formatFingerprint(hex: string): string {
  const clean = hex.replace(/\s+/g, '').toUpperCase();
  return (clean.match(/.{1,8}/g) ?? []).join(' ');
}
