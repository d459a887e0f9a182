// The groups part of the IPC contract (docs/groups.md §"Using groups"): verified group chats.
// contract.ts spreads `groupsRequestSchemas` into its request schemas and `GroupsRequestOutputs` /
// `GroupsEventPayloads` into its outputs and events. Everything here is public (fingerprints,
// names, states) or typed by the user; session keys and identity secrets never cross IPC.
import { z } from 'zod';
import { accountId } from './values';

/** a group's address: <id>@<group service domain> */
export const groupAddress = z
  .string()
  .trim()
  .toLowerCase()
  .max(400)
  .regex(/^[a-z0-9-]{1,64}@[^@/\s]+$/, 'a group address looks like g-1234abcd@groups.example.org');
const fingerprint = z.string().regex(/^[0-9a-f]{112}$/, 'an OTRv4 fingerprint is 112 hex digits');
const serviceDomain = z
  .string()
  .trim()
  .toLowerCase()
  .max(300)
  .regex(/^[^@/\s]+$/, 'a service domain looks like groups.example.org');

export const groupsRequestSchemas = {
  /** creates a group on the given service (default: groups.<the account's domain>) */
  'group.create': z.object({ accountId, service: serviceDomain.optional(), name: z.string().trim().min(1).max(100).optional() }).strict(),
  /** joins by address: the admission waits for a member who knows our key */
  'group.join': z.object({ accountId, address: groupAddress, name: z.string().trim().min(1).max(100).optional() }).strict(),
  'group.leave': z.object({ accountId, address: groupAddress }).strict(),
  'group.remove': z.object({ accountId, address: groupAddress, member: fingerprint }).strict(),
  /** the creator makes a member an admin (may remove members) or takes the right back */
  'group.admin': z.object({ accountId, address: groupAddress, member: fingerprint, admin: z.boolean() }).strict(),
  'group.send': z.object({ accountId, address: groupAddress, body: z.string().min(1).max(16_000) }).strict(),
  'group.list': z.object({ accountId }).strict(),
  'group.timeline': z
    .object({ accountId, address: groupAddress, before: z.number().int().positive().optional(), limit: z.number().int().min(1).max(500).default(100) })
    .strict(),
} as const;

export type GroupPhase = 'joining' | 'pending' | 'admitting' | 'member' | 'refused' | 'left' | 'removed';

export interface GroupMemberInfo {
  fingerprint: string;
  /** the name from its hello_i_am, when received */
  name?: string;
  /** our user verified this fingerprint (SMP, shared secret or comparison) */
  verified: boolean;
  me: boolean;
  admin: boolean;
}

export interface GroupInfo {
  accountId: string;
  address: string;
  phase: GroupPhase;
  /** what the user reads while phase is pending/refused ("waiting for a member who knows your key") */
  status: string;
  members: GroupMemberInfo[];
  /** we may remove members (creator or admin) */
  canRemove: boolean;
  /** we may name admins (the creator only) */
  canNameAdmins: boolean;
  /** a member left and the new key has not arrived yet: sending waits */
  rekeyPending: boolean;
}

export interface GroupMessageInfo {
  accountId: string;
  address: string;
  id: number;
  sender: string;
  senderName?: string;
  mine: boolean;
  body: string;
  sentAt: number;
}

export interface GroupsRequestOutputs {
  'group.create': GroupInfo;
  'group.join': GroupInfo;
  'group.leave': GroupInfo;
  'group.remove': GroupInfo;
  'group.admin': GroupInfo;
  'group.send': GroupMessageInfo;
  'group.list': GroupInfo[];
  'group.timeline': GroupMessageInfo[];
}

export interface GroupsEventPayloads {
  'group.updated': GroupInfo;
  'group.message': GroupMessageInfo;
  /** something the user should read: a refused message, a declined vouch, … */
  'group.notice': { accountId: string; address: string; text: string };
}

export const groupsEventNames: Array<keyof GroupsEventPayloads> = ['group.updated', 'group.message', 'group.notice'];

/** the sentence shown for each phase */
export function groupStatusText(phase: GroupPhase, refusal?: string): string {
  switch (phase) {
    case 'joining':
      return 'Connecting to the group…';
    case 'pending':
      return 'Waiting for a member who knows your key';
    case 'admitting':
      return 'A member who knows your key is admitting you…';
    case 'member':
      return '';
    case 'refused':
      return refusal ?? 'You were not admitted.';
    case 'left':
      return 'You left this group.';
    case 'removed':
      return 'You were removed from this group.';
  }
}
