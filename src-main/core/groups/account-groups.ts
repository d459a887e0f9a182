// Groups for one account of the core, on the account's own XMPP stream (one account = one
// stream; docs/groups.md §"The client and the UI"): the createGroups façade gets its transport
// from the account session's hook (account/session.ts liveClient / attachFeature), so group
// traffic follows the session across its reconnects (xmpp.js reconnects the same client; a
// disconnect and connect makes a new one). Every group connects again and catches up from the
// service's log on each 'online', new session or resumption. The identity is the account's
// OTRv4 key (otr/identity.ts' exported API), trust is the OTR store's (verified fingerprints of
// the account's contacts), state and timeline live in the profile database.
import { systemRandom } from '../../../src-shared/node-crypto/dh-engines';
import type { EventName, EventPayloads } from '../../../src-shared/ipc/contract';
import type { KeyStore } from '../keychain/keychain';
import { loadOrCreateIdentity } from '../otr/identity';
import type { OtrStore } from '../otr/otr-store';
import type { AccountRow, Store } from '../store/store';
import { createGroups, type Groups } from './groups';
import { groupIdentityOf } from './identity';
import { GroupStore } from './store';
import { groupTransportOfSession, type LiveSession } from './transport';
import { trustFromOtrStore } from './trust';

export interface AccountGroupsDeps {
  account: AccountRow;
  /** the account's session (its one stream) */
  session: LiveSession;
  keys: KeyStore;
  otrStore: OtrStore;
  store: Store;
  groupStore: GroupStore;
  emit: <K extends EventName>(name: K, payload: EventPayloads[K]) => void;
  log?: (line: string) => void;
}

export interface AccountGroups {
  readonly groups: Groups;
  /** tells each group service we go away (while the stream is still up), stops listening */
  close(): Promise<void>;
}

export function accountGroups(d: AccountGroupsDeps): AccountGroups {
  const groups = createGroups({
    accountId: d.account.id,
    accountJid: d.account.jid,
    transport: groupTransportOfSession(d.session),
    identity: async () => groupIdentityOf(await loadOrCreateIdentity({ keys: d.keys, store: d.otrStore }, d.account.id, systemRandom, Date.now)),
    trust: trustFromOtrStore(d.otrStore, d.account.id, () => d.store.contacts(d.account.id).map((x) => x.jid)),
    store: d.groupStore,
    emit: (name, payload) => d.emit(name, payload as EventPayloads[typeof name]),
    ...(d.log ? { log: d.log } : {}),
  });
  const detach = d.session.attachFeature({ onOnline: () => void groups.online() });
  // already online when the groups come up (an account added in this run): catch up now
  if (d.session.liveClient) void groups.online();
  return {
    groups,
    async close() {
      detach();
      await groups.close().catch(() => undefined);
    },
  };
}
