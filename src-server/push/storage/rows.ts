// Row mapping for both engines (issue 12, "one home"): SQLite hands back numbers and 0/1,
// PostgreSQL strings for BIGINT and true/false for BOOLEAN; each decoder accepts both and
// checks what it reads, so a corrupt row is an error rather than a wrong value.
import { DEVICE_KINDS, type DeviceKind } from '../../../src-shared/push/wire';
import type { AccountRow, DeviceRow, OutboxEntry, PeerRow, WhitelistTokenRow } from './types';

export type DbRow = Record<string, unknown>;

export class RowDecodeError extends Error {
  override readonly name = 'RowDecodeError';
}

function text(r: DbRow, k: string): string {
  const v = r[k];
  if (typeof v !== 'string') throw new RowDecodeError(`column ${k}: expected text`);
  return v;
}
function int(r: DbRow, k: string): number {
  const v = r[k];
  const n = typeof v === 'number' ? v : typeof v === 'string' || typeof v === 'bigint' ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw new RowDecodeError(`column ${k}: expected an integer`);
  return n;
}
function bool(r: DbRow, k: string): boolean {
  const v = r[k];
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  throw new RowDecodeError(`column ${k}: expected a boolean`);
}

const KINDS: ReadonlySet<string> = new Set(DEVICE_KINDS);
function deviceKind(r: DbRow, k: string): DeviceKind {
  const v = text(r, k);
  if (!KINDS.has(v)) throw new RowDecodeError(`column ${k}: unknown device kind`);
  return v as DeviceKind;
}

export function toAccount(r: DbRow): AccountRow {
  return {
    id: text(r, 'id'),
    pushName: text(r, 'push_name'),
    passwordHash: text(r, 'password_hash'),
    email: text(r, 'email'),
    createdAt: int(r, 'created_at'),
  };
}

export function toDevice(r: DbRow): DeviceRow {
  return {
    id: text(r, 'id'),
    accountId: text(r, 'account_id'),
    kind: deviceKind(r, 'kind'),
    registrationId: text(r, 'registration_id'),
    channelHash: text(r, 'channel_hash'),
    name: text(r, 'name'),
    deviceId: text(r, 'device_id'),
    active: bool(r, 'active'),
    createdAt: int(r, 'created_at'),
  };
}

export function toToken(r: DbRow): WhitelistTokenRow {
  return {
    id: text(r, 'id'),
    hash: text(r, 'hash'),
    accountId: text(r, 'account_id'),
    deviceId: r.device_id == null ? null : text(r, 'device_id'),
    name: text(r, 'name'),
    createdAt: int(r, 'created_at'),
    expiresAt: int(r, 'expires_at'),
  };
}

/** the parameters of INSERT_TOKEN_SQL (schema.ts), in its column order: toToken's inverse */
export function tokenParams(t: WhitelistTokenRow): Array<string | number | null> {
  return [t.id, t.hash, t.accountId, t.deviceId, t.name, t.createdAt, t.expiresAt];
}

export function toEntry(r: DbRow): OutboxEntry {
  const target = text(r, 'target');
  if (target !== 'device' && target !== 'peer') throw new RowDecodeError('column target: unknown target');
  const kind = text(r, 'kind');
  if (kind !== 'peer' && !KINDS.has(kind)) throw new RowDecodeError('column kind: unknown kind');
  return {
    id: text(r, 'id'),
    target,
    targetId: text(r, 'target_id'),
    accountId: text(r, 'account_id'),
    kind: kind as OutboxEntry['kind'],
    payload: text(r, 'payload'),
    createdAt: int(r, 'created_at'),
    expiresAt: int(r, 'expires_at'),
    attempts: int(r, 'attempts'),
    nextAttemptAt: int(r, 'next_attempt_at'),
  };
}

export function toPeer(r: DbRow): PeerRow {
  return {
    endpoint: text(r, 'endpoint'),
    publicKey: text(r, 'public_key'),
    inbound: bool(r, 'inbound'),
    outbound: bool(r, 'outbound'),
    updatedAt: int(r, 'updated_at'),
  };
}
