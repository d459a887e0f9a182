// Web Push: RFC 8030 (generic event delivery: POST to the subscription endpoint with TTL and
// Urgency), RFC 8291 (message encryption: ECDH P-256 + HKDF-SHA-256 → aes128gcm content coding of
// RFC 8188) and RFC 8292 (VAPID: `Authorization: vapid t=<ES256 JWT>, k=<public key>`).
import { type ECDH, createECDH, createPrivateKey, createPublicKey, createCipheriv, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { signJwt } from './jwt';
import { classifyStatus, type AdapterResult, type PushAdapter } from './types';
import { createOutbound, type Outbound } from '../outbound';
import type { DeviceRow } from '../storage/types';
import { webPushSubscriptionSchema, type DeliveryPayload } from '../../../src-shared/push/wire';

/** RFC 8188 §2: record size; one record carries the whole (small) message. */
const RECORD_SIZE = 4096;

/**
 * RFC 8291 §3.4 encryption of one message for a subscription (ua_public = p256dh, auth_secret).
 * Returns the aes128gcm body: salt(16) ‖ rs(4) ‖ idlen(1) ‖ keyid(as_public, 65) ‖ ciphertext.
 */
export function encryptWebPush(plaintext: Uint8Array, uaPublic: Uint8Array, authSecret: Uint8Array, salt: Uint8Array = randomBytes(16), ecdh?: ECDH): Buffer {
  if (uaPublic.length !== 65 || uaPublic[0] !== 0x04) throw new TypeError('p256dh must be an uncompressed P-256 point');
  if (authSecret.length !== 16) throw new TypeError('auth secret must be 16 bytes');
  if (salt.length !== 16) throw new TypeError('salt must be 16 bytes');
  if (plaintext.length + 1 + 16 > RECORD_SIZE) throw new TypeError('message too large for one record');
  // the application server's ephemeral key pair (a fixed one only in tests)
  const as = ecdh ?? createECDH('prime256v1');
  if (!ecdh) as.generateKeys();
  const asPublic = as.getPublicKey();
  const ecdhSecret = as.computeSecret(uaPublic); // throws on a point not on the curve
  // §3.3: IKM = HKDF(salt = auth_secret, ikm = ecdh_secret, info = "WebPush: info" 0x00 ua_public as_public, 32)
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, authSecret, keyInfo, 32));
  // RFC 8188 §2.2, §2.3: CEK and NONCE from the salt
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  // single (last) record: plaintext ‖ 0x02 delimiter (RFC 8188 §2)
  const cipher = createCipheriv('aes-128-gcm', cek, nonce);
  const ct = Buffer.concat([cipher.update(Buffer.concat([plaintext, Buffer.from([2])])), cipher.final(), cipher.getAuthTag()]);
  const header = Buffer.alloc(21);
  Buffer.from(salt).copy(header, 0);
  header.writeUInt32BE(RECORD_SIZE, 16);
  header.writeUInt8(asPublic.length, 20);
  return Buffer.concat([header, asPublic, ct]);
}

export interface WebPushOptions {
  vapidKey: KeyObject | string;
  /** RFC 8292 §2.1 sub: mailto: or https: contact */
  subject: string;
  ca?: string[] | undefined;
  now?: () => number;
}

export class WebPushAdapter implements PushAdapter {
  readonly kind = 'webpush' as const;
  readonly #o: WebPushOptions;
  readonly #key: KeyObject;
  readonly #publicRaw: string;
  readonly #http: Outbound;

  constructor(o: WebPushOptions) {
    this.#o = o;
    this.#key = typeof o.vapidKey === 'string' ? createPrivateKey(o.vapidKey) : o.vapidKey;
    if (this.#key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new TypeError('VAPID key must be P-256');
    if (!/^(mailto:|https:)/.test(o.subject)) throw new TypeError('VAPID subject must be a mailto: or https: URI');
    const jwk = createPublicKey(this.#key).export({ format: 'jwk' });
    this.#publicRaw = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]).toString('base64url');
    this.#http = createOutbound(o.ca?.join('\n'));
  }

  static fromFile(file: string, o: Omit<WebPushOptions, 'vapidKey'>): WebPushAdapter {
    return new WebPushAdapter({ ...o, vapidKey: readFileSync(file, 'utf8') });
  }

  /** the application server key browsers need for PushManager.subscribe (base64url, 65 bytes) */
  get publicKey(): string {
    return this.#publicRaw;
  }

  async send(device: DeviceRow, payload: DeliveryPayload, ttlSeconds: number, urgent: boolean): Promise<AdapterResult> {
    let sub;
    try {
      sub = webPushSubscriptionSchema.parse(JSON.parse(device.registrationId));
    } catch {
      return { kind: 'gone', reason: 'invalid subscription' };
    }
    let body: Buffer;
    try {
      body = encryptWebPush(Buffer.from(JSON.stringify(payload)), Buffer.from(sub.keys.p256dh, 'base64url'), Buffer.from(sub.keys.auth, 'base64url'));
    } catch (e) {
      return { kind: 'gone', reason: `cannot encrypt for subscription: ${(e as Error).message}` };
    }
    const now = Math.floor((this.#o.now ?? Date.now)() / 1000);
    // RFC 8292 §2: aud = origin of the push resource, exp ≤ 24 h ahead
    const jwt = signJwt('ES256', {}, { aud: new URL(sub.endpoint).origin, exp: now + 12 * 3600, sub: this.#o.subject }, this.#key);
    let res;
    try {
      res = await this.#http.request(sub.endpoint, {
        method: 'POST',
        headers: {
          ttl: String(ttlSeconds),
          urgency: urgent ? 'high' : 'normal',
          'content-encoding': 'aes128gcm',
          'content-type': 'application/octet-stream',
          authorization: `vapid t=${jwt}, k=${this.#publicRaw}`,
        },
        body,
      });
    } catch (e) {
      return { kind: 'retry', reason: (e as Error).message };
    }
    return classifyStatus(res.status, `HTTP ${res.status}`);
  }

  close(): void {
    this.#http.close();
  }
}
