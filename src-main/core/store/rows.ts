// Typed reads of database rows: SQLite hands back loosely typed records, and a row that does not
// have the shape the code expects (a profile damaged, or written by something else) becomes a
// typed error naming the column, instead of a wrong value travelling on under a cast.
import { MessengerError } from '../../../src-shared/ipc/result';

export type Row = Readonly<Record<string, unknown>>;

function bad(column: string): MessengerError {
  return new MessengerError('internal', `The profile database holds a row this version cannot read (column ${column}).`);
}

/** the row itself, checked to be a record */
export function asRow(value: unknown): Row {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('(row)');
  return value as Row;
}

export function text(r: Row, column: string): string {
  const v = r[column];
  if (typeof v !== 'string') throw bad(column);
  return v;
}

export function textOrNull(r: Row, column: string): string | null {
  const v = r[column];
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') throw bad(column);
  return v;
}

export function int(r: Row, column: string): number {
  const v = r[column];
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(column);
  return v;
}

export function intOrNull(r: Row, column: string): number | null {
  const v = r[column];
  if (v === null || v === undefined) return null;
  return int(r, column);
}

/** a BLOB column, as a copy the caller owns */
export function bytes(r: Row, column: string): Uint8Array {
  const v = r[column];
  if (!(v instanceof Uint8Array)) throw bad(column);
  return new Uint8Array(v);
}

export function bytesOrNull(r: Row, column: string): Uint8Array | null {
  const v = r[column];
  if (v === null || v === undefined) return null;
  return bytes(r, column);
}

/** a text column holding one of `values` */
export function oneOf<T extends string>(r: Row, column: string, values: readonly T[]): T {
  const v = text(r, column);
  if (!(values as readonly string[]).includes(v)) throw bad(column);
  return v as T;
}

/** decodes the row of a get(), if any */
export function maybe<T>(value: unknown, decode: (r: Row) => T): T | undefined {
  return value === undefined ? undefined : decode(asRow(value));
}

/** decodes the rows of an all() */
export function every<T>(values: readonly unknown[], decode: (r: Row) => T): T[] {
  return values.map((v) => decode(asRow(v)));
}
