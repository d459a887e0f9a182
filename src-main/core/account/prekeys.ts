// This device's prekeys for the account's current session (docs/prekey-server.md): in the
// background, never failing the login, publish this device's profiles and prekey messages to
// our own domain's prekey server (prekey/lifecycle.ts), keep the stock topped up when a contact
// used one, fetch a contact's ensembles for an offline start, and re-pin the server's key when
// the user accepts a new one.
import { MessengerError } from '../../../src-shared/ipc/result';
import type { KeyStore } from '../keychain/keychain';
import type { OtrAccount } from '../otr/account';
import type { FetchedEnsembles } from '../otr/wire';
import { PrekeyError } from '../prekey/client';
import { repinPrekeyServer, startPrekeyLifecycle, type PrekeyLifecycle } from '../prekey/lifecycle';
import type { XmppClient } from '../xmpp/client/client';

export interface AccountPrekeysDeps {
  accountId: string;
  jid: string;
  keys: KeyStore;
  otr(): OtrAccount;
  /** the client while the account is online, else null */
  online(): XmppClient | null;
}

export class AccountPrekeys {
  private lifecycle: PrekeyLifecycle | null = null;
  /** a prekey of ours was used while no lifecycle ran (see used) */
  private usedMeanwhile = false;

  constructor(private readonly deps: AccountPrekeysDeps) {}

  /** a new session is online: publish (or check) this device's prekeys */
  start(client: XmppClient): void {
    this.lifecycle?.close();
    const otr = this.deps.otr();
    const prekeys = startPrekeyLifecycle({
      accountId: this.deps.accountId,
      client,
      keys: this.deps.keys,
      identity: () => otr.identity,
      savePrekeySecrets: (s) => otr.savePrekeySecrets(s),
      forgetStalePrekeys: (r) => otr.forgetStalePrekeys(r),
      renewProfiles: () => otr.renewProfiles(),
    });
    this.lifecycle = prekeys;
    if (this.usedMeanwhile) {
      this.usedMeanwhile = false;
      void prekeys.replenish();
    }
    void prekeys.done.then((o) => {
      if (o.outcome !== 'fingerprint-changed' || this.lifecycle !== prekeys) return;
      // an account-level warning: the notice's peer is our own address
      const notice = { kind: 'prekey-server-changed', server: o.server, fingerprint: o.announced.toLowerCase(), whose: 'own' } as const;
      void otr.run((s) => s.accountNotice(notice)).catch(() => {});
    });
  }

  /** the session is going away */
  close(): void {
    this.lifecycle?.close();
    this.lifecycle = null;
  }

  /**
   * A contact started a conversation from one of our prekeys: keep the stock topped up. The
   * messages that waited for us arrive with the initial presence, before the prekey lifecycle
   * of this session exists: then the check runs once it does.
   */
  used(): void {
    if (this.lifecycle) void this.lifecycle.replenish();
    else this.usedMeanwhile = true;
  }

  /** pins the key the prekey server presents now; a new lifecycle reads it and publishes again */
  async trust(server: string, fingerprint: string): Promise<void> {
    await repinPrekeyServer(this.deps.keys, this.deps.accountId, server, fingerprint);
    const client = this.deps.online();
    if (client) this.start(client);
  }

  /** a contact's prekey ensembles (otr.offline.devices) */
  async retrieve(peer: string): Promise<FetchedEnsembles> {
    const lifecycle = this.lifecycle;
    if (!lifecycle || !this.deps.online()) throw new MessengerError('not-connected', `${this.deps.jid} is not connected.`);
    try {
      return await lifecycle.retrieve(peer);
    } catch (err) {
      throw prekeyFailure(err, peer);
    }
  }
}

/** a prekey client failure as the user should read it (prekey/client.ts PrekeyErrorCode) */
function prekeyFailure(err: unknown, peer: string): MessengerError {
  if (err instanceof MessengerError) return err;
  if (err instanceof PrekeyError) {
    if (err.code === 'timeout') return new MessengerError('timeout', `The prekey server of ${peer}'s server did not answer. Try again later.`);
    if (err.code === 'refused')
      return new MessengerError('otr-error', `The prekey server of ${peer}'s server refused to answer (too many requests?). Try again later.`);
    return new MessengerError('otr-error', `The prekey server of ${peer}'s server answered with something unusable (${err.code}).`);
  }
  return new MessengerError('internal', "Looking up the contact's devices failed.");
}
