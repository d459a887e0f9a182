// What the OTR service tells the user about a conversation (otr.notice events) and the last few
// notices per conversation, kept so that a window that was not listening can fetch them
// (otr.notices). A notice about the account itself (a changed prekey server key) has our own
// bare JID as its peer.
import { randomUUID } from 'node:crypto';
import type { OtrEventPayloads, OtrNotice, OtrNoticeKind } from '../../../src-shared/ipc/otr-contract';
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
  raise(peer: string, kind: OtrNoticeKind, message: string, about?: { fingerprint?: string | undefined; server?: string | undefined }): void;
  /** a notice about the account itself (its peer is our own bare JID) */
  account(kind: OtrNoticeKind, message: string, about?: { fingerprint?: string; server?: string }): void;
  /** every conversation's recent notices, oldest first */
  recent(): OtrNotice[];
}

export function createNotices(deps: NoticesDeps): Notices {
  const recent = new Map<string, OtrNotice[]>();
  const raise: Notices['raise'] = (peer, kind, message, about = {}) => {
    const { fingerprint, server } = about;
    const n: OtrNotice = { id: randomUUID(), at: deps.clock(), accountId: deps.accountId, peer, kind, message, ...(fingerprint ? { fingerprint } : {}), ...(server ? { server } : {}) };
    const list = recent.get(peer) ?? [];
    list.push(n);
    if (list.length > RECENT_NOTICES_PER_PEER) list.shift();
    recent.set(peer, list);
    deps.emit('otr.notice', n);
  };
  return {
    raise,
    account: (kind, message, about = {}) => raise(deps.ownBare, kind, message, about),
    recent: () => [...recent.values()].flat().sort((a, b) => a.at - b.at),
  };
}
