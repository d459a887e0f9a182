import { describe, expect, it } from 'vitest';
import { decodePushTlv, encodePushTlv, MAX_PUSH_TLV_BYTES, messagesUrlOf } from './handshake-tlv';
import { PushHandshakeError } from './errors';

const token = 'ab'.repeat(20);
const offer = {
  kind: 'offer' as const,
  v: 1 as const,
  push_name: 'alice',
  api_endpoint: 'https://push.a.test/api/v1/',
  endpoint: 'https://push.a.test/api/v1/messages/',
  tokens: [token],
};
const bytes = (s: string) => new TextEncoder().encode(s);

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof PushHandshakeError) return e.code;
    throw e;
  }
  return 'accepted';
}

describe('push handshake TLV 0x01A4', () => {
  it('round-trips offer, answer and revoke; endpoints come back normalised', () => {
    expect(decodePushTlv(encodePushTlv(offer))).toEqual(offer);
    const answer = { ...offer, kind: 'answer' as const, api_endpoint: 'HTTPS://Push.B.test/api/v1' };
    expect(decodePushTlv(encodePushTlv(answer))).toMatchObject({ kind: 'answer', api_endpoint: 'https://push.b.test/api/v1/' });
    expect(decodePushTlv(encodePushTlv({ kind: 'revoke', v: 1 }))).toEqual({ kind: 'revoke', v: 1 });
    expect(messagesUrlOf('https://push.a.test/api/v1/')).toBe('https://push.a.test/api/v1/messages/');
  });

  it('refuses oversized values before parsing them', () => {
    const big = new Uint8Array(MAX_PUSH_TLV_BYTES + 1).fill(0x20);
    expect(code(() => decodePushTlv(big))).toBe('oversized-push-tlv');
  });

  it('refuses malformed and unexpected payloads with a typed error', () => {
    const cases: Array<[string, Uint8Array]> = [
      ['not JSON', bytes('{"kind":')],
      ['not UTF-8', Uint8Array.of(0x7b, 0xff, 0x7d)],
      ['an array', bytes('[]')],
      ['unknown kind', bytes(JSON.stringify({ ...offer, kind: 'gift' }))],
      ['unknown key', bytes(JSON.stringify({ ...offer, extra_data: 'x' }))],
      ['ChatSecure-only push_info (no push_name)', bytes(JSON.stringify({ endpoint: offer.endpoint, tokens: [token] }))],
      ['bad token', bytes(JSON.stringify({ ...offer, tokens: ['XYZ'] }))],
      ['no tokens', bytes(JSON.stringify({ ...offer, tokens: [] }))],
      ['too many tokens', bytes(JSON.stringify({ ...offer, tokens: Array(6).fill(token) }))],
      ['endpoint with credentials', bytes(JSON.stringify({ ...offer, api_endpoint: 'https://u:p@push.a.test/api/v1/' }))],
      ['endpoint not http', bytes(JSON.stringify({ ...offer, api_endpoint: 'javascript:alert(1)' }))],
      ['push_name with a space', bytes(JSON.stringify({ ...offer, push_name: 'a b' }))],
      ['wrong version', bytes(JSON.stringify({ ...offer, v: 2 }))],
    ];
    for (const [why, value] of cases)
      expect(
        code(() => decodePushTlv(value)),
        why,
      ).toBe('malformed-push-tlv');
  });

  it('the error message names fields, never their values', () => {
    try {
      decodePushTlv(bytes(JSON.stringify({ ...offer, push_name: 'secret name!' })));
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toContain('push_name');
      expect((e as Error).message).not.toContain('secret name');
    }
  });

  it('refuses to encode an invalid value', () => {
    expect(code(() => encodePushTlv({ ...offer, tokens: ['nope'] }))).toBe('malformed-push-tlv');
  });
});
