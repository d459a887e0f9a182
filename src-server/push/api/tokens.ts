// tokens/ (ChatSecure v3.1 whitelist tokens, as shipped, NOTES.md 2): issue, list, read and
// revoke the tokens that let a contact send messages/ to one's devices.
import { tokenCreateSchema, whitelistTokenSchema } from '../../../src-shared/push/wire';
import { isoMicros } from '../dates';
import { HttpError, badRequest, sendJson, validate } from '../http-util';
import { randomWhitelistToken, sha256hex, uuid } from '../secrets';
import type { WhitelistTokenRow } from '../storage/types';
import { NOT_FOUND, type Ctx } from './context';
import type { ApiServices } from './services';

export class TokensApi {
  readonly #s: ApiServices;

  constructor(s: ApiServices) {
    this.#s = s;
  }

  /** The shipped server's answer {name, token, apns_device, gcm_device, date_expires} (the
   * ChatSecure iOS SDK refuses one without its device key: "JSON missing registration ID"), plus
   * our id and device. */
  async #json(t: WhitelistTokenRow, plain?: string) {
    const kind = t.deviceId ? (await this.#s.d.storage.device(t.deviceId))?.kind : undefined;
    return {
      id: t.id,
      name: t.name,
      ...(plain ? { token: plain } : {}),
      apns_device: kind === 'apns' ? t.deviceId : null,
      gcm_device: kind === 'fcm' ? t.deviceId : null,
      device: t.deviceId,
      date_expires: isoMicros(t.expiresAt),
    };
  }

  async create(c: Ctx): Promise<void> {
    const a = await this.#s.auth(c);
    const body = validate(tokenCreateSchema, await this.#s.body(c));
    const refs = [body.apns_device, body.gcm_device, body.device].filter((x): x is string => x !== undefined);
    if (refs.length > 1) throw badRequest('invalid_request', 'give at most one of apns_device, gcm_device, device');
    const { storage, now, config } = this.#s.d;
    let deviceId: string | null = null;
    if (refs[0]) {
      const dev = await storage.device(refs[0]);
      if (!dev || dev.accountId !== a.id) throw badRequest('invalid_request', 'unknown device', [{ path: 'device', message: 'not found' }]);
      deviceId = dev.id;
    }
    const plain = randomWhitelistToken();
    const t = now();
    const row: WhitelistTokenRow = {
      id: uuid(),
      hash: sha256hex(plain),
      accountId: a.id,
      deviceId,
      name: body.name ?? '',
      createdAt: t,
      expiresAt: t + config.whitelistTokenTtlS * 1000,
    };
    // the cap is checked inside the write, so parallel requests cannot pass it together
    if (!(await storage.createWhitelistToken(row, config.maxTokensPerAccount))) throw new HttpError(403, 'too_many_tokens', 'token limit reached');
    sendJson(c.res, 201, await this.#json(row, plain));
  }

  async list(c: Ctx): Promise<void> {
    const a = await this.#s.auth(c);
    const now = this.#s.d.now();
    const live = (await this.#s.d.storage.whitelistTokens(a.id)).filter((t) => t.expiresAt > now);
    sendJson(c.res, 200, await Promise.all(live.map((t) => this.#json(t))));
  }

  async one(c: Ctx, token: string, m: string): Promise<void> {
    const a = await this.#s.auth(c);
    const { storage } = this.#s.d;
    const row = whitelistTokenSchema.safeParse(token).success ? await storage.whitelistTokenByHash(sha256hex(token)) : null;
    if (!row || row.accountId !== a.id) throw NOT_FOUND();
    if (m === 'DELETE') {
      await storage.deleteWhitelistToken(row.id);
      c.res.writeHead(204).end();
      return;
    }
    sendJson(c.res, 200, await this.#json(row, token));
  }
}
