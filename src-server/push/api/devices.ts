// device/{kind}/ (ChatSecure v3.1 as shipped, NOTES.md 2, plus our desktop and webpush kinds):
// register, list, read, update and delete one's own devices.
import { z } from 'zod';
import { deviceCreateSchema, deviceUpdateSchema, webPushSubscriptionSchema, type DeviceKind } from '../../../src-shared/push/wire';
import { isoMicros } from '../dates';
import { HttpError, badRequest, sendJson, validate } from '../http-util';
import { randomSecret, sha256hex, uuid } from '../secrets';
import type { DeviceRow } from '../storage/types';
import { ADAPTER_NAME, ADAPTER_OF, NOT_FOUND, type Ctx } from './context';
import type { ApiServices } from './services';

function deviceJson(dev: DeviceRow, secret?: string) {
  return {
    id: dev.id,
    kind: dev.kind,
    name: dev.name,
    active: dev.active,
    // the desktop channel secret is shown once, at creation; other kinds echo their token
    ...(dev.kind === 'desktop' ? (secret ? { registration_id: secret } : {}) : { registration_id: dev.registrationId }),
    device_id: dev.deviceId,
    date_created: isoMicros(dev.createdAt),
  };
}

function registrationId(kind: DeviceKind, raw: string | undefined): string {
  if (kind === 'desktop') {
    if (raw !== undefined) throw badRequest('invalid_request', 'desktop devices get their registration_id from the server');
    return '';
  }
  if (raw === undefined) throw badRequest('invalid_request', 'registration_id is required', [{ path: 'registration_id', message: 'required' }]);
  if (kind === 'apns') {
    // ChatSecure stripped spaces from the hex token (NOTES.md 2)
    const hex = raw.replace(/[ <>]/g, '').toLowerCase();
    if (!/^[0-9a-f]{64,200}$/.test(hex))
      throw badRequest('invalid_request', 'APNs registration_id must be a hex device token', [{ path: 'registration_id', message: 'invalid' }]);
    return hex;
  }
  if (kind === 'fcm') {
    if (!/^[A-Za-z0-9_:.-]{1,4096}$/.test(raw))
      throw badRequest('invalid_request', 'invalid FCM registration token', [{ path: 'registration_id', message: 'invalid' }]);
    return raw;
  }
  let sub: unknown;
  try {
    sub = JSON.parse(raw);
  } catch {
    throw badRequest('invalid_request', 'Web Push registration_id must be the subscription JSON', [{ path: 'registration_id', message: 'invalid' }]);
  }
  return JSON.stringify(validate(webPushSubscriptionSchema, sub));
}

export class DevicesApi {
  readonly #s: ApiServices;

  constructor(s: ApiServices) {
    this.#s = s;
  }

  async create(c: Ctx, kind: DeviceKind): Promise<void> {
    const a = await this.#s.auth(c);
    const body = validate(deviceCreateSchema, await this.#s.body(c));
    const regId = registrationId(kind, body.registration_id);
    const adapter = ADAPTER_OF[kind];
    if (adapter && !this.#s.canDeliver(kind)) {
      throw badRequest('device_kind_unavailable', `this server has no ${ADAPTER_NAME[adapter]} credentials: it cannot deliver to ${kind} devices`);
    }
    const { storage, now, config } = this.#s.d;
    const secret = kind === 'desktop' ? randomSecret() : undefined;
    const dev: DeviceRow = {
      id: uuid(),
      accountId: a.id,
      kind,
      registrationId: regId,
      channelHash: secret ? sha256hex(secret) : '',
      name: body.name ?? '',
      deviceId: body.device_id ?? '',
      active: body.active ?? true,
      createdAt: now(),
    };
    // the cap is checked inside the write, so parallel requests cannot pass it together
    if (!(await storage.createDevice(dev, config.maxDevicesPerAccount))) throw new HttpError(403, 'too_many_devices', 'device limit reached');
    sendJson(c.res, 201, deviceJson(dev, secret));
  }

  async list(c: Ctx, kind: DeviceKind): Promise<void> {
    const a = await this.#s.auth(c);
    sendJson(
      c.res,
      200,
      (await this.#s.d.storage.devices(a.id, kind)).map((x) => deviceJson(x)),
    );
  }

  async one(c: Ctx, kind: DeviceKind, id: string, m: string): Promise<void> {
    const a = await this.#s.auth(c);
    const { storage, desktop } = this.#s.d;
    const dev = z.uuid().safeParse(id).success ? await storage.device(id) : null;
    // another account's device is "not found": ids of others are not confirmed
    if (!dev || dev.accountId !== a.id || dev.kind !== kind) throw NOT_FOUND();
    if (m === 'GET') return sendJson(c.res, 200, deviceJson(dev));
    if (m === 'DELETE') {
      await storage.deleteDevice(dev.id);
      desktop.disconnect({ deviceId: dev.id });
      c.res.writeHead(204).end();
      return;
    }
    const body = validate(m === 'PUT' ? deviceCreateSchema : deviceUpdateSchema, await this.#s.body(c));
    const patch = {
      ...(body.registration_id !== undefined ? { registrationId: registrationId(kind, body.registration_id) } : {}),
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.device_id !== undefined ? { deviceId: body.device_id } : {}),
      ...(body.active !== undefined ? { active: body.active } : {}),
    };
    await storage.updateDevice(dev.id, patch);
    if (patch.active === false) desktop.disconnect({ deviceId: dev.id });
    sendJson(c.res, 200, deviceJson((await storage.device(dev.id))!));
  }
}
