// The push (wake-up) part of the IPC contract (docs/architecture.md §3 and 7; issue 14). contract.ts spreads
// `pushRequestSchemas` into its request schemas and `PushRequestOutputs` / `PushEventPayloads`
// into its outputs and events. The renderer never sees a shared_key, a whitelist token, a login
// token or a device secret: the push password goes one way only (renderer -> core), like the
// XMPP password.
import { z } from 'zod';
import type { AccountInfo } from './contract';
import { accountId, bareJid } from './values';

/** the desktop channel to the push server, in plain states */
export const pushChannelStatuses = ['off', 'connecting', 'connected', 'retrying', 'error'] as const;
export type PushChannelStatus = (typeof pushChannelStatuses)[number];

/** where the wake-up handshake with a contact stands */
export type PushHandshakeStateName = 'none' | 'asking' | 'offered' | 'their-offer' | 'declined' | 'done' | 'revoked';

export interface PushSettingsInfo {
  accountId: string;
  /** the push server (api_endpoint); null: wake-ups are off for this account (the default) */
  apiEndpoint: string | null;
  pushName: string | null;
  status: PushChannelStatus;
  /** set when status is 'error': why, in plain words */
  detail?: string;
}

export interface WakeUpInfo {
  accountId: string;
  peer: string;
  state: PushHandshakeStateName;
  /** both said yes: each may wake the other */
  canWake: boolean;
  /** when shared_key was last derived (ms since epoch) */
  rotatedAt?: number;
  otrVersion?: 3 | 4;
}

export type PushPromptReason =
  /** a private session is up: may this contact wake us (and we them)? */
  | 'ask'
  /** the contact said yes and sent theirs: approve and send ours back? */
  | 'their-offer';

export interface PushPrompt {
  accountId: string;
  peer: string;
  reason: PushPromptReason;
}

export type PushNoticeKind =
  /** a knock from this contact arrived: the account logs in and starts a private session */
  | 'woken-by'
  /** we knocked the contact's devices */
  | 'knock-sent'
  /** a wake-up record was stored, rotated or revoked */
  | 'record-stored'
  | 'record-rotated'
  | 'record-revoked'
  | 'record-revoked-by-contact'
  /** a TLV 0x01A4 was refused (malformed, oversized, unexpected): nothing was stored */
  | 'handshake-refused';

export interface PushNotice {
  accountId: string;
  /** absent for notices about the account's push channel */
  peer?: string;
  kind: PushNoticeKind;
  /** plain words, never a secret */
  message: string;
}

/** an api_endpoint as typed: an absolute http(s) URL (normalised and checked again by the core) */
const apiEndpoint = z
  .string()
  .trim()
  .min(1)
  .max(512)
  .regex(/^https?:\/\/[^\s]+$/i, 'a push server address looks like https://push.example/api/v1/');
const pushName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9@.+_-]+$/, 'a push name has letters, digits and @ . + - _ only');
const pushPassword = z.string().min(1).max(100);
const peerRef = { accountId, peer: bareJid };

export const pushRequestSchemas = {
  /** the account's push settings and channel state */
  'push.settings.get': z.object({ accountId }).strict(),
  /** create (create: true) or sign in to a push account, register this desktop, connect its channel */
  'push.settings.set': z.object({ accountId, apiEndpoint, pushName, password: pushPassword, create: z.boolean() }).strict(),
  /** wake-ups off for the account: channel closed, push account and records forgotten on this device */
  'push.settings.disable': z.object({ accountId }).strict(),
  /** yes to the prompt: send our offer, or answer the contact's (also "re-ask") */
  'push.handshake.approve': z.object(peerRef).strict(),
  /** no to the prompt: nothing is sent */
  'push.handshake.decline': z.object(peerRef).strict(),
  /** who may wake us and whom we may wake */
  'push.wakeups.list': z.object({ accountId }).strict(),
  /** delete the record and our whitelist token; the contact is told over OTR when a session is up */
  'push.wakeups.revoke': z.object(peerRef).strict(),
  /**
   * put the account to sleep: offline on XMPP, reachable by wake-ups only (its desktop channel
   * stays open); "account.connect" or a contact's knock brings it back online
   */
  'push.sleep': z.object({ accountId }).strict(),
} as const;

export interface PushRequestOutputs {
  'push.settings.get': PushSettingsInfo;
  'push.settings.set': PushSettingsInfo;
  'push.settings.disable': PushSettingsInfo;
  'push.handshake.approve': WakeUpInfo;
  'push.handshake.decline': WakeUpInfo;
  'push.wakeups.list': WakeUpInfo[];
  'push.wakeups.revoke': WakeUpInfo;
  'push.sleep': AccountInfo;
}

export type PushRequestName = keyof typeof pushRequestSchemas;
export type PushParsedRequest<K extends PushRequestName> = z.output<(typeof pushRequestSchemas)[K]>;

export interface PushEventPayloads {
  'push.status': PushSettingsInfo;
  'push.prompt': PushPrompt;
  'push.notice': PushNotice;
  'push.wakeup': WakeUpInfo;
}
export const pushEventNames: Array<keyof PushEventPayloads> = ['push.status', 'push.prompt', 'push.notice', 'push.wakeup'];

/** What each channel state means, for people (settings panel, account list). */
export function describePushStatus(status: PushChannelStatus): string {
  switch (status) {
    case 'off':
      return 'Wake-ups are off';
    case 'connecting':
      return 'Connecting to the push server…';
    case 'connected':
      return 'Ready: contacts you approved can wake this computer';
    case 'retrying':
      return 'The push server cannot be reached; trying again';
    case 'error':
      return 'The push server refused this computer; sign in again';
  }
}
