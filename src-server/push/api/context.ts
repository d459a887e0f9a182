// What every part of the HTTP API shares (api.ts routes to api/*.ts): the dependencies, the
// request context, and the refusals more than one part gives.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DeviceKind } from '../../../src-shared/push/wire';
import type { PushServerConfig } from '../config';
import type { DesktopChannel } from '../desktop';
import type { ServerIdentity } from '../federation';
import { HttpError } from '../http-util';
import type { Logger } from '../log';
import type { Outbound } from '../outbound';
import type { PushStorage } from '../storage/types';
import type { OutboxWorker } from '../worker';

export interface ApiDeps {
  config: PushServerConfig;
  storage: PushStorage;
  identity: ServerIdentity;
  outbound: Outbound;
  worker: OutboxWorker;
  desktop: DesktopChannel;
  log: Logger;
  now: () => number;
}

/** one request on its way through the API */
export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  /** path below the api_endpoint path, without leading '/' */
  path: string[];
  addr: string;
}

export const AUTH_FAILED = () => new HttpError(401, 'invalid_token', 'Invalid token.', undefined, { 'www-authenticate': 'Token' });
export const NOT_FOUND = () => new HttpError(404, 'not_found', 'Not found.');

/** ChatSecure's device kinds plus ours; `gcm` is the shipped name of FCM. */
export const KIND_ALIASES: Record<string, DeviceKind> = { apns: 'apns', gcm: 'fcm', fcm: 'fcm', webpush: 'webpush', desktop: 'desktop' };

/** the adapter a device kind needs; desktop devices need none */
export const ADAPTER_OF: Record<DeviceKind, 'apns' | 'fcm' | 'webpush' | null> = { desktop: null, apns: 'apns', fcm: 'fcm', webpush: 'webpush' };
export const ADAPTER_NAME = { apns: 'APNs', fcm: 'FCM', webpush: 'Web Push' } as const;
