// SqliteStorage's account tables (sqlite.ts): accounts, login tokens, devices and whitelist
// tokens. Writes go through the connection's group commit (sqlite-connection.ts).
//
// The devices of a push_name are cached (issue 17: a relayed knock read the account and then
// its devices, ≈ 6 % of the receiving server's time). One process owns the file, so every change
// passes through here: each write that adds, changes or removes a device or an account clears
// the cache when it runs in the group commit, before any later read. A read between a write's
// call and its commit sees the old rows, as it would without the cache.
import type { DeviceKind } from '../../../src-shared/push/wire';
import { toAccount, toDevice, toToken, tokenParams } from './rows';
import { DEVICES_BY_NAME_SQL, INSERT_TOKEN_SQL } from './schema';
import type { SqliteConnection } from './sqlite-connection';
import type { AccountRow, DevicePatch, DeviceRow, NewDevice, WhitelistTokenRow } from './types';

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

/** push_names whose devices are kept; past it the cache starts over (a bound on memory) */
const DEVICE_CACHE_MAX = 10_000;

export class SqliteAccounts {
  readonly #c: SqliteConnection;
  readonly #byName = new Map<string, ReadonlyArray<DeviceRow>>();

  constructor(c: SqliteConnection) {
    this.#c = c;
  }

  createAccount(a: AccountRow): Promise<boolean> {
    return this.#c.write(
      () =>
        this.#c.run('INSERT INTO accounts (id, push_name, password_hash, email, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (push_name) DO NOTHING', [
          a.id,
          a.pushName,
          a.passwordHash,
          a.email,
          a.createdAt,
        ]) === 1,
    );
  }
  accountByName(pushName: string): AccountRow | null {
    const r = this.#c.get('SELECT * FROM accounts WHERE push_name = ?', [pushName]);
    return r ? toAccount(r) : null;
  }
  accountById(id: string): AccountRow | null {
    const r = this.#c.get('SELECT * FROM accounts WHERE id = ?', [id]);
    return r ? toAccount(r) : null;
  }
  deleteAccount(id: string): Promise<void> {
    return this.#c.write(() =>
      this.#c.transaction(() => {
        this.#byName.clear();
        this.#c.run('DELETE FROM outbox WHERE account_id = ?', [id]);
        // foreign keys cascade to auth tokens, devices and whitelist tokens
        this.#c.run('DELETE FROM accounts WHERE id = ?', [id]);
      }),
    );
  }

  async putAuthToken(hash: string, accountId: string, createdAt: number, expiresAt: number): Promise<void> {
    await this.#c.write(() =>
      this.#c.run('INSERT INTO auth_tokens (hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)', [hash, accountId, createdAt, expiresAt]),
    );
  }
  accountByAuthToken(hash: string, now: number): AccountRow | null {
    const r = this.#c.get('SELECT a.* FROM auth_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.hash = ? AND t.expires_at > ?', [hash, now]);
    return r ? toAccount(r) : null;
  }
  async deleteAuthToken(hash: string): Promise<void> {
    await this.#c.write(() => this.#c.run('DELETE FROM auth_tokens WHERE hash = ?', [hash]));
  }

  createDevice(d: NewDevice, max: number): Promise<boolean> {
    // counted inside the write: the group commit runs writes one after another in one
    // transaction, so each count sees the devices the writes before it added
    return this.#c.write(() => {
      if (num(this.#c.get('SELECT count(*) AS n FROM devices WHERE account_id = ?', [d.accountId])?.n) >= max) return false;
      this.#byName.clear();
      this.#c.run(
        'INSERT INTO devices (id, account_id, kind, registration_id, channel_hash, name, device_id, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [d.id, d.accountId, d.kind, d.registrationId, d.channelHash, d.name, d.deviceId, d.active ? 1 : 0, d.createdAt],
      );
      return true;
    });
  }
  devices(accountId: string, kind?: DeviceKind): DeviceRow[] {
    const rows = kind
      ? this.#c.all('SELECT * FROM devices WHERE account_id = ? AND kind = ? ORDER BY created_at, id', [accountId, kind])
      : this.#c.all('SELECT * FROM devices WHERE account_id = ? ORDER BY created_at, id', [accountId]);
    return rows.map(toDevice);
  }
  devicesByName(pushName: string): ReadonlyArray<DeviceRow> {
    const hit = this.#byName.get(pushName);
    if (hit) return hit;
    const rows = Object.freeze(this.#c.all(DEVICES_BY_NAME_SQL, [pushName]).map(toDevice));
    if (this.#byName.size >= DEVICE_CACHE_MAX) this.#byName.clear();
    this.#byName.set(pushName, rows);
    return rows;
  }
  device(id: string): DeviceRow | null {
    const r = this.#c.get('SELECT * FROM devices WHERE id = ?', [id]);
    return r ? toDevice(r) : null;
  }
  deviceByChannelHash(hash: string): DeviceRow | null {
    if (!hash) return null;
    const r = this.#c.get("SELECT * FROM devices WHERE channel_hash = ? AND kind = 'desktop'", [hash]);
    return r ? toDevice(r) : null;
  }
  async updateDevice(id: string, p: DevicePatch): Promise<void> {
    await this.#c.write(() => {
      this.#byName.clear();
      this.#c.run(
        `UPDATE devices SET registration_id = coalesce(?, registration_id), name = coalesce(?, name),
           device_id = coalesce(?, device_id), active = coalesce(?, active) WHERE id = ?`,
        [p.registrationId ?? null, p.name ?? null, p.deviceId ?? null, p.active === undefined ? null : p.active ? 1 : 0, id],
      );
    });
  }
  deleteDevice(id: string): Promise<void> {
    return this.#c.write(() =>
      this.#c.transaction(() => {
        this.#byName.clear();
        this.#c.run("DELETE FROM outbox WHERE target = 'device' AND target_id = ?", [id]);
        this.#c.run('DELETE FROM devices WHERE id = ?', [id]);
      }),
    );
  }

  createWhitelistToken(t: WhitelistTokenRow, max: number): Promise<boolean> {
    return this.#c.write(() => {
      if (num(this.#c.get('SELECT count(*) AS n FROM whitelist_tokens WHERE account_id = ?', [t.accountId])?.n) >= max) return false;
      this.#c.run(INSERT_TOKEN_SQL, tokenParams(t));
      return true;
    });
  }
  whitelistTokens(accountId: string): WhitelistTokenRow[] {
    return this.#c.all('SELECT * FROM whitelist_tokens WHERE account_id = ? ORDER BY created_at, id', [accountId]).map(toToken);
  }
  whitelistTokenByHash(hash: string): WhitelistTokenRow | null {
    const r = this.#c.get('SELECT * FROM whitelist_tokens WHERE hash = ?', [hash]);
    return r ? toToken(r) : null;
  }
  async deleteWhitelistToken(id: string): Promise<void> {
    await this.#c.write(() => this.#c.run('DELETE FROM whitelist_tokens WHERE id = ?', [id]));
  }
}
