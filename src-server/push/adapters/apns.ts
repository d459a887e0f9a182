// Apple Push Notification service, provider API over HTTP/2 with token-based authentication
// (Apple, "Sending notification requests to APNs" and "Establishing a token-based connection to
// APNs"): POST /3/device/<device token> with `authorization: bearer <JWT>` where the JWT is ES256
// signed with the team's .p8 key, header {alg, kid}, claims {iss: team id, iat}; refreshed at
// most every 20 minutes and at least every 60. Headers apns-topic, apns-push-type, apns-priority,
// apns-expiration. Knocks go as background pushes (content-available, priority 5); ChatSecure
// messages as the shipped server sent them (aps.alert.message = {token, data}).
import http2 from 'node:http2';
import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { signJwt } from './jwt';
import { classifyStatus, type AdapterResult, type PushAdapter } from './types';
import type { DeviceRow } from '../storage/types';
import type { DeliveryPayload } from '../../../src-shared/push/wire';

export interface ApnsOptions {
  key: KeyObject | string;
  keyId: string;
  teamId: string;
  topic: string;
  /** https://api.push.apple.com (or the sandbox, or a test server) */
  url: string;
  ca?: string[] | undefined;
  now?: () => number;
}

const TOKEN_REFRESH_MS = 40 * 60 * 1000;

export class ApnsAdapter implements PushAdapter {
  readonly kind = 'apns' as const;
  readonly #o: ApnsOptions;
  readonly #key: KeyObject;
  #session: http2.ClientHttp2Session | null = null;
  #jwt: { token: string; at: number } | null = null;

  constructor(o: ApnsOptions) {
    this.#o = o;
    this.#key = typeof o.key === 'string' ? createPrivateKey(o.key) : o.key;
    if (!/^[A-Z0-9]{10}$/.test(o.keyId) || !/^[A-Z0-9]{10}$/.test(o.teamId)) throw new TypeError('APNs key id and team id are 10 upper-case alphanumerics');
  }

  static fromFiles(o: Omit<ApnsOptions, 'key'> & { keyFile: string }): ApnsAdapter {
    return new ApnsAdapter({ ...o, key: readFileSync(o.keyFile, 'utf8') });
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  #token(force = false): string {
    const now = this.#now();
    if (force || !this.#jwt || now - this.#jwt.at > TOKEN_REFRESH_MS) {
      this.#jwt = { token: signJwt('ES256', { kid: this.#o.keyId }, { iss: this.#o.teamId, iat: Math.floor(now / 1000) }, this.#key), at: now };
    }
    return this.#jwt.token;
  }

  #connect(): http2.ClientHttp2Session {
    if (this.#session && !this.#session.closed && !this.#session.destroyed) return this.#session;
    const s = http2.connect(this.#o.url, this.#o.ca ? { ca: this.#o.ca } : {});
    s.on('error', () => s.destroy());
    s.on('goaway', () => s.close());
    s.unref();
    this.#session = s;
    return s;
  }

  static body(payload: DeliveryPayload): { body: string; pushType: 'background' | 'alert'; priority: '5' | '10' } {
    if (payload.kind === 'knock') {
      return { body: JSON.stringify({ aps: { 'content-available': 1 }, knock: payload.knock }), pushType: 'background', priority: '5' };
    }
    const message = { token: payload.token, data: payload.data ?? '' };
    return {
      body: JSON.stringify({ aps: { alert: { message }, 'content-available': 1 } }),
      pushType: 'alert',
      priority: payload.priority === 'high' ? '10' : '5',
    };
  }

  async send(device: DeviceRow, payload: DeliveryPayload, ttlSeconds: number, _urgent: boolean, retried = false): Promise<AdapterResult> {
    if (!/^[0-9a-f]{64,200}$/.test(device.registrationId)) return { kind: 'gone', reason: 'BadDeviceToken' };
    const { body, pushType, priority } = ApnsAdapter.body(payload);
    if (Buffer.byteLength(body) > 4096) return { kind: 'failed', reason: 'PayloadTooLarge' };
    const res = await new Promise<{ status: number; reason: string; retryAfter?: number }>((resolve) => {
      let req: http2.ClientHttp2Stream;
      try {
        req = this.#connect().request({
          ':method': 'POST',
          ':path': `/3/device/${device.registrationId}`,
          authorization: `bearer ${this.#token()}`,
          'apns-topic': this.#o.topic,
          'apns-push-type': pushType,
          'apns-priority': priority,
          'apns-expiration': String(Math.floor(this.#now() / 1000) + ttlSeconds),
          'apns-id': randomUUID(),
          'content-type': 'application/json',
        });
      } catch (e) {
        resolve({ status: 0, reason: (e as Error).message });
        return;
      }
      let status = 0;
      let text = '';
      let retryAfter: number | undefined;
      req.setTimeout(10_000, () => req.close(http2.constants.NGHTTP2_CANCEL));
      req.on('response', (h) => {
        status = Number(h[':status']);
        const ra = Number(h['retry-after']);
        if (ra > 0) retryAfter = ra;
      });
      req.setEncoding('utf8');
      req.on('data', (c: string) => (text += c.slice(0, 1000)));
      req.on('close', () => {
        let reason = `HTTP ${status}`;
        try {
          reason = (JSON.parse(text) as { reason?: string }).reason ?? reason;
        } catch {
          /* empty body on success */
        }
        resolve({ status, reason, ...(retryAfter ? { retryAfter } : {}) });
      });
      req.on('error', (e) => resolve({ status: 0, reason: e.message }));
      req.end(body);
    });
    if (res.status === 0) return { kind: 'retry', reason: res.reason };
    // an expired or rejected provider token: sign a fresh one and try once more
    if (res.status === 403 && (res.reason === 'ExpiredProviderToken' || res.reason === 'InvalidProviderToken') && !retried) {
      this.#token(true);
      return this.send(device, payload, ttlSeconds, _urgent, true);
    }
    if (res.status === 400 && (res.reason === 'BadDeviceToken' || res.reason === 'DeviceTokenNotForTopic')) return { kind: 'gone', reason: res.reason };
    const r = classifyStatus(res.status, res.reason);
    return r.kind === 'retry' && res.retryAfter ? { ...r, afterMs: res.retryAfter * 1000 } : r;
  }

  close(): void {
    this.#session?.close();
  }
}
