// The persisted form of an established OTR session (issue 13, "restarts lose nothing"): a
// versioned JSON record, UTF-8 encoded, that the messenger keeps in its encrypted profile
// database and hands back at start. Byte strings and big integers are lowercase hex. The decoder
// is strict: an unknown format or record version, a missing or extra field, a wrong type or
// length all give a SessionRecordError, and the caller starts the conversation afresh.
//
// Only sessions in the encrypted state are recorded (OTRv4 §"Protocol States"
// ENCRYPTED_MESSAGES, OTRv3 §"Message states" MSGSTATE_ENCRYPTED): a DAKE/AKE or an SMP exchange
// under way is not, and restarts from the beginning. The record holds secrets (ratchet and chain
// keys, DH secrets); it must only ever be written to encrypted storage.
import { OtrError } from './common/errors';

export const SESSION_RECORD_FORMAT = 'otr-session';
/** bump when the layout changes; older records are then refused (the conversation starts fresh) */
export const SESSION_RECORD_VERSION = 1;

/** a record that cannot be used: corrupt, truncated, of another version, or describing an impossible state */
export class SessionRecordError extends OtrError {
  constructor(message: string) {
    super('malformed', `session record: ${message}`);
  }

  /** tells it apart from the protocol's own errors (the class name, as OtrError has its own) */
  readonly isSessionRecordError = true;
}

export type RecordValue = null | boolean | number | string | RecordValue[] | { [k: string]: RecordValue };
export type RecordObject = { [k: string]: RecordValue };

export function hexOf(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export const bigHex = (v: bigint): string => v.toString(16);

/**
 * Reads one object of a record: every field must be read (done() refuses leftovers) and every
 * read checks type and range, so a record is either wholly understood or refused.
 */
export class RecordReader {
  private readonly used = new Set<string>();

  constructor(
    private readonly o: RecordObject,
    private readonly path: string,
  ) {}

  private fail(k: string, what: string): never {
    throw new SessionRecordError(`${this.path}.${k} ${what}`);
  }

  private raw(k: string): RecordValue {
    if (!Object.prototype.hasOwnProperty.call(this.o, k)) this.fail(k, 'is missing');
    this.used.add(k);
    return this.o[k] as RecordValue;
  }

  isNull(k: string): boolean {
    const v = this.raw(k);
    return v === null;
  }

  int(k: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.raw(k);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(k, 'is not an integer in range');
    return v;
  }

  /** a clock time in ms (finite) */
  time(k: string): number {
    const v = this.raw(k);
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(k, 'is not a time');
    return v;
  }

  bool(k: string): boolean {
    const v = this.raw(k);
    if (typeof v !== 'boolean') this.fail(k, 'is not a boolean');
    return v;
  }

  str(k: string, allowed?: readonly string[]): string {
    const v = this.raw(k);
    if (typeof v !== 'string' || (allowed && !allowed.includes(v))) this.fail(k, 'is not an allowed string');
    return v;
  }

  bytes(k: string, length?: number): Uint8Array {
    return bytesOf(this.raw(k), length, () => this.fail(k, `is not ${length ?? 'a'} byte(s) of hex`));
  }

  big(k: string): bigint {
    const v = this.raw(k);
    if (typeof v !== 'string' || !/^[0-9a-f]{1,1024}$/.test(v)) this.fail(k, 'is not a hex integer');
    return BigInt(`0x${v}`);
  }

  obj(k: string): RecordReader {
    const v = this.raw(k);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(k, 'is not an object');
    return new RecordReader(v, `${this.path}.${k}`);
  }

  /** an array of at most `max` items */
  list(k: string, max: number): RecordValue[] {
    const v = this.raw(k);
    if (!Array.isArray(v) || v.length > max) this.fail(k, `is not a list of at most ${max}`);
    return v;
  }

  objs(k: string, max: number): RecordReader[] {
    return this.list(k, max).map((x, n) => {
      if (typeof x !== 'object' || x === null || Array.isArray(x)) this.fail(`${k}[${n}]`, 'is not an object');
      return new RecordReader(x, `${this.path}.${k}[${n}]`);
    });
  }

  bytesList(k: string, max: number, length: number): Uint8Array[] {
    return this.list(k, max).map((x, n) => bytesOf(x, length, () => this.fail(`${k}[${n}]`, `is not ${length} bytes of hex`)));
  }

  /** refuses fields nobody read: a record of another layout is not half-understood */
  done(): void {
    for (const k of Object.keys(this.o)) if (!this.used.has(k)) this.fail(k, 'is unexpected');
  }
}

function bytesOf(v: RecordValue, length: number | undefined, fail: () => never): Uint8Array {
  if (typeof v !== 'string' || v.length % 2 !== 0 || !/^[0-9a-f]*$/.test(v)) fail();
  if (length !== undefined && v.length !== length * 2) fail();
  const out = new Uint8Array(v.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(v.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** which library and instance a record belongs to (the key of its row) */
export interface SessionRecordHead {
  /** 2 and 3 run in the OTRv3 library, 4 in the OTRv4 one */
  version: 2 | 3 | 4;
  /** the contact's instance tag (0 for an OTR version 2 session, which has none) */
  instanceTag: number;
}

export function encodeSessionRecord(head: SessionRecordHead, session: RecordObject): Uint8Array {
  const record: RecordObject = { format: SESSION_RECORD_FORMAT, v: SESSION_RECORD_VERSION, version: head.version, instanceTag: head.instanceTag, session };
  return new TextEncoder().encode(JSON.stringify(record));
}

/** Parses the envelope; the caller reads `session` with the library's own decoder and calls done(). */
export function decodeSessionRecord(bytes: Uint8Array): SessionRecordHead & { session: RecordReader } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new SessionRecordError('not UTF-8 JSON (corrupt or truncated)');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SessionRecordError('not an object');
  const r = new RecordReader(parsed as RecordObject, 'record');
  r.str('format', [SESSION_RECORD_FORMAT]);
  r.int('v', SESSION_RECORD_VERSION, SESSION_RECORD_VERSION);
  const version = r.int('version', 2, 4) as 2 | 3 | 4;
  const instanceTag = r.int('instanceTag', 0, 0xffffffff);
  const session = r.obj('session');
  r.done();
  return { version, instanceTag, session };
}
