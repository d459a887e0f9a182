// The everyday part of the IPC contract (issue 15): history around a message (search results open
// the conversation there), typing notifications (XEP-0085), contact names, blocking (XEP-0191),
// conversations with any address, the user's own presence, and trusting a server certificate that
// changed under an existing account. contract.ts spreads
// `everydayRequestSchemas` into its request schemas and `EverydayRequestOutputs` /
// `EverydayEventPayloads` into its outputs and events.
import { z } from 'zod';
import type { ChatMessage, Contact, ServerCertificate } from './contract';
import { accountId, bareJid, certSha256 } from './values';

/** XEP-0085 §2: the five chat states */
export type ChatState = 'active' | 'composing' | 'paused' | 'inactive' | 'gone';

/** a page of one conversation's history that need not reach its newest message */
export interface HistoryWindow {
  /** oldest first */
  messages: ChatMessage[];
  /** the local store holds messages older than the first one */
  hasEarlier: boolean;
  /** the local store holds messages newer than the last one */
  hasLater: boolean;
}

/** what the user shows of themselves (RFC 6121 §4.7.2.1 <show/>; 'online' sends none) */
export const ownShows = ['online', 'away', 'dnd'] as const;
export type OwnShow = (typeof ownShows)[number];

const limit = z.number().int().min(1).max(500).default(100);
const messageId = z.string().min(1).max(200);

export const everydayRequestSchemas = {
  /** the page of history around a message: up to limit/2 before it, it, and the rest after it */
  'messages.around': z.object({ accountId, peer: bareJid, messageId, limit }).strict(),
  /** the oldest `limit` messages after the message `after`, oldest first ("load later") */
  'messages.after': z.object({ accountId, peer: bareJid, after: messageId, limit }).strict(),
  /**
   * the user's chat state in a conversation (XEP-0085 §5): the renderer says 'composing' while
   * the user types (the core pauses after 5 s without a new one), 'active' or 'gone'. Sent to
   * the contact only when they support chat states (§5.1); never carries any text.
   */
  'chatState.set': z.object({ accountId, peer: bareJid, state: z.enum(['composing', 'paused', 'active', 'gone']) }).strict(),
  /** RFC 6121 §2.3: the contact's name in the roster; empty removes it */
  'contact.rename': z.object({ accountId, jid: bareJid, name: z.string().trim().max(200) }).strict(),
  /** XEP-0191 §3.3: block on the server (nothing from them reaches any of our devices) */
  'contact.block': z.object({ accountId, jid: bareJid }).strict(),
  /** XEP-0191 §3.4 */
  'contact.unblock': z.object({ accountId, jid: bareJid }).strict(),
  /** XEP-0191 §3.2: the account's block list, as the server keeps it */
  'contact.blocklist': z.object({ accountId }).strict(),
  /** a conversation with any address, without adding it to the roster */
  'conversation.start': z.object({ accountId, jid: bareJid }).strict(),
  /** the user's own presence and status message, to every contact who sees it (RFC 6121 §4.2, §4.7) */
  'presence.set': z.object({ accountId, show: z.enum(ownShows), status: z.string().trim().max(500).default('') }).strict(),
  /** what presence.set last set (a window that opens later shows it) */
  'presence.get': z.object({ accountId }).strict(),
  /**
   * issue 15, "Certificates": the certificate the account's server presents now, beside the one
   * pinned for the account (null: none pinned, the system's trust decided), without signing in
   */
  'account.serverCertificate': z.object({ accountId }).strict(),
  /**
   * the user trusts exactly this certificate for the account, after seeing the old and the new
   * fingerprint: it replaces the pin (RFC 6125 §7.3); account.connect then signs in with it
   */
  'account.trustCertificate': z.object({ accountId, sha256: certSha256 }).strict(),
} as const;

/** an existing account's server certificate now, and the one the account trusts */
export interface AccountCertificate {
  /** the account's server certificate as presented now */
  current: ServerCertificate;
  /** the SHA-256 pinned for the account, or null when none is */
  pinned: string | null;
}

export interface EverydayRequestOutputs {
  'messages.around': HistoryWindow;
  'messages.after': ChatMessage[];
  'chatState.set': null;
  'contact.rename': Contact;
  'contact.block': null;
  'contact.unblock': null;
  'contact.blocklist': string[];
  'conversation.start': Contact;
  'presence.set': { accountId: string; show: OwnShow; status: string };
  'presence.get': { accountId: string; show: OwnShow; status: string };
  'account.serverCertificate': AccountCertificate;
  'account.trustCertificate': null;
}

export interface EverydayEventPayloads {
  /** the contact's chat state changed (XEP-0085 §2); 'active' also when a message of theirs arrived */
  'chatState.changed': { accountId: string; peer: string; state: ChatState };
  /** the account's block list as the server now keeps it (XEP-0191 §3.3, §3.4 pushes) */
  'blocklist.updated': { accountId: string; blocked: string[] };
  /** the account's own presence (after presence.set, and at sign-in) */
  'presence.own': { accountId: string; show: OwnShow; status: string };
}
export const everydayEventNames: Array<keyof EverydayEventPayloads> = ['chatState.changed', 'blocklist.updated', 'presence.own'];
