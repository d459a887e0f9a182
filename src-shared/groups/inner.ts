// Payloads INSIDE the encryption (docs/groups.md §"Messages"): the notes' identity(member),
// challenge(nonce), response(nonce, session_key) travel in pairwise `encrypted`, plus `rekey`
// (beyond the notes); hello_i_am(name, identity) and text travel under the session key. The
// service never sees these. Parsing is as strict as for the outer messages.
import { z } from 'zod';
import { b64, fromUtf8, unb64, utf8 } from './bytes';
import { groupError } from './errors';
import { FINGERPRINT_RE, type KeyBundle } from './keys';
import { decodeBundle, encodeBundle, MAX_MEMBERS, wireBundle } from './wire';

export const CHALLENGE_NONCE_BYTES = 32;
export const SESSION_KEY_BYTES = 32;
export const MAX_TEXT_CHARS = 16_000;
export const MAX_NAME_CHARS = 100;

const fp = z.string().regex(FINGERPRINT_RE);
const b64s = z.string().max(200);
const epoch = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const member = z.object({ fp, key: wireBundle, name: z.string().max(MAX_NAME_CHARS).optional() }).strict();

const pairwise = z.discriminatedUnion('k', [
  z.object({ k: z.literal('identity'), fp }).strict(),
  z.object({ k: z.literal('challenge'), nonce: b64s }).strict(),
  z
    .object({
      k: z.literal('response'),
      nonce: b64s,
      session_key: b64s,
      epoch,
      creator: fp,
      admins: z.array(fp).max(MAX_MEMBERS),
      /** the version of the admin list (set_admins); absent means 0 */
      admin_ver: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
      members: z.array(member).min(1).max(MAX_MEMBERS),
    })
    .strict(),
  z.object({ k: z.literal('rekey'), epoch, session_key: b64s, members: z.array(fp).max(MAX_MEMBERS) }).strict(),
]);

const inGroup = z.discriminatedUnion('k', [
  z.object({ k: z.literal('text'), text: z.string().min(1).max(MAX_TEXT_CHARS), ts: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }).strict(),
  z.object({ k: z.literal('hello_i_am'), name: z.string().min(1).max(MAX_NAME_CHARS), fp }).strict(),
]);

export interface RosterEntry {
  fp: string;
  key: KeyBundle;
  name?: string;
}

export type PairwisePayload =
  | { k: 'identity'; fp: string }
  | { k: 'challenge'; nonce: Uint8Array }
  | {
      k: 'response';
      nonce: Uint8Array;
      session_key: Uint8Array;
      epoch: number;
      creator: string;
      admins: string[];
      admin_ver?: number;
      members: RosterEntry[];
    }
  | { k: 'rekey'; epoch: number; session_key: Uint8Array; members: string[] };

export type GroupPayload = z.infer<typeof inGroup>;

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(fromUtf8(bytes));
  } catch {
    throw groupError('malformed', 'the decrypted payload is not JSON');
  }
}

export function encodePairwise(p: PairwisePayload): Uint8Array {
  switch (p.k) {
    case 'identity':
      return utf8(JSON.stringify(p));
    case 'challenge':
      return utf8(JSON.stringify({ k: p.k, nonce: b64(p.nonce) }));
    case 'response':
      return utf8(
        JSON.stringify({
          ...p,
          nonce: b64(p.nonce),
          session_key: b64(p.session_key),
          members: p.members.map((m) => ({ fp: m.fp, key: encodeBundle(m.key), ...(m.name !== undefined ? { name: m.name } : {}) })),
        }),
      );
    case 'rekey':
      return utf8(JSON.stringify({ ...p, session_key: b64(p.session_key) }));
  }
}

export function parsePairwise(bytes: Uint8Array): PairwisePayload {
  const r = pairwise.safeParse(parseJson(bytes));
  if (!r.success) throw groupError('malformed', `pairwise payload: ${r.error.issues[0]?.message ?? 'invalid'}`);
  const p = r.data;
  switch (p.k) {
    case 'identity':
      return p;
    case 'challenge':
      return { k: 'challenge', nonce: unb64(p.nonce, 'nonce', CHALLENGE_NONCE_BYTES) };
    case 'response':
      return {
        ...p,
        nonce: unb64(p.nonce, 'nonce', CHALLENGE_NONCE_BYTES),
        session_key: unb64(p.session_key, 'session_key', SESSION_KEY_BYTES),
        members: p.members.map((m) => ({ fp: m.fp, key: decodeBundle(m.key), ...(m.name !== undefined ? { name: m.name } : {}) })),
      };
    case 'rekey':
      return { ...p, session_key: unb64(p.session_key, 'session_key', SESSION_KEY_BYTES) };
  }
}

export const encodeGroupPayload = (p: GroupPayload): Uint8Array => utf8(JSON.stringify(p));

export function parseGroupPayload(bytes: Uint8Array): GroupPayload {
  const r = inGroup.safeParse(parseJson(bytes));
  if (!r.success) throw groupError('malformed', `group payload: ${r.error.issues[0]?.message ?? 'invalid'}`);
  return r.data;
}
