// Wire formats of the push service shared by clients and servers (docs/architecture.md §7).
//
// Knock envelope: ChatSecure Push Protocol v3 draft (2013), "Sending Knock to Offline Contact":
// public To (api_endpoint, push_name) and From (api_endpoint, push_name) plus a blob sealed with
// `shared_key` that the servers never open. ChatSecure v3.1 / the shipped server (NOTES.md 2) add
// the whitelist-token `messages/` API, whose schemas are here as well.
import { z } from 'zod';

/** Largest sealed blob accepted (bytes after base64url decoding): nonce + a small JSON + tag. */
export const MAX_SEALED_BYTES = 1024;
/** Largest opaque `data` of a ChatSecure message (`messages/`, NOTES.md 2: string ≤ 100). */
export const MAX_MESSAGE_DATA = 100;

const PRINTABLE = /^[\x21-\x7e]*$/;

/**
 * push_name: ChatSecure's Django username alphabet (letters, digits, @ . + - _), at most 64
 * characters (the shipped server allowed 30; longer names only help random account names).
 */
export const pushNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9@.+_-]+$/, 'push_name may contain only letters, digits and @ . + - _');

/**
 * Normalises an api_endpoint: an absolute http(s) URL without credentials, query or fragment,
 * lower-case scheme and host (URL does that), path ending in '/'. Two spellings of one endpoint
 * must compare equal, because the server decides "this endpoint or another" by string equality.
 */
export function normalizeEndpoint(input: string): string {
  const u = new URL(input);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new TypeError('endpoint must be http(s)');
  if (u.username || u.password || u.search || u.hash) throw new TypeError('endpoint must not carry credentials, query or fragment');
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u.toString();
}

export const endpointSchema = z
  .string()
  .min(1)
  .max(512)
  .regex(PRINTABLE, 'endpoint must be printable ASCII')
  .transform((s, ctx) => {
    try {
      return normalizeEndpoint(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'endpoint must be an absolute http(s) URL without query, fragment or credentials' });
      return z.NEVER;
    }
  });

export const b64urlSchema = (minChars: number, maxChars: number) =>
  z
    .string()
    .min(minChars)
    .max(maxChars)
    .regex(/^[A-Za-z0-9_-]+$/, 'expected base64url without padding');

/** A random 128-bit identifier in base64url (22 characters). */
export const idSchema = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'expected a 128-bit base64url id');

export const addressSchema = z.strictObject({ endpoint: endpointSchema, push_name: pushNameSchema });
export type PushAddress = z.output<typeof addressSchema>;

/** The knock as the sender posts it to its own endpoint and as servers relay it. */
export const knockEnvelopeSchema = z.strictObject({
  v: z.literal(1),
  /** random id: servers refuse a second knock with the same id (replay, docs/architecture.md §7) */
  id: idSchema,
  to: addressSchema,
  from: addressSchema,
  /** base64url(nonce ‖ ciphertext ‖ tag), see seal.ts */
  sealed: b64urlSchema(1, Math.ceil((MAX_SEALED_BYTES * 4) / 3)),
});
export type KnockEnvelope = z.output<typeof knockEnvelopeSchema>;

/** What the sealed blob holds (v3 draft: protocol, Alice's account_name, Bob's buddy_name), plus
 * docs/architecture.md §7's time and random id so the recipient can refuse replays. */
export const knockSecretSchema = z.strictObject({
  protocol: z.string().min(1).max(32),
  account_name: z.string().min(1).max(512),
  buddy_name: z.string().min(1).max(512),
  time: z.number().int().nonnegative(),
  id: idSchema,
});
export type KnockSecret = z.output<typeof knockSecretSchema>;

// ---------------------------------------------------------------------------------------------
// HTTP API (api_endpoint = https://host/api/v1/)

/** Any printable text (quotes and SQL metacharacters are fine in a password); no C0/DEL controls. */
export const passwordSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^\x00-\x1f\x7f]+$/, 'no control characters');
export const emailSchema = z
  .string()
  .max(254)
  .regex(/^[^\s@\x00-\x1f]+@[^\s@\x00-\x1f]+$/, 'invalid email');

/** POST accounts/ (ChatSecure: create or log in) and POST accounts/login/ (log in only). */
export const accountRequestSchema = z.strictObject({
  username: pushNameSchema,
  password: passwordSchema,
  email: z.union([emailSchema, z.literal('')]).optional(),
});
export const accountResponseSchema = z.object({
  username: z.string(),
  email: z.string(),
  id: z.string(),
  token: z.string().optional(),
});
export type AccountResponse = z.output<typeof accountResponseSchema>;

export const DEVICE_KINDS = ['desktop', 'apns', 'fcm', 'webpush'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** Web Push subscription as PushSubscription.toJSON() gives it (RFC 8030 endpoint, RFC 8291 keys). */
export const webPushSubscriptionSchema = z.strictObject({
  // push services are HTTPS (RFC 8030 §8); refusing http also narrows what the server can be
  // made to POST to
  endpoint: z.url({ protocol: /^https$/ }).max(1024),
  keys: z.strictObject({ p256dh: b64urlSchema(87, 87), auth: b64urlSchema(22, 22) }),
});
export type WebPushSubscription = z.output<typeof webPushSubscriptionSchema>;

const deviceNameSchema = z
  .string()
  .max(255)
  .regex(/^[^\x00-\x1f\x7f]*$/, 'no control characters');

/** POST device/{kind}/ (ChatSecure fields; registration_id is generated by the server for desktop). */
export const deviceCreateSchema = z.strictObject({
  registration_id: z
    .string()
    .min(1)
    .max(4096)
    .regex(/^[^\x00-\x1f\x7f]*$/, 'no control characters')
    .optional(),
  name: deviceNameSchema.optional(),
  device_id: z
    .string()
    .max(255)
    .regex(/^[^\x00-\x1f\x7f]*$/, 'no control characters')
    .optional(),
  active: z.boolean().optional(),
});
export const deviceUpdateSchema = deviceCreateSchema.partial();
export const deviceResponseSchema = z.object({
  id: z.string(),
  kind: z.enum(DEVICE_KINDS),
  name: z.string(),
  active: z.boolean(),
  registration_id: z.string().optional(),
  device_id: z.string(),
  date_created: z.string(),
});
export type DeviceResponse = z.output<typeof deviceResponseSchema>;

/** POST tokens/: one of the device references (ChatSecure's apns_device / gcm_device, ours device). */
export const tokenCreateSchema = z.strictObject({
  apns_device: z.uuid().optional(),
  gcm_device: z.uuid().optional(),
  device: z.uuid().optional(),
  name: deviceNameSchema.optional(),
});
export const tokenResponseSchema = z.object({
  id: z.string(),
  name: z.string(),
  token: z.string().optional(),
  /** the shipped server's device keys (the ChatSecure iOS SDK requires them), null when the
   * token is not bound to a device of that kind */
  apns_device: z.string().nullable().optional(),
  gcm_device: z.string().nullable().optional(),
  device: z.string().nullable(),
  date_expires: z.string(),
});
export type TokenResponse = z.output<typeof tokenResponseSchema>;

/** A whitelist token: 40 hex characters (20 random bytes), as the shipped server issued. */
export const whitelistTokenSchema = z.string().regex(/^[0-9a-f]{40}$/, 'token must be 40 lower-case hex characters');

/** POST messages/ (AllowAny in the shipped server). */
export const messageRequestSchema = z.strictObject({
  token: whitelistTokenSchema,
  data: z
    .string()
    .max(MAX_MESSAGE_DATA)
    .regex(/^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$/, 'no control characters')
    .optional(),
  priority: z.enum(['high', 'low']).optional(),
});

export const errorBodySchema = z.object({ error: z.string(), code: z.string().optional(), details: z.unknown().optional() });

// ---------------------------------------------------------------------------------------------
// Desktop channel (WebSocket at {api_endpoint}desktop/): JSON text frames.

export const clientFrameSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('auth'), token: z.string().min(1).max(128) }),
  z.strictObject({ type: z.literal('ack'), delivery: idSchema }),
  z.strictObject({ type: z.literal('ping') }),
]);
export type ClientFrame = z.output<typeof clientFrameSchema>;

/** What a device receives: either a knock envelope or a ChatSecure message (token, data). */
export const deliveryPayloadSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('knock'), knock: knockEnvelopeSchema }),
  z.strictObject({
    kind: z.literal('message'),
    token: whitelistTokenSchema,
    data: z.string().max(MAX_MESSAGE_DATA).optional(),
    priority: z.enum(['high', 'low']),
  }),
]);
export type DeliveryPayload = z.output<typeof deliveryPayloadSchema>;

/** most deliveries one batched `acked` frame names (the server keeps ≤ 100 in flight per connection) */
export const MAX_ACKED_BATCH = 1000;

export const serverFrameSchema = z.discriminatedUnion('type', [
  /** `acks: 'batch'`: only to a client that asked for it (`desktop/?acks=batch`); it then gets
   * `acked` frames with `deliveries` (docs/push-server.md, Desktop channel) */
  z.strictObject({ type: z.literal('ready'), device: z.string(), acks: z.literal('batch').optional() }),
  z.strictObject({ type: z.literal('delivery'), delivery: idSchema, payload: deliveryPayloadSchema }),
  /** the deliveries are removed from the queue (answer to ack): one (`delivery`), or, for a
   * client that asked for batches, every one acknowledged in the same commit (`deliveries`) */
  z
    .strictObject({ type: z.literal('acked'), delivery: idSchema.optional(), deliveries: z.array(idSchema).min(1).max(MAX_ACKED_BATCH).optional() })
    .refine((f) => (f.delivery === undefined) !== (f.deliveries === undefined), 'exactly one of delivery, deliveries'),
  z.strictObject({ type: z.literal('pong') }),
  z.strictObject({ type: z.literal('error'), error: z.string(), code: z.string() }),
]);
export type ServerFrame = z.output<typeof serverFrameSchema>;

// ---------------------------------------------------------------------------------------------
// Federation (server to server). The v3 draft's "Server-to-Server Communication" only says
// "verify that Bob's api_endpoint has registered with Alice's"; the wire format is ours.

/** Published at {origin}/.well-known/chatsecure-push-server */
export const serverKeyDocSchema = z.strictObject({
  endpoint: endpointSchema,
  algorithm: z.literal('ed25519'),
  /** raw 32-byte Ed25519 public key, base64url */
  public_key: b64urlSchema(43, 43),
});
export type ServerKeyDoc = z.output<typeof serverKeyDocSchema>;

export const peerRegisterSchema = z.strictObject({
  endpoint: endpointSchema,
  /** the endpoint registered with (prevents replaying a registration to another server) */
  registrar: endpointSchema,
  public_key: b64urlSchema(43, 43),
  nonce: idSchema,
  sent_at: z.number().int().nonnegative(),
});
export type PeerRegister = z.output<typeof peerRegisterSchema>;

export const relaySchema = z.strictObject({
  relay_id: idSchema,
  origin: endpointSchema,
  destination: endpointSchema,
  sent_at: z.number().int().nonnegative(),
  knock: knockEnvelopeSchema,
});
export type Relay = z.output<typeof relaySchema>;

/** Most knocks in one batched relay. */
export const MAX_RELAY_KNOCKS = 64;
/** Largest batched relay body a sender builds: below the default --max-body (16 KiB), so that a
 * receiver with default limits takes every batch. A receiver that refuses a batch as too large
 * (413) gets its knocks again one relay each. */
export const MAX_RELAY_BATCH_BYTES = 15 * 1024;

/** Several knocks to one destination in one signed request (docs/push-server.md, Federation):
 * one signature, one timestamp and one replay-checked relay id cover them all; each knock is
 * still deduplicated by its own id. A sender relays a single knock in the `relaySchema` form. */
export const relayBatchSchema = z.strictObject({
  relay_id: idSchema,
  origin: endpointSchema,
  destination: endpointSchema,
  sent_at: z.number().int().nonnegative(),
  knocks: z.array(knockEnvelopeSchema).min(1).max(MAX_RELAY_KNOCKS),
});
export type RelayBatch = z.output<typeof relayBatchSchema>;

export const WELL_KNOWN_PATH = '/.well-known/chatsecure-push-server';
export const SIGNATURE_HEADER = 'x-push-signature';
export const PEER_HEADER = 'x-push-peer';
/** Domain separation for Ed25519 signatures over request bodies. */
export const SIGNING_CONTEXT = {
  register: 'chatsecure-push/peer-register/v1\n',
  relay: 'chatsecure-push/relay/v1\n',
} as const;
