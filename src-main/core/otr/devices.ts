// The devices page (issue 15, "Devices"): each device of a contact, and of oneself, that took part
// in a private conversation. A device is an OTR instance tag (OTRv3 §"Instance Tags", OTRv4
// §"Instance Tags": each client installation picks its own), with the long-term key it used,
// when it was first and last seen in a private session, and whether that key is verified (trust
// stays per key, in otr_fingerprints). A device not seen for STALE_AFTER_MS is stale: shown, but
// never first, so a removed installation does not sit at the top of the list as "Verified".
// "Forget this device" deletes its record, and the key's trust when no other device uses it: the
// device, if it comes back, is a new key to verify again.
import type { Database } from '@signalapp/sqlcipher';
import type { OtrDevice, OtrDevices } from '../../../src-shared/ipc/otr-contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import { every, int, text, textOrNull, type Row } from '../store/rows';

/** 30 days: a device silent this long is probably gone (issue 15) */
export const STALE_AFTER_MS = 30 * 24 * 3600 * 1000;
/** last_seen is written at most once a minute per device while messages flow */
const TOUCH_EVERY_MS = 60_000;

export interface DeviceRow {
  instanceTag: number;
  fingerprint: string;
  version: 3 | 4;
  firstSeen: number;
  lastSeen: number;
  /** the XMPP resource it last wrote from (RFC 6120 §1.4): the name the device's client chose */
  name?: string;
}

const toRow = (r: Row): DeviceRow => ({
  ...(textOrNull(r, 'resource') ? { name: textOrNull(r, 'resource')! } : {}),
  instanceTag: int(r, 'instance_tag'),
  fingerprint: text(r, 'fingerprint'),
  version: int(r, 'version') === 3 ? 3 : 4,
  firstSeen: int(r, 'first_seen'),
  lastSeen: int(r, 'last_seen'),
});

export class OtrDeviceStore {
  /** `db`: the profile database, migrated (store/migrations.ts, table otr_devices) */
  constructor(private readonly db: Database) {}

  /** a private session with the device came up; a new key under a known tag starts it afresh */
  seen(accountId: string, peer: string, instanceTag: number, fingerprint: string, version: 3 | 4, now: number, resource?: string): void {
    this.db
      .prepare(
        `INSERT INTO otr_devices (account_id, peer, instance_tag, fingerprint, version, first_seen, last_seen, resource) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_id, peer, instance_tag) DO UPDATE SET
           first_seen = CASE WHEN otr_devices.fingerprint = excluded.fingerprint THEN otr_devices.first_seen ELSE excluded.first_seen END,
           fingerprint = excluded.fingerprint, version = excluded.version, last_seen = excluded.last_seen,
           resource = coalesce(excluded.resource, otr_devices.resource)`,
      )
      .run([accountId, peer, instanceTag, fingerprint, version, now, now, resource ?? null]);
  }

  /** an encrypted message came from the device */
  touch(accountId: string, peer: string, instanceTag: number, now: number): void {
    this.db
      .prepare('UPDATE otr_devices SET last_seen = ? WHERE account_id = ? AND peer = ? AND instance_tag = ? AND last_seen < ?')
      .run([now, accountId, peer, instanceTag, now - TOUCH_EVERY_MS]);
  }

  rows(accountId: string, peer: string): DeviceRow[] {
    return every(this.db.prepare('SELECT * FROM otr_devices WHERE account_id = ? AND peer = ?').all([accountId, peer]), toRow);
  }

  /** false when there was no such device */
  forget(accountId: string, peer: string, instanceTag: number): boolean {
    return this.db.transaction(() => {
      const row = this.rows(accountId, peer).find((d) => d.instanceTag === instanceTag);
      if (!row) return false;
      this.db.prepare('DELETE FROM otr_devices WHERE account_id = ? AND peer = ? AND instance_tag = ?').run([accountId, peer, instanceTag]);
      const shared = this.db
        .prepare('SELECT 1 FROM otr_devices WHERE account_id = ? AND peer = ? AND fingerprint = ?', { pluck: true })
        .get([accountId, peer, row.fingerprint]);
      if (shared === undefined) {
        this.db.prepare('DELETE FROM otr_fingerprints WHERE account_id = ? AND peer = ? AND fingerprint = ?').run([accountId, peer, row.fingerprint]);
      }
      return true;
    })();
  }
}

/** Active devices first (most recently seen first), then the stale ones; this device always leads. */
export function deviceList(rows: readonly DeviceRow[], isVerified: (fp: string) => boolean, now: number, thisDevice?: number): OtrDevice[] {
  const list = rows.map((r): OtrDevice => ({
    ...r,
    verified: isVerified(r.fingerprint),
    stale: r.instanceTag !== thisDevice && now - r.lastSeen > STALE_AFTER_MS,
    ...(r.instanceTag === thisDevice ? { thisDevice: true } : {}),
  }));
  const rank = (d: OtrDevice) => (d.thisDevice ? 0 : d.stale ? 2 : 1);
  return list.sort((a, b) => rank(a) - rank(b) || b.lastSeen - a.lastSeen || a.instanceTag - b.instanceTag);
}

export interface DevicesContext {
  accountId: string;
  /** our own bare JID: the page "for oneself" lists our devices under it */
  ownBare: string;
  devices: OtrDeviceStore;
  isVerified(peer: string, fp: string): boolean;
  /** this installation: its instance tag, OTRv4 fingerprint and XMPP resource */
  self: { instanceTag: number; fingerprint: string; resource?: string };
  now: number;
}

/** otr.devices: a contact's devices, or ours (peer = our own bare JID), this one included */
export function listDevices(ctx: DevicesContext, peer: string): OtrDevices {
  const own = peer === ctx.ownBare;
  if (own) ctx.devices.seen(ctx.accountId, peer, ctx.self.instanceTag, ctx.self.fingerprint, 4, ctx.now, ctx.self.resource);
  const rows = ctx.devices.rows(ctx.accountId, peer);
  // our own key is ours: "verified" by definition on this device
  const isVerified = (fp: string) => (own && fp === ctx.self.fingerprint) || ctx.isVerified(peer, fp);
  return {
    accountId: ctx.accountId,
    peer,
    own,
    staleAfterDays: STALE_AFTER_MS / (24 * 3600 * 1000),
    devices: deviceList(rows, isVerified, ctx.now, own ? ctx.self.instanceTag : undefined),
  };
}

/** otr.devices.forget; this device cannot be forgotten from itself */
export function forgetDevice(ctx: DevicesContext, peer: string, instanceTag: number): OtrDevices {
  if (peer === ctx.ownBare && instanceTag === ctx.self.instanceTag) {
    throw new MessengerError('invalid-argument', 'This device cannot forget itself. Remove the account to do that.');
  }
  if (!ctx.devices.forget(ctx.accountId, peer, instanceTag)) throw new MessengerError('not-found', 'That device is not known.');
  return listDevices(ctx, peer);
}
