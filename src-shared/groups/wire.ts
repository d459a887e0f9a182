// Wire format of the group protocol (docs/groups.md §"Messages"): one JSON object per XMPP
// <message><body/>, field `t` naming the message exactly as the Protocol Notes do (identity, Ack,
// new_user, Nack, encrypted, add_user, user_added) plus the messages "beyond the notes" need
// (remove, user_removed, leave, user_left, set_admins, admins_set, group, disconnect, error). Parsing is strict: unknown
// fields, wrong lengths or unknown types are a 'malformed' GroupProtocolError, never a crash.
import { z } from 'zod';
import { b64, unb64 } from './bytes';
import { groupError } from './errors';
import { ED448_PUBLIC_BYTES, ED448_SIG_BYTES, FINGERPRINT_RE, type KeyBundle, X448_BYTES } from './keys';

/** largest body accepted (a response carrying a 200-member roster fits comfortably) */
export const MAX_BODY_CHARS = 256 * 1024;
export const MAX_MEMBERS = 1000;
export const NONCE_BYTES = 24;
export const MAX_CIPHERTEXT_BYTES = 128 * 1024;

const fp = z.string().regex(FINGERPRINT_RE, 'a fingerprint is 112 lowercase hex digits');
const b64s = z.string().max(Math.ceil(MAX_CIPHERTEXT_BYTES / 3) * 4 + 4);
const groupId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9-]+$/, 'a group id is lowercase letters, digits and -');
const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const wireBundle = z.object({ h: b64s, f: b64s, x: b64s, sig: b64s }).strict();
const text = (max: number) => z.string().max(max);

const schemas = {
  identity: z.object({ t: z.literal('identity'), group: groupId, fp, key: wireBundle, since: seq.optional(), create: z.boolean().optional() }).strict(),
  Ack: z.object({ t: z.literal('Ack'), group: groupId, member: z.boolean(), creator: fp, admins: z.array(fp).max(MAX_MEMBERS), head: seq }).strict(),
  new_user: z.object({ t: z.literal('new_user'), group: groupId, fp, key: wireBundle }).strict(),
  Nack: z.object({ t: z.literal('Nack'), group: groupId, fp, reason: z.enum(['not-verified', 'unknown-member']) }).strict(),
  encrypted: z
    .object({ t: z.literal('encrypted'), group: groupId, from: fp, to: fp, key: wireBundle, e: b64s, n: b64s, ct: b64s, sig: b64s, seq: seq.optional() })
    .strict(),
  add_user: z.object({ t: z.literal('add_user'), group: groupId, fp, key: wireBundle, by: fp, epoch: seq, sig: b64s }).strict(),
  user_added: z.object({ t: z.literal('user_added'), group: groupId, fp, key: wireBundle, by: fp, epoch: seq, sig: b64s, seq }).strict(),
  remove: z.object({ t: z.literal('remove'), group: groupId, fp, by: fp, epoch: seq, sig: b64s }).strict(),
  user_removed: z.object({ t: z.literal('user_removed'), group: groupId, fp, by: fp, epoch: seq, sig: b64s, seq }).strict(),
  leave: z.object({ t: z.literal('leave'), group: groupId, fp, epoch: seq, sig: b64s }).strict(),
  user_left: z.object({ t: z.literal('user_left'), group: groupId, fp, epoch: seq, sig: b64s, seq }).strict(),
  // the creator names its admins: the whole list (creator excluded) and a growing version, signed
  set_admins: z.object({ t: z.literal('set_admins'), group: groupId, admins: z.array(fp).max(MAX_MEMBERS), by: fp, ver: seq, sig: b64s }).strict(),
  admins_set: z.object({ t: z.literal('admins_set'), group: groupId, admins: z.array(fp).max(MAX_MEMBERS), by: fp, ver: seq, sig: b64s, seq }).strict(),
  group: z.object({ t: z.literal('group'), group: groupId, from: fp, epoch: seq, ctr: seq, n: b64s, ct: b64s, sig: b64s, seq: seq.optional() }).strict(),
  disconnect: z
    .object({
      t: z.literal('disconnect'),
      group: groupId,
      reason: z.enum(['nobody-vouched', 'no-member-online', 'refused-voucher', 'removed', 'no-such-group']),
      text: text(500),
    })
    .strict(),
  error: z.object({ t: z.literal('error'), group: groupId.optional(), code: z.string().max(40), text: text(500) }).strict(),
} as const;

type Schemas = typeof schemas;
export type MessageType = keyof Schemas;
type Raw<T extends MessageType> = z.infer<Schemas[T]>;
/** a wire message with bundles and byte fields decoded */
type Decoded<R> = { [K in keyof R]: K extends 'key' ? KeyBundle : K extends 'e' | 'n' | 'ct' | 'sig' ? Uint8Array : R[K] };
export type GroupMessage = { [T in MessageType]: Decoded<Raw<T>> }[MessageType];
export type MessageOf<T extends MessageType> = Extract<GroupMessage, { t: T }>;

const BYTE_LENGTHS: Record<string, number | undefined> = { e: X448_BYTES, n: NONCE_BYTES, sig: ED448_SIG_BYTES };

function decodeBundle(w: z.infer<typeof wireBundle>): KeyBundle {
  return {
    h: unb64(w.h, 'key.h', ED448_PUBLIC_BYTES),
    f: unb64(w.f, 'key.f', ED448_PUBLIC_BYTES),
    x: unb64(w.x, 'key.x', X448_BYTES),
    sig: unb64(w.sig, 'key.sig', ED448_SIG_BYTES),
  };
}

const encodeBundle = (b: KeyBundle): z.infer<typeof wireBundle> => ({ h: b64(b.h), f: b64(b.f), x: b64(b.x), sig: b64(b.sig) });

/** Parses one body; throws GroupProtocolError('malformed') with the first problem found. */
export function parseMessage(body: string): GroupMessage {
  if (typeof body !== 'string' || body.length > MAX_BODY_CHARS) throw groupError('malformed', 'the message is too long');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw groupError('malformed', 'the message is not JSON');
  }
  const t = (json as { t?: unknown } | null)?.t;
  if (typeof t !== 'string' || !Object.hasOwn(schemas, t)) throw groupError('malformed', 'unknown message type');
  const parsed = schemas[t as MessageType].safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw groupError('malformed', `${t}: ${issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'invalid'}`);
  }
  const out: Record<string, unknown> = { ...parsed.data };
  if ('key' in out) out.key = decodeBundle(out.key as z.infer<typeof wireBundle>);
  for (const f of ['e', 'n', 'ct', 'sig'] as const) {
    if (typeof out[f] === 'string') out[f] = unb64(out[f], f, BYTE_LENGTHS[f], MAX_CIPHERTEXT_BYTES);
  }
  return out as GroupMessage;
}

/** Serialises a message (the inverse of parseMessage). */
export function encodeMessage(m: GroupMessage): string {
  const out: Record<string, unknown> = { ...m };
  if ('key' in m) out.key = encodeBundle(m.key);
  for (const f of ['e', 'n', 'ct', 'sig'] as const) {
    const v = (m as Record<string, unknown>)[f];
    if (v instanceof Uint8Array) out[f] = b64(v);
  }
  return JSON.stringify(out);
}

/** Parses and checks the type in one step (for callers that expect one message type). */
export function expectMessage<T extends MessageType>(body: string, t: T): MessageOf<T> {
  const m = parseMessage(body);
  if (m.t !== t) throw groupError('out-of-order', `expected ${t}, got ${m.t}`);
  return m as MessageOf<T>;
}

export { encodeBundle, decodeBundle, wireBundle };
