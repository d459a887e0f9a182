// The bridge between one account's XMPP session (src-main/core/account/session.ts) and its OTR
// service: loads (or on first use generates) the account's keys (identity.ts), serialises
// every OTR operation (the libraries are synchronous state machines and must see events in
// order, even while the keys are still loading), and turns what the service wants to send into
// OTR stanzas (stanza.ts: body + XEP-0334 hints + carbons <private/> + XEP-0380).
import type { Element } from '@xmpp/xml';
import type { OtrDevices, OtrEventPayloads, OtrOfflineDevices, OtrPolicyName } from '../../../src-shared/ipc/otr-contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import type { KeyStore } from '../keychain/keychain';
import { systemRandom } from '../../../src-shared/node-crypto/dh-engines';
import { forgetStalePrekeys, type PrekeyRetention } from '../../../src-shared/otr/v4/identity';
import type { PrekeySecrets } from '../../../src-shared/otr/v4/prekey-message';
import { forgetDevice, listDevices, type DevicesContext } from './devices';
import { loadOrCreateIdentity, ourFingerprints, renewIdentityProfiles, saveIdentity, type IdentityVault, type OtrAccountIdentity } from './identity';
import type { OtrStore } from './otr-store';
import type { Outgoing } from './recovery';
import { OtrService } from './service';
import type { FetchedEnsembles, InboundTlv, OtrWire, ReceivedMessage } from './wire';
import { buildChat } from '../xmpp/messages/messages';
import { buildOtrMessage } from './stanza';

export interface OtrAccountDeps {
  accountId: string;
  ownJid: string;
  keys: KeyStore;
  store: OtrStore;
  /**
   * Writes a stanza on the account's stream; rejects when not connected. With `messageId` the
   * stanza carries that ChatMessage: 'tracked' when the server's XEP-0198 ack will mark it sent
   * (account/outbox.ts), 'written' when the write is all there is to know.
   */
  sendStanza(el: Element, messageId?: string): Promise<'tracked' | 'written'>;
  emit<K extends keyof OtrEventPayloads>(name: K, payload: OtrEventPayloads[K]): void;
  /** a stanza carrying this ChatMessage was written without XEP-0198 (encrypted unless the user chose clear) */
  onMessageSent(messageId: string, encrypted: boolean): void;
  /** writing the stanza of this ChatMessage in clear (the user's choice) failed */
  onMessageFailed(messageId: string): void;
  onMessageDiscarded(messageId: string): void;
  /** one of our one-time prekeys was used (after the identity without it is being written) */
  onPrekeyUsed?(): void;
  /** fetches a contact's prekey ensembles (the session's prekey lifecycle); rejects when offline */
  retrievePrekeys?(peer: string): Promise<FetchedEnsembles>;
  /** a TLV arrived that OTR does not act on itself (wire.ts InboundTlv) */
  onTlv?(tlv: InboundTlv): void;
  /** our encrypted messages to `peer` written but not confirmed by a receipt (otr/recovery.ts) */
  unconfirmed?(peer: string): Array<{ messageId: string; body: string; resent?: boolean; timestamp?: number }>;
  /** whether the contact's devices send receipts for our private messages (otr/recovery.ts) */
  confirmsReceipts?(peer: string): boolean;
  /** both of the above from one read of the history (otr/recovery.ts) */
  outgoing?(peer: string): Outgoing;
  /** a message goes out again in a new session (otr/recovery.ts) */
  onResent?(messageId: string): void;
  /** pins the key a prekey server presents now and publishes again (the session does it) */
  trustPrekeyServer?(server: string, fingerprint: string): Promise<void>;
  defaultPolicy?: OtrPolicyName;
  /** the contact's full JIDs that are available now (otr/fanout.ts: what we write goes to each) */
  presentResources?(peer: string): string[];
}

const bareOf = (jid: string): string => jid.split('/')[0]!.toLowerCase();
const resourceOf = (jid: string): string | undefined => jid.split('/')[1];

export class OtrAccount {
  private readonly service: Promise<OtrService>;
  /** the identity the service holds (one object: prekey secrets added here are the service's) */
  readonly identity: Promise<OtrAccountIdentity>;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly vault: IdentityVault;

  constructor(private readonly deps: OtrAccountDeps) {
    this.vault = { keys: deps.keys, store: deps.store };
    this.identity = loadOrCreateIdentity(this.vault, deps.accountId, systemRandom, Date.now);
    this.identity.catch(() => {});
    this.service = this.identity.then(
      (identity) =>
        new OtrService({
          accountId: deps.accountId,
          ownJid: deps.ownJid,
          identity,
          store: deps.store,
          online: false,
          ...(deps.defaultPolicy ? { defaultPolicy: deps.defaultPolicy } : {}),
          transport: (w) => this.transport(w),
          emit: (name, payload) => deps.emit(name, payload),
          // the stanza's write (transport below) reports the sending
          onQueuedSent: () => {},
          onQueuedDiscarded: (id) => deps.onMessageDiscarded(id),
          onPrekeyConsumed: () => {
            void this.persistIdentity();
            deps.onPrekeyUsed?.();
          },
          ...(deps.onTlv ? { onTlv: (t: InboundTlv) => deps.onTlv?.(t) } : {}),
          unconfirmed: (peer) => deps.unconfirmed?.(peer) ?? [],
          confirmsReceipts: (peer) => deps.confirmsReceipts?.(peer) ?? false,
          ...(deps.outgoing ? { outgoing: (peer: string) => deps.outgoing!(peer) } : {}),
          onResent: (id) => deps.onResent?.(id),
          ...(deps.presentResources ? { presentResources: (peer: string) => deps.presentResources?.(peer) ?? [] } : {}),
        }),
    );
    // a keychain failure surfaces on every call; keep it from being an unhandled rejection
    this.service.catch(() => {});
  }

  private transport(w: OtrWire): void {
    const messageId = w.messageId;
    const encrypted = !w.inClear;
    const stanza = w.inClear ? buildChat(w.to, w.id, w.body) : buildOtrMessage(w.to, w.id, w.body, { receipt: messageId !== undefined });
    // A private message is 'sent' once the server acknowledged its stanza (XEP-0198), not when it
    // was written: a server that dies with it unread loses it (bench/soak.ts saw this), and one
    // never acknowledged stays 'pending' and goes again, encrypted anew, when the account is
    // online on a new stream or after a restart (resendUnacked). A write that fails leaves it
    // pending for the same reason. In clear (the user's choice) it is sent or failed as before.
    this.deps.sendStanza(stanza, encrypted ? messageId : undefined).then(
      (how) => {
        if (messageId !== undefined && how === 'written') this.deps.onMessageSent(messageId, encrypted);
      },
      () => {
        if (messageId !== undefined && !encrypted) this.deps.onMessageFailed(messageId);
      },
    );
  }

  /** Runs `f` on the service after every earlier call (order of events is the protocol's order). */
  run<T>(f: (svc: OtrService) => T): Promise<T> {
    const next = this.chain.then(() => this.service).then(f);
    this.chain = next.catch(() => {});
    return next;
  }

  /**
   * Writes the identity as it is now to the profile, after whatever the service is doing (a used
   * one-time prekey is then gone from the stored copy too). A failure is reported, not thrown: the
   * next save retries it.
   */
  private persistIdentity(): Promise<void> {
    return this.run(async (): Promise<void> => {
      await saveIdentity(this.vault, this.deps.accountId, await this.identity);
    }).then(
      () => undefined,
      () => console.warn('otr: could not update the stored identity after a prekey was used'),
    );
  }

  /**
   * Keeps new one-time prekey secrets with the stored identity (otrv4.md §"Publishing
   * Prekey Ensembles": the secrets must exist before their prekey messages are published, so a
   * Non-Interactive-Auth naming one can be answered). In the OTR order, so the written identity
   * reflects every prekey consumed before it. Each is dated, so that it can be forgotten later.
   */
  savePrekeySecrets(secrets: PrekeySecrets[]): Promise<void> {
    return this.run(async (): Promise<void> => {
      const id = await this.identity;
      const now = Date.now();
      for (const s of secrets) id.v4.prekeys.set(s.id, { ...s, madeAt: s.madeAt ?? now });
      await saveIdentity(this.vault, this.deps.accountId, id);
    }).then(() => undefined);
  }

  /** forgets prekey secrets nobody can use any more (prekey/lifecycle.ts PREKEY_RETENTION); how many */
  forgetStalePrekeys(retention: PrekeyRetention): Promise<number> {
    return this.run(async (): Promise<number> => {
      const id = await this.identity;
      const n = forgetStalePrekeys(id.v4, Date.now(), retention);
      if (n > 0) await saveIdentity(this.vault, this.deps.accountId, id);
      return n;
    }).then((n) => n);
  }

  /**
   * Renews the OTRv4 client and prekey profiles when they are within a day of expiring (otrv4.md
   * §"Client Profile Expiration and Renewal"; the client profile stays transitional, identity.ts renewIdentityProfiles)
   * and writes the identity; true when renewed. The prekey lifecycle publishes the new profiles.
   */
  renewProfiles(): Promise<boolean> {
    return this.run(async (): Promise<boolean> => {
      const id = await this.identity;
      if (!renewIdentityProfiles(id, systemRandom, Date.now())) return false;
      await saveIdentity(this.vault, this.deps.accountId, id);
      return true;
    }).then((x) => x);
  }

  /**
   * The devices of an offline contact (otr.offline.devices). The fetch runs outside the OTR
   * order (it waits on the network); its result is applied in order.
   */
  async offlineDevices(peer: string): Promise<OtrOfflineDevices> {
    if (!this.deps.retrievePrekeys) throw new MessengerError('not-connected', 'The account is not connected.');
    const fetched = await this.deps.retrievePrekeys(peer);
    return this.run((s) => s.offlineDevices(peer, fetched));
  }

  /** otr.prekeyServer.trust */
  async trustPrekeyServer(server: string, fingerprint: string): Promise<{ server: string }> {
    if (!this.deps.trustPrekeyServer) throw new MessengerError('not-connected', 'The account is not connected.');
    await this.deps.trustPrekeyServer(server, fingerprint);
    return { server };
  }

  /** otr.devices / otr.devices.forget (otr/devices.ts): peer absent is our own devices */
  devices(peer?: string): Promise<OtrDevices> {
    return this.run(async () => listDevices(await this.devicesContext(), peer ?? bareOf(this.deps.ownJid))).then((d) => d);
  }

  forgetDevice(peer: string | undefined, instanceTag: number): Promise<OtrDevices> {
    return this.run(async () => forgetDevice(await this.devicesContext(), peer ?? bareOf(this.deps.ownJid), instanceTag)).then((d) => d);
  }

  private async devicesContext(): Promise<DevicesContext> {
    const id = await this.identity;
    const { accountId, store } = this.deps;
    return {
      accountId,
      ownBare: bareOf(this.deps.ownJid),
      devices: store.devices,
      isVerified: (peer, fp) => store.isVerified(accountId, peer, fp),
      self: {
        instanceTag: id.instanceTag,
        fingerprint: ourFingerprints(id).v4,
        ...(resourceOf(this.deps.ownJid) ? { resource: resourceOf(this.deps.ownJid)! } : {}),
      },
      now: Date.now(),
    };
  }

  receive(fromFull: string, body: string): Promise<ReceivedMessage[]> {
    return this.run((s) => s.receive(fromFull, body));
  }

  setOnline(online: boolean): Promise<void> {
    return this.run((s) => s.setOnline(online));
  }

  /** before the profile database closes: nothing of the service runs on it afterwards */
  close(): Promise<void> {
    return this.run((s) => s.close()).catch(() => {});
  }
}
