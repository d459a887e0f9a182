// The IPC contract between the untrusted renderer and the core (docs/architecture.md §3). Every request is
// parsed with its zod schema before it reaches the core; events are pushed from the core.
// Transports: Electron ipcMain/contextBridge (src-main/app, src-preload) and the browser host's
// WebSocket (src-main/host, ./ws-client). Both carry exactly these names.
import { z } from 'zod';
import type { Result } from './result';
import { accountId, bareJid, certSha256 } from './values';
import { otrEventNames, otrRequestSchemas, type OtrEventPayloads, type OtrRequestOutputs } from './otr-contract';
import { pushEventNames, pushRequestSchemas, type PushEventPayloads, type PushRequestOutputs } from './push-contract';
import { groupsEventNames, groupsRequestSchemas, type GroupsEventPayloads, type GroupsRequestOutputs } from './groups-contract';
import { everydayEventNames, everydayRequestSchemas, type EverydayEventPayloads, type EverydayRequestOutputs } from './everyday-contract';

// ---- shared value types ---------------------------------------------------------------------

const hostName = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.:[\]-]+$/, 'not a host name');
const port = z.number().int().min(1).max(65535);
const password = z.string().min(1).max(1024);
const messageBody = z
  .string()
  .min(1)
  .max(64 * 1024);

export type PresenceShow = 'online' | 'chat' | 'away' | 'xa' | 'dnd' | 'offline';
export type ConnectionStatus = 'offline' | 'connecting' | 'online' | 'error';
export type DeliveryState = 'pending' | 'sent' | 'delivered' | 'failed';
/** RFC 6121 §2.1.2.5 subscription states as a user sees them */
export type Subscription = 'none' | 'to' | 'from' | 'both';

export interface AccountInfo {
  id: string;
  jid: string;
  status: ConnectionStatus;
  /** set when status is 'error': why, in plain words */
  error?: { code: string; message: string };
  /**
   * the user put the account to sleep (push.sleep): offline on XMPP, but its desktop channel to
   * the push server stays open, so a contact it approved can wake it (docs/push-in-the-app.md)
   */
  asleep?: boolean;
}

export interface Contact {
  accountId: string;
  jid: string;
  name?: string;
  subscription: Subscription;
  /** we asked to see their presence and they have not answered */
  pendingOut: boolean;
  /** they asked to see our presence and we have not answered */
  pendingIn: boolean;
  presence: PresenceShow;
  status?: string;
  unread: number;
  /** the nickname the contact published (XEP-0172); `name` is it too when the roster has none */
  nick?: string;
}

/** one hit of messages.search: enough to open the conversation (accountId, peer) at the message */
export interface SearchResult {
  accountId: string;
  peer: string;
  messageId: string;
  direction: 'in' | 'out';
  timestamp: number;
  /** the matching words with some context around them (… where the body was cut) */
  snippet: string;
  /** [start, end) ranges of the matching words in `snippet` */
  highlights: Array<[number, number]>;
}

export interface ChatMessage {
  id: string;
  accountId: string;
  /** the bare JID of the other side */
  peer: string;
  direction: 'in' | 'out';
  body: string;
  /** ms since epoch */
  timestamp: number;
  delivery: DeliveryState;
  /** travelled inside an OTR session (docs/architecture.md §6); false for plaintext */
  encrypted: boolean;
  /**
   * sent again inside a new private session because the contact's device could not read the
   * first copy (docs/otr-in-the-app.md "Recovery"); set on the update that says so
   */
  resent?: boolean;
  /**
   * a private message another of our devices sent (its XEP-0280 copy): OTR sessions are per
   * device, so its text cannot be read here; `body` is empty and the row says so
   */
  elsewhere?: boolean;
  /**
   * the contact's device an incoming private message came from (its name, else "Device" and its
   * OTR instance tag), given only when the contact has more than one device in the conversation
   */
  device?: string;
}

/**
 * Messages from someone not in the roster (issue 13, strangers): held apart from the contact
 * list, with no key exchange, until the user accepts (the sender becomes a contact and the
 * messages join a conversation), blocks (dropped, and later messages too) or ignores (dropped).
 */
export interface MessageRequest {
  accountId: string;
  /** the stranger's bare JID */
  peer: string;
  /** what they wrote in clear (OTR protocol messages are not run, so nothing private is here) */
  messages: Array<{ body: string; timestamp: number }>;
  /** they also tried to start a private conversation (an OTR query or key exchange message) */
  askedPrivate: boolean;
}

export interface AppSnapshot {
  accounts: AccountInfo[];
  contacts: Contact[];
}

// ---- requests -------------------------------------------------------------------------------

const serverOverride = { host: hostName.optional(), port: port.optional() };

/**
 * A server's certificate as the sign-in form shows it when it is not trusted (issue 15,
 * "Certificates"; src-main/core/xmpp/starttls/certificate.ts). All public.
 */
export interface ServerCertificate {
  /** the host it was fetched from */
  server: string;
  subject: string;
  issuer: string;
  /** SHA-256, upper-case hex pairs joined by ':' */
  sha256: string;
  /** ISO 8601 */
  validFrom: string;
  validTo: string;
  /** whether the system's roots (and the extra CA) vouch for it; else `problem` says why not */
  trusted: boolean;
  problem?: string;
}

export const requestSchemas = {
  /** everything the renderer needs at start-up */
  'app.snapshot': z.object({}).strict(),
  /** add an existing account and connect it; fails with auth-failed etc. without storing anything */
  'account.add': z
    .object({
      jid: bareJid,
      password,
      ...serverOverride,
      /**
       * the user trusts exactly this server certificate for this account (after seeing its
       * details and a warning): it is pinned, and only it is accepted from then on
       */
      trustCertificate: certSha256.optional(),
    })
    .strict(),
  /** the certificate the account's server presents after STARTTLS, without signing in */
  'account.certificate': z.object({ jid: bareJid, ...serverOverride }).strict(),
  /**
   * XEP-0077 in-band registration, then as account.add; `trustCertificate` as there: the
   * registration's own connection accepts exactly that certificate, and it is pinned
   */
  'account.register': z.object({ jid: bareJid, password, ...serverOverride, trustCertificate: certSha256.optional() }).strict(),
  'account.remove': z.object({ accountId }).strict(),
  'account.connect': z.object({ accountId }).strict(),
  'account.disconnect': z.object({ accountId }).strict(),
  /** RFC 6121 §3.1: add to roster and request a subscription */
  'contact.add': z.object({ accountId, jid: bareJid, name: z.string().max(200).optional() }).strict(),
  /** RFC 6121 §3.1.4: approve an incoming subscription request (and ask back if we have not) */
  'contact.approve': z.object({ accountId, jid: bareJid }).strict(),
  /** RFC 6121 §3.2: deny an incoming subscription request */
  'contact.deny': z.object({ accountId, jid: bareJid }).strict(),
  /** RFC 6121 §2.5: remove from roster, cancelling subscriptions both ways */
  'contact.remove': z.object({ accountId, jid: bareJid }).strict(),
  /** a page of history, newest last; `before` is a message id */
  'messages.page': z
    .object({ accountId, peer: bareJid, before: z.string().max(200).optional(), limit: z.number().int().min(1).max(500).default(100) })
    .strict(),
  /**
   * issue 15, "load earlier from the server": the next older page of the conversation from the
   * server's archive (XEP-0313), before the oldest stored message; stored locally (duplicates of
   * stored messages skipped) and returned oldest first. `complete`: the archive holds nothing older
   */
  'messages.earlierFromServer': z.object({ accountId, peer: bareJid, limit: z.number().int().min(1).max(100).default(50) }).strict(),
  'message.send': z.object({ accountId, to: bareJid, body: messageBody }).strict(),
  /** XEP-0172: our own nickname, sent with our subscription requests; empty removes it */
  'account.nick.set': z.object({ accountId, nick: z.string().trim().max(200) }).strict(),
  'account.nick.get': z.object({ accountId }).strict(),
  'conversation.markRead': z.object({ accountId, peer: bareJid }).strict(),
  /** message requests from strangers waiting for a decision (all accounts, or one) */
  'request.list': z.object({ accountId: accountId.optional() }).strict(),
  /** the stranger becomes a contact (roster add and subscription request); their messages are kept */
  'request.accept': z.object({ accountId, peer: bareJid }).strict(),
  /** their messages are dropped, and what they send later is dropped too */
  'request.block': z.object({ accountId, peer: bareJid }).strict(),
  /** their messages are dropped; a later message makes a new request */
  'request.ignore': z.object({ accountId, peer: bareJid }).strict(),
  /**
   * full-text search of stored messages, newest first; in one account or, without accountId, in
   * all. The query is plain words (no query syntax); every word must occur, the last also as a prefix
   */
  'messages.search': z.object({ accountId: accountId.optional(), query: z.string().max(500), limit: z.number().int().min(1).max(200).default(50) }).strict(),
  /** private conversations (OTR), trust and verification: src-shared/ipc/otr-contract.ts */
  ...otrRequestSchemas,
  /** wake-ups (push account, handshake prompts, records): src-shared/ipc/push-contract.ts */
  ...pushRequestSchemas,
  /** verified group chats: src-shared/ipc/groups-contract.ts */
  ...groupsRequestSchemas,
  /** history around a message, typing, names, blocking, own presence (issue 15): src-shared/ipc/everyday-contract.ts */
  ...everydayRequestSchemas,
} as const;

export interface RequestOutputs extends OtrRequestOutputs, PushRequestOutputs, GroupsRequestOutputs, EverydayRequestOutputs {
  'app.snapshot': AppSnapshot;
  'account.add': AccountInfo;
  'account.certificate': ServerCertificate;
  'account.register': AccountInfo;
  'account.remove': null;
  'account.connect': AccountInfo;
  'account.disconnect': AccountInfo;
  'contact.add': Contact;
  'contact.approve': Contact;
  'contact.deny': null;
  'contact.remove': null;
  'messages.page': ChatMessage[];
  'messages.earlierFromServer': { messages: ChatMessage[]; complete: boolean };
  'message.send': ChatMessage;
  'account.nick.set': { accountId: string; nick: string };
  'account.nick.get': { accountId: string; nick: string };
  'conversation.markRead': null;
  'request.list': MessageRequest[];
  'request.accept': Contact;
  'request.block': null;
  'request.ignore': null;
  'messages.search': SearchResult[];
}

export type RequestName = keyof typeof requestSchemas;
export type RequestInput<K extends RequestName> = z.input<(typeof requestSchemas)[K]>;
export type ParsedRequest<K extends RequestName> = z.output<(typeof requestSchemas)[K]>;
export type RequestOutput<K extends RequestName> = RequestOutputs[K];

export const requestNames = Object.keys(requestSchemas) as RequestName[];
export function isRequestName(name: unknown): name is RequestName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(requestSchemas, name);
}

// ---- events (core -> renderer) --------------------------------------------------------------

export interface EventPayloads extends OtrEventPayloads, PushEventPayloads, GroupsEventPayloads, EverydayEventPayloads {
  'account.updated': AccountInfo;
  'account.removed': { accountId: string };
  'contact.updated': Contact;
  'contact.removed': { accountId: string; jid: string };
  'message.added': ChatMessage;
  'message.updated': ChatMessage;
  /** a message request appeared or got a new message */
  'request.updated': MessageRequest;
  /** a message request was decided (accepted, blocked, ignored) */
  'request.removed': { accountId: string; peer: string };
}
export type EventName = keyof EventPayloads;
export const eventNames: EventName[] = [
  'account.updated',
  'account.removed',
  'contact.updated',
  'contact.removed',
  'message.added',
  'message.updated',
  'request.updated',
  'request.removed',
  ...otrEventNames,
  ...pushEventNames,
  ...groupsEventNames,
  ...everydayEventNames,
];

export interface MessengerEvent<K extends EventName = EventName> {
  name: K;
  payload: EventPayloads[K];
}

// ---- the object the renderer talks to (window.messenger, or the WebSocket client) ------------

export interface MessengerApi {
  request<K extends RequestName>(name: K, input: RequestInput<K>): Promise<Result<RequestOutput<K>>>;
  /** returns a function that removes the listener */
  on<K extends EventName>(name: K, listener: (payload: EventPayloads[K]) => void): () => void;
}

// ---- what the core implements -----------------------------------------------------------------

export type RequestHandlers = { [K in RequestName]: (input: ParsedRequest<K>) => Promise<RequestOutput<K>> };

/** Electron channel names: one invoke channel for requests, one for events. */
export const IPC_REQUEST_CHANNEL = 'messenger:request';
export const IPC_EVENT_CHANNEL = 'messenger:event';
