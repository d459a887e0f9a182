// The push handshake's TLV (type 0x01A4 = 420, as ChatSecure-iOS's OTRPushTLVHandler and Zom's
// WhitelistTokenTlv used it): UTF-8 JSON. ChatSecure Push Protocol v3 draft, "Initial Exchange
// over OTR TLV" (push_name, api_endpoint) and v3.1 (push_info: the whitelist token and the
// endpoint to POST it to, as the shipped clients sent `{"endpoint", "tokens"}`), plus our own
// `kind` (offer / answer / revoke) so that each side's answer is its own (issue 14).
//
// Decoding is strict: the value is refused with a typed error when it is larger than
// MAX_PUSH_TLV_BYTES, not UTF-8, not JSON, or not exactly this shape (unknown keys refused). A
// refused TLV changes nothing: the caller stores nothing and shows a notice.
import { z } from 'zod';
import { endpointSchema, pushNameSchema, whitelistTokenSchema } from '../../../src-shared/push/wire';
import { PushHandshakeError } from './errors';

export const PUSH_TLV_TYPE = 0x01a4;
/** Largest value accepted: the fields below fit in well under 2 KiB; OTR TLVs allow 65535. */
export const MAX_PUSH_TLV_BYTES = 2048;

const offerOrAnswer = {
  v: z.literal(1),
  push_name: pushNameSchema,
  api_endpoint: endpointSchema,
  /** ChatSecure v3.1: the messages/ URL a ChatSecure-era client POSTs the token to */
  endpoint: endpointSchema,
  /** ChatSecure v3.1: whitelist tokens on our server, issued for this contact only */
  tokens: z.array(whitelistTokenSchema).min(1).max(5),
};

export const pushTlvSchema = z.discriminatedUnion('kind', [
  /** first message of a round: carries the extra-symmetric-key TLV (7 or 8) as well */
  z.strictObject({ kind: z.literal('offer'), ...offerOrAnswer }),
  /** the contact's yes to an offer: its push_info back; shared_key is the offer's */
  z.strictObject({ kind: z.literal('answer'), ...offerOrAnswer }),
  /** the contact deleted its record (and our token): ours goes too */
  z.strictObject({ kind: z.literal('revoke'), v: z.literal(1) }),
]);
export type PushTlv = z.output<typeof pushTlvSchema>;
export type PushTlvInput = z.input<typeof pushTlvSchema>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function encodePushTlv(value: PushTlvInput): Uint8Array {
  const parsed = pushTlvSchema.safeParse(value);
  if (!parsed.success) throw new PushHandshakeError('malformed-push-tlv', 'refusing to send an invalid push handshake');
  const bytes = new TextEncoder().encode(JSON.stringify(parsed.data));
  if (bytes.length > MAX_PUSH_TLV_BYTES) throw new PushHandshakeError('oversized-push-tlv', 'push handshake too large');
  return bytes;
}

export function decodePushTlv(bytes: Uint8Array): PushTlv {
  if (!(bytes instanceof Uint8Array)) throw new PushHandshakeError('malformed-push-tlv', 'push handshake value is not bytes');
  if (bytes.length > MAX_PUSH_TLV_BYTES)
    throw new PushHandshakeError('oversized-push-tlv', `push handshake of ${bytes.length} bytes refused (at most ${MAX_PUSH_TLV_BYTES})`);
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(bytes));
  } catch {
    throw new PushHandshakeError('malformed-push-tlv', 'push handshake is not UTF-8 JSON');
  }
  const parsed = pushTlvSchema.safeParse(json);
  // zod's issues name paths and expectations; only the paths go into the message (never values)
  if (!parsed.success) {
    const paths = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(root)'))].slice(0, 5).join(', ');
    throw new PushHandshakeError('malformed-push-tlv', `push handshake refused: invalid ${paths}`);
  }
  return parsed.data;
}

/** ChatSecure v3.1's messages/ URL under an api_endpoint (what iOS put in `endpoint`). */
export const messagesUrlOf = (apiEndpoint: string): string => new URL('messages/', apiEndpoint).toString();
