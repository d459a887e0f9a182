// One interface for the platform push services (issue 4, "Adapters"). A push payload never
// carries message content (docs/architecture.md §7): it carries the sealed knock envelope (public To/From
// and an opaque blob) or the ChatSecure whitelist token with its opaque `data`.
import type { DeviceRow } from '../storage/types';
import type { DeliveryPayload } from '../../../src-shared/push/wire';

export type AdapterResult =
  | { kind: 'ok' }
  /** the registration is dead (APNs 410, FCM UNREGISTERED, Web Push 404/410): drop the device */
  | { kind: 'gone'; reason: string }
  /** transient (429, 5xx, network): try again later */
  | { kind: 'retry'; reason: string; afterMs?: number }
  /** permanent for this payload (4xx): drop the delivery */
  | { kind: 'failed'; reason: string };

export interface PushAdapter {
  readonly kind: 'apns' | 'fcm' | 'webpush';
  send(device: DeviceRow, payload: DeliveryPayload, ttlSeconds: number, urgent: boolean): Promise<AdapterResult>;
  close(): void;
}

/** Classifies an HTTP status the way all three services use it. */
export function classifyStatus(status: number, reason: string): AdapterResult {
  if (status >= 200 && status < 300) return { kind: 'ok' };
  if (status === 404 || status === 410) return { kind: 'gone', reason };
  if (status === 429 || status >= 500) return { kind: 'retry', reason };
  return { kind: 'failed', reason };
}
