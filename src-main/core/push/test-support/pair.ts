// Two sides of a push handshake for unit tests: each with its own in-memory database and a fake
// OTR link that hands every TLV to the other side, with the same extra symmetric key on both
// ends as a real OTR session would derive (the OTR session itself is tested in src-shared/otr).
import { migrate } from '../../store/migrations';
import { Database } from '@signalapp/sqlcipher';
import { PushHandshake, type HandshakeEvent, type OtrPushLink } from '../handshake';
import { PushStore } from '../push-store';
import { deriveSharedKey, PUSH_KEY_USE, type ExtraSymmetricKeyInput } from '../shared-key';

export interface Side {
  jid: string;
  store: PushStore;
  hs: PushHandshake;
  events: HandshakeEvent[];
  sent: Array<{ value: Uint8Array; withKey: boolean }>;
  issued: string[];
  revoked: string[];
  link: OtrPushLink | undefined;
  db: Database;
}

export function makePair(opts: { version?: 3 | 4 } = {}) {
  const version = opts.version ?? 4;
  let counter = 0;
  let clock = 1_000_000;
  const mk = (jid: string, push: { name: string; endpoint: string }): Side => {
    const db = new Database(':memory:');
    migrate(db);
    const store = new PushStore(db);
    const side = { jid, store, events: [], sent: [], issued: [], revoked: [], link: undefined, db } as unknown as Side;
    side.hs = new PushHandshake({
      store,
      ourInfo: () => ({ accountName: jid, pushName: push.name, apiEndpoint: push.endpoint }),
      issueToken: async () => {
        const t = (++counter).toString(16).padStart(40, '0');
        side.issued.push(t);
        return t;
      },
      revokeToken: async (_a, t) => {
        side.revoked.push(t);
      },
      derive: deriveSharedKey,
      now: () => clock++,
      emit: (e) => side.events.push(e),
      otr: () => side.link,
    });
    store.setAccount({ account_id: 'acc', api_endpoint: push.endpoint, push_name: push.name, device_id: null, created_at: 0 });
    return side;
  };
  const alice = mk('alice@a.test', { name: 'alice', endpoint: 'https://push.a.test/api/v1/' });
  const bob = mk('bob@b.test', { name: 'bob', endpoint: 'https://push.b.test/api/v1/' });
  /** TLVs in flight, delivered by flush() (as messages would be, later and in order) */
  const wire: Array<() => Promise<void>> = [];
  const connect = (from: Side, to: Side): OtrPushLink => ({
    async sendPushTlv(_accountId, _peer, value, { withKey }) {
      from.sent.push({ value, withKey });
      let key: ExtraSymmetricKeyInput | undefined;
      if (withKey) {
        const extraSymKey = Uint8Array.from({ length: version === 4 ? 64 : 32 }, () => Math.floor(Math.random() * 256));
        key = { version, extraSymKey, tlvIndex: 1, context: PUSH_KEY_USE };
      }
      wire.push(() => to.hs.received('acc', from.jid, value, key));
      return key ? { key } : {};
    },
  });
  alice.link = connect(alice, bob);
  bob.link = connect(bob, alice);
  const flush = async () => {
    while (wire.length) await wire.shift()!();
  };
  return { alice, bob, flush, setClock: (t: number) => (clock = t) };
}
