import { describe, expect, it } from 'vitest';
import { RateLimiter } from './ratelimit';
import { hashPassword, randomId, verifyPassword } from './secrets';
import { ConfigError, parseConfig } from './config';
import { parseBody, HttpError } from './http-util';
import { generateKeyPairSync } from 'node:crypto';
import { signBody, verifyBody, type ServerIdentity } from './federation';

describe('rate limiter', () => {
  it('allows a burst, then the sustained rate, per key', () => {
    let t = 0;
    const l = new RateLimiter({ burst: 3, perSecond: 2 }, () => t);
    expect([l.take('a'), l.take('a'), l.take('a'), l.take('a')]).toEqual([true, true, true, false]);
    expect(l.take('b')).toBe(true);
    expect(l.retryAfter('a')).toBe(1);
    t += 500;
    expect([l.take('a'), l.take('a')]).toEqual([true, false]);
    t += 10_000;
    expect([l.take('a'), l.take('a'), l.take('a'), l.take('a')]).toEqual([true, true, true, false]);
  });
  it('takes several tokens for a costly request, never more than a full bucket', () => {
    let t = 0;
    const l = new RateLimiter({ burst: 10, perSecond: 5 }, () => t);
    expect(l.take('p', 8)).toBe(true);
    expect(l.take('p', 3)).toBe(false);
    expect(l.take('p', 2)).toBe(true);
    t += 2000;
    // 64 knocks against a burst of 10: passes when the bucket is full, costs all of it
    expect(l.take('p', 64)).toBe(true);
    expect(l.take('p')).toBe(false);
  });
  it('0:0 disables the limit', () => {
    const l = new RateLimiter({ burst: 0, perSecond: 0 });
    for (let i = 0; i < 100; i++) expect(l.take('x')).toBe(true);
  });
});

describe('password hashing', () => {
  it('verifies the right password only; malformed hashes verify as false', async () => {
    const p = { logN: 10, r: 8, p: 1 };
    const h = await hashPassword('correct horse', p);
    expect(h).toMatch(/^scrypt\$10\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword('correct horse', h)).toBe(true);
    expect(await verifyPassword('correct hors', h)).toBe(false);
    expect(await hashPassword('correct horse', p)).not.toBe(h);
    for (const bad of ['', 'scrypt$', 'md5$1$2$3$4$5', 'scrypt$99$8$1$AAAA$AAAA']) expect(await verifyPassword('x', bad)).toBe(false);
  });
});

describe('random ids', () => {
  it('are 128-bit base64url and never repeat, across refills of the random pool', () => {
    const ids = Array.from({ length: 1000 }, () => randomId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('configuration', () => {
  it('has safe defaults and validates options', () => {
    const c = parseConfig([], {});
    if (c === 'help') throw new Error('unexpected');
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8080, database: null, knockTtlS: 604800, maxBody: 16384 });
    expect(parseConfig(['--help'])).toBe('help');
    expect(parseConfig(['--public-url', 'https://Push.Example/api/v1'], {})).toMatchObject({ publicUrl: 'https://push.example/api/v1/' });
    expect(parseConfig([], { PUSH_DATABASE_URL: 'postgres://x/y' })).toMatchObject({ database: 'postgres://x/y' });
    expect(() => parseConfig(['--tls-cert', 'a'])).toThrow(ConfigError);
    expect(() => parseConfig(['--rate-ip', 'fast'])).toThrow(ConfigError);
    expect(() => parseConfig(['--port', '-1'])).toThrow();
    expect(() => parseConfig(['--apns-key', 'k.p8'])).toThrow(ConfigError);
    expect(() => parseConfig(['--bogus'])).toThrow();
  });
});

describe('body parsing', () => {
  it('parses JSON and forms, refuses everything else', () => {
    expect(parseBody(Buffer.from('{"a":1}'), 'application/json; charset=utf-8')).toEqual({ a: 1 });
    expect(parseBody(Buffer.from('token=ab&active=true'), 'application/x-www-form-urlencoded')).toEqual({ token: 'ab', active: true });
    expect(() => parseBody(Buffer.from('{'), 'application/json')).toThrow(HttpError);
    expect(() => parseBody(Buffer.from('a'), 'text/plain')).toThrowError(expect.objectContaining({ status: 415 }));
    expect(() => parseBody(Buffer.from([0xff]), 'application/json')).toThrowError(expect.objectContaining({ code: 'invalid_encoding' }));
  });
});

describe('federation signatures', () => {
  it('verify only for the same context, body and key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const id: ServerIdentity = { endpoint: 'https://a/api/v1/', publicKeyB64: publicKey.export({ format: 'jwk' }).x!, privateKey };
    const sig = signBody(id, 'ctx-a\n', '{"x":1}');
    expect(verifyBody(id.publicKeyB64, 'ctx-a\n', '{"x":1}', sig)).toBe(true);
    expect(verifyBody(id.publicKeyB64, 'ctx-b\n', '{"x":1}', sig)).toBe(false);
    expect(verifyBody(id.publicKeyB64, 'ctx-a\n', '{"x":2}', sig)).toBe(false);
    expect(verifyBody(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!, 'ctx-a\n', '{"x":1}', sig)).toBe(false);
    expect(verifyBody(id.publicKeyB64, 'ctx-a\n', '{"x":1}', undefined)).toBe(false);
    expect(verifyBody('not-a-key', 'ctx-a\n', '{"x":1}', sig)).toBe(false);
  });
});
