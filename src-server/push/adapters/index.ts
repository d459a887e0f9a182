// Builds the adapters enabled by the configuration (credentials come from configuration only).
import type { PushServerConfig } from '../config';
import type { PushAdapter } from './types';
import { ApnsAdapter } from './apns';
import { FcmAdapter } from './fcm';
import { WebPushAdapter } from './webpush';

export async function createAdapters(config: PushServerConfig, ca: string[] | undefined): Promise<Partial<Record<'apns' | 'fcm' | 'webpush', PushAdapter>>> {
  const out: Partial<Record<'apns' | 'fcm' | 'webpush', PushAdapter>> = {};
  if (config.apns) out.apns = ApnsAdapter.fromFiles({ ...config.apns, ca });
  if (config.fcm) out.fcm = FcmAdapter.fromFile(config.fcm.serviceAccountFile, { url: config.fcm.url, tokenUrl: config.fcm.tokenUrl, ca });
  if (config.webpush) out.webpush = WebPushAdapter.fromFile(config.webpush.vapidKeyFile, { subject: config.webpush.subject, ca });
  return out;
}
