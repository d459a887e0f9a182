// Builds the adapters enabled by the configuration (credentials come from configuration only).
import type { PushServerConfig } from '../config';
import type { PushAdapter } from './types';

export async function createAdapters(_config: PushServerConfig, _ca: string[] | undefined): Promise<Partial<Record<'apns' | 'fcm' | 'webpush', PushAdapter>>> {
  return {};
}
