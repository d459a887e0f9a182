// What the OTR service tells the user about a conversation (otr.notice events) and the last few
// notices per conversation, kept so that a window that was not listening can fetch them
// (otr.notices). A notice is a code and its data (OtrNoticeData); the renderer words it. A
// notice about the account itself (a changed prekey server key) has our own bare JID as its peer.
import { randomUUID } from 'node:crypto';
import type { OtrEventPayloads, OtrNotice, OtrNoticeData } from '../../../src-shared/ipc/otr-contract';
import type { Clock } from '../../../src-shared/otr/common/random';

/** notices kept per conversation for otr.notices (the renderer keeps as many) */
export const RECENT_NOTICES_PER_PEER = 20;

export interface NoticesDeps {
  accountId: string;
  /** our own bare JID: the peer of an account notice */
  ownBare: string;
  clock: Clock;
  emit(name: 'otr.notice', payload: OtrEventPayloads['otr.notice']): void;
}

export interface Notices {
  raise(peer: string, data: OtrNoticeData): void;
  /** a notice about the account itself (its peer is our own bare JID) */
  account(data: OtrNoticeData): void;
  /** every conversation's recent notices, oldest first */
  recent(): OtrNotice[];
}

export function createNotices(deps: NoticesDeps): Notices {
  const recent = new Map<string, OtrNotice[]>();
  const raise: Notices['raise'] = (peer, data) => {
    const n: OtrNotice = { id: randomUUID(), at: deps.clock(), accountId: deps.accountId, peer, ...data };
    const list = recent.get(peer) ?? [];
    list.push(n);
    if (list.length > RECENT_NOTICES_PER_PEER) list.shift();
    recent.set(peer, list);
    deps.emit('otr.notice', n);
  };
  return {
    raise,
    account: (data) => raise(deps.ownBare, data),
    recent: () => [...recent.values()].flat().sort((a, b) => a.at - b.at),
  };
}
