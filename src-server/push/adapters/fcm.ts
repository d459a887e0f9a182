// Firebase Cloud Messaging HTTP v1 API. Authentication: OAuth 2.0 for service accounts (RFC 7523
// JWT bearer grant): an RS256 JWT {iss: client_email, scope: firebase.messaging, aud: token_uri,
// iat, exp ≤ iat + 3600} signed with the service account's key is exchanged at token_uri
// (grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer) for an access token, then
// POST {base}/v1/projects/{project_id}/messages:send with `Authorization: Bearer`.
// Data-only messages (no `notification`: no content shown by the OS); data values are strings.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { signJwt } from './jwt';
import { classifyStatus, type AdapterResult, type PushAdapter } from './types';
import { createOutbound, type Outbound } from '../outbound';
import type { DeviceRow } from '../storage/types';
import type { DeliveryPayload } from '../../../src-shared/push/wire';

export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

export const serviceAccountSchema = z.object({
  type: z.literal('service_account'),
  project_id: z.string().regex(/^[a-z0-9-]{1,64}$/),
  private_key_id: z.string().optional(),
  private_key: z.string().includes('PRIVATE KEY'),
  client_email: z.string().includes('@'),
  token_uri: z.url(),
});
export type ServiceAccount = z.output<typeof serviceAccountSchema>;

export interface FcmOptions {
  serviceAccount: ServiceAccount;
  /** https://fcm.googleapis.com or a test server */
  url: string;
  /** overrides serviceAccount.token_uri */
  tokenUrl?: string | null;
  ca?: string[] | undefined;
  now?: () => number;
}

export class FcmAdapter implements PushAdapter {
  readonly kind = 'fcm' as const;
  readonly #o: FcmOptions;
  readonly #key: KeyObject;
  readonly #http: Outbound;
  #access: { token: string; until: number } | null = null;

  constructor(o: FcmOptions) {
    this.#o = o;
    this.#key = createPrivateKey(o.serviceAccount.private_key);
    this.#http = createOutbound(o.ca?.join('\n'));
  }

  static fromFile(file: string, o: Omit<FcmOptions, 'serviceAccount'>): FcmAdapter {
    return new FcmAdapter({ ...o, serviceAccount: serviceAccountSchema.parse(JSON.parse(readFileSync(file, 'utf8'))) });
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  async #accessToken(force: boolean): Promise<string> {
    if (!force && this.#access && this.#access.until > this.#now()) return this.#access.token;
    const sa = this.#o.serviceAccount;
    const aud = this.#o.tokenUrl ?? sa.token_uri;
    const iat = Math.floor(this.#now() / 1000);
    const assertion = signJwt(
      'RS256',
      sa.private_key_id ? { kid: sa.private_key_id } : {},
      { iss: sa.client_email, scope: FCM_SCOPE, aud, iat, exp: iat + 3600 },
      this.#key,
    );
    const res = await this.#http.request(aud, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
    });
    if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}`);
    const t = z
      .object({ access_token: z.string().min(1), expires_in: z.number().positive(), token_type: z.string() })
      .parse(JSON.parse(res.body.toString('utf8')));
    this.#access = { token: t.access_token, until: this.#now() + (t.expires_in - 60) * 1000 };
    return t.access_token;
  }

  static data(payload: DeliveryPayload): Record<string, string> {
    // ChatSecure's shipped format for messages: data key `message` = {"message": {token, data}}
    return payload.kind === 'knock'
      ? { kind: 'knock', knock: JSON.stringify(payload.knock) }
      : { kind: 'message', message: JSON.stringify({ message: { token: payload.token, data: payload.data ?? '' } }) };
  }

  async send(device: DeviceRow, payload: DeliveryPayload, ttlSeconds: number, urgent: boolean): Promise<AdapterResult> {
    for (let attempt = 0; attempt < 2; attempt++) {
      let token: string;
      try {
        token = await this.#accessToken(attempt > 0);
      } catch (e) {
        return { kind: 'retry', reason: (e as Error).message };
      }
      const body = JSON.stringify({
        message: { token: device.registrationId, data: FcmAdapter.data(payload), android: { priority: urgent ? 'high' : 'normal', ttl: `${ttlSeconds}s` } },
      });
      let res;
      try {
        res = await this.#http.request(
          new URL(`v1/projects/${this.#o.serviceAccount.project_id}/messages:send`, this.#o.url.endsWith('/') ? this.#o.url : `${this.#o.url}/`).toString(),
          {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
            body,
          },
        );
      } catch (e) {
        return { kind: 'retry', reason: (e as Error).message };
      }
      if (res.status === 401 && attempt === 0) continue; // access token revoked or expired early
      const text = res.body.toString('utf8');
      if (/UNREGISTERED/.test(text) || (res.status === 400 && /registration token is not a valid/i.test(text))) return { kind: 'gone', reason: 'UNREGISTERED' };
      return classifyStatus(res.status, `HTTP ${res.status}`);
    }
    return { kind: 'retry', reason: 'unauthorized' };
  }

  close(): void {
    this.#http.close();
  }
}
