import { describe, expect, it } from 'vitest';
import {
  endpointSchema,
  knockEnvelopeSchema,
  MAX_RELAY_KNOCKS,
  normalizeEndpoint,
  pushNameSchema,
  relayBatchSchema,
  relaySchema,
  webPushSubscriptionSchema,
} from './wire';

describe('push wire formats', () => {
  it('normalises endpoints so that one endpoint has one spelling', () => {
    expect(normalizeEndpoint('HTTPS://Push.Example.ORG/api/v1')).toBe('https://push.example.org/api/v1/');
    expect(normalizeEndpoint('https://push.example.org:443/api/v1/')).toBe('https://push.example.org/api/v1/');
    for (const bad of ['ftp://x/', 'https://u:p@x/', 'https://x/?a=1', 'https://x/#f', 'not a url', 'javascript:alert(1)']) {
      expect(() => normalizeEndpoint(bad), bad).toThrow();
      expect(endpointSchema.safeParse(bad).success, bad).toBe(false);
    }
    expect(endpointSchema.safeParse('https://x/\n').success).toBe(false);
  });

  it('accepts ChatSecure push_names and refuses SQL and control characters', () => {
    for (const ok of ['bob', 'a.b+c_d-e@f', 'x'.repeat(64)]) expect(pushNameSchema.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['', 'x'.repeat(65), "a'b", 'a b', 'a\u0000', 'a;DROP', 'é']) expect(pushNameSchema.safeParse(bad).success, bad).toBe(false);
  });

  it('knock envelopes are strict', () => {
    const k = {
      v: 1,
      id: 'AAECAwQFBgcICQoLDA0ODw',
      to: { endpoint: 'https://a/api/v1/', push_name: 'a' },
      from: { endpoint: 'https://b/api/v1/', push_name: 'b' },
      sealed: 'abc',
    };
    expect(knockEnvelopeSchema.safeParse(k).success).toBe(true);
    expect(knockEnvelopeSchema.safeParse({ ...k, extra: 1 }).success).toBe(false);
    expect(knockEnvelopeSchema.safeParse({ ...k, to: { ...k.to, account_name: 'leak' } }).success).toBe(false);
    expect(knockEnvelopeSchema.safeParse({ ...k, sealed: 'a'.repeat(2000) }).success).toBe(false);
  });

  it('batched relays carry 1 to MAX_RELAY_KNOCKS strict knock envelopes', () => {
    const k = {
      v: 1,
      id: 'AAECAwQFBgcICQoLDA0ODw',
      to: { endpoint: 'https://a/api/v1/', push_name: 'a' },
      from: { endpoint: 'https://b/api/v1/', push_name: 'b' },
      sealed: 'abc',
    };
    const head = { relay_id: 'AAECAwQFBgcICQoLDA0ODw', origin: 'https://b/api/v1/', destination: 'https://a/api/v1/', sent_at: 1 };
    expect(relayBatchSchema.safeParse({ ...head, knocks: [k, { ...k, id: 'BAECAwQFBgcICQoLDA0ODw' }] }).success).toBe(true);
    expect(relayBatchSchema.safeParse({ ...head, knocks: Array.from({ length: MAX_RELAY_KNOCKS }, () => k) }).success).toBe(true);
    expect(relayBatchSchema.safeParse({ ...head, knocks: Array.from({ length: MAX_RELAY_KNOCKS + 1 }, () => k) }).success).toBe(false);
    expect(relayBatchSchema.safeParse({ ...head, knocks: [] }).success).toBe(false);
    expect(relayBatchSchema.safeParse({ ...head, knocks: [{ ...k, extra: 1 }] }).success).toBe(false);
    // one form or the other, never both
    expect(relayBatchSchema.safeParse({ ...head, knocks: [k], knock: k }).success).toBe(false);
    expect(relaySchema.safeParse({ ...head, knocks: [k], knock: k }).success).toBe(false);
    expect(relaySchema.safeParse({ ...head, knock: k }).success).toBe(true);
  });

  it('validates Web Push subscriptions (RFC 8291 key sizes)', () => {
    const sub = { endpoint: 'https://push.example/s/1', keys: { p256dh: 'B'.repeat(87), auth: 'A'.repeat(22) } };
    expect(webPushSubscriptionSchema.safeParse(sub).success).toBe(true);
    expect(webPushSubscriptionSchema.safeParse({ ...sub, keys: { ...sub.keys, auth: 'A'.repeat(21) } }).success).toBe(false);
    expect(webPushSubscriptionSchema.safeParse({ ...sub, endpoint: 'file:///etc/passwd' }).success).toBe(false);
  });
});
