// The rows of the profile database's core tables as the core reads them: accounts, contacts and
// messages, each decoded through rows.ts so that a row of the wrong shape is a typed error.
import type { ChatMessage, DeliveryState, Subscription } from '../../../src-shared/ipc/contract';
import { int, intOrNull, oneOf, text, textOrNull, type Row } from './rows';

export interface AccountRow {
  id: string;
  jid: string;
  host: string | null;
  port: number | null;
  resource: string;
  created_at: number;
  /** 0 once the user took the account offline; 1 again when they connect it (default 1) */
  connect_at_start?: number;
}

export interface ContactRow {
  account_id: string;
  jid: string;
  name: string | null;
  subscription: Subscription;
  pending_out: number;
  pending_in: number;
  in_roster: number;
  /** the nickname the contact published (XEP-0172), shown where `name` is empty */
  nick?: string | null;
}

const SUBSCRIPTIONS: readonly Subscription[] = ['none', 'to', 'from', 'both'];
const DELIVERY: readonly DeliveryState[] = ['pending', 'sent', 'delivered', 'failed'];

export function toAccount(r: Row): AccountRow {
  const connect = intOrNull(r, 'connect_at_start');
  return {
    id: text(r, 'id'),
    jid: text(r, 'jid'),
    host: textOrNull(r, 'host'),
    port: intOrNull(r, 'port'),
    resource: text(r, 'resource'),
    created_at: int(r, 'created_at'),
    ...(connect !== null ? { connect_at_start: connect } : {}),
  };
}

export function toContact(r: Row): ContactRow {
  return {
    account_id: text(r, 'account_id'),
    jid: text(r, 'jid'),
    name: textOrNull(r, 'name'),
    nick: 'nick' in r ? textOrNull(r, 'nick') : null,
    subscription: oneOf(r, 'subscription', SUBSCRIPTIONS),
    pending_out: int(r, 'pending_out'),
    pending_in: int(r, 'pending_in'),
    in_roster: int(r, 'in_roster'),
  };
}

export function toMessage(r: Row): ChatMessage {
  return {
    id: text(r, 'id'),
    accountId: text(r, 'account_id'),
    peer: text(r, 'peer'),
    direction: oneOf(r, 'direction', ['in', 'out'] as const),
    body: text(r, 'body'),
    timestamp: int(r, 'timestamp'),
    delivery: oneOf(r, 'delivery', DELIVERY),
    encrypted: int(r, 'encrypted') === 1,
    // present only when set, as on the update that first said so (issue 13, recovery)
    ...(int(r, 'resent') === 1 ? { resent: true } : {}),
    ...('elsewhere' in r && int(r, 'elsewhere') === 1 ? { elsewhere: true } : {}),
    // issue 13, several devices: the reply's device, as it was shown when it arrived
    ...('device' in r && textOrNull(r, 'device') !== null ? { device: textOrNull(r, 'device')! } : {}),
  };
}
