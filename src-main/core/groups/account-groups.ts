// Groups for one account of the core: the createGroups façade on its own XMPP stream (resource
// "<account resource>-groups"), so that groups need nothing from the account session's
// internals; the identity is the account's OTRv4 key (otr/identity.ts' exported API), trust is
// the OTR store's (verified fingerprints of the account's contacts), state and timeline live in
// the profile database. The stream reconnects by itself (xmpp.js reconnect) and every group
// reconnects and catches up on each 'online'.
import { systemRandom } from '../../../src-shared/node-crypto/dh-engines';
import type { EventName, EventPayloads } from '../../../src-shared/ipc/contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import type { KeyStore } from '../keychain/keychain';
import { loadOrCreateIdentity } from '../otr/identity';
import type { OtrStore } from '../otr/otr-store';
import type { AccountRow, Store } from '../store/store';
import { createClient, type XmppClient } from '../xmpp/client/client';
import { resolveEndpoints } from '../xmpp/resolve/resolve';
import { createGroups, type Groups } from './groups';
import { groupIdentityOf } from './identity';
import { GroupStore } from './store';
import { groupTransportOf } from './transport';
import { trustFromOtrStore } from './trust';

export interface AccountGroupsDeps {
  account: AccountRow;
  password: string;
  extraCaPem?: string | undefined;
  keys: KeyStore;
  otrStore: OtrStore;
  store: Store;
  groupStore: GroupStore;
  emit: <K extends EventName>(name: K, payload: EventPayloads[K]) => void;
}

export interface AccountGroups {
  /** the façade once the groups stream is online */
  groups(): Promise<Groups>;
  close(): Promise<void>;
}

export function accountGroups(d: AccountGroupsDeps): AccountGroups {
  let client: XmppClient | null = null;
  let ready: Promise<Groups> | null = null;
  let facade: Groups | null = null;

  const start = async (): Promise<Groups> => {
    const [local, domain] = d.account.jid.split('@') as [string, string];
    const [endpoint] = await resolveEndpoints(domain, { host: d.account.host, port: d.account.port });
    if (!endpoint) throw new MessengerError('server-unreachable', `${domain} offers no XMPP service.`);
    const c = createClient({
      domain,
      host: endpoint.host,
      port: endpoint.port,
      extraCaPem: d.extraCaPem,
      credentials: { username: local, password: d.password },
      resource: `${d.account.resource}-groups`,
    });
    client = c;
    const g = createGroups({
      accountId: d.account.id,
      accountJid: d.account.jid,
      transport: groupTransportOf(c),
      identity: async () => groupIdentityOf(await loadOrCreateIdentity({ keys: d.keys, store: d.otrStore }, d.account.id, systemRandom, Date.now)),
      trust: trustFromOtrStore(d.otrStore, d.account.id, () => d.store.contacts(d.account.id).map((x) => x.jid)),
      store: d.groupStore,
      emit: (name, payload) => d.emit(name, payload as EventPayloads[typeof name]),
    });
    facade = g;
    c.entity.on('online', () => void g.online());
    await c.entity.start();
    return g;
  };

  return {
    groups() {
      ready ??= start().catch((e: unknown) => {
        ready = null;
        throw e instanceof MessengerError ? e : new MessengerError('server-unreachable', 'The group connection could not be opened.');
      });
      return ready;
    },
    async close() {
      await facade?.close().catch(() => undefined);
      client?.reconnect?.stop();
      await client?.entity.stop().catch(() => undefined);
      client = null;
      ready = null;
    },
  };
}
