import { describe, expect, it } from 'vitest';
import { MessengerError } from '../../src-shared/ipc/result';
import { conditionName, scrubSecrets, toMessengerError } from './errors';
import { InsecureStreamError } from './xmpp/client/client';

const sasl = (condition: string) => Object.assign(new Error(condition), { name: 'SASLError', condition });
const coded = (code: string) => Object.assign(new Error(code), { code });

describe('connection errors in plain words', () => {
  it.each([
    [sasl('not-authorized'), 'auth-failed'],
    [sasl('account-disabled'), 'auth-failed'],
    [coded('ECONNREFUSED'), 'server-unreachable'],
    [coded('ENOTFOUND'), 'server-unreachable'],
    [Object.assign(new Error('t'), { name: 'TimeoutError' }), 'server-unreachable'],
    [coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'certificate-untrusted'],
    [coded('ERR_TLS_CERT_ALTNAME_INVALID'), 'certificate-untrusted'],
    [coded('CERT_HAS_EXPIRED'), 'certificate-untrusted'],
    [new InsecureStreamError(), 'certificate-untrusted'],
    [new Error('something else'), 'internal'],
    ['a string', 'internal'],
    [null, 'internal'],
  ])('%s -> %s', (e, code) => {
    const m = toMessengerError(e, 'example.org');
    expect(m).toBeInstanceOf(MessengerError);
    expect(m.code).toBe(code);
  });

  it('keeps a MessengerError as it is', () => {
    const e = new MessengerError('timeout', 'x');
    expect(toMessengerError(e, 'w')).toBe(e);
  });
});

describe('no server text reaches the user or a log (issue 18)', () => {
  const secret = 'hunter2-SECRET';
  it.each([
    Object.assign(new Error(`x ${secret}`), { name: 'SASLError', condition: secret, text: secret }),
    Object.assign(new Error(`x ${secret}`), { name: 'StreamError', condition: secret, text: secret }),
    Object.assign(new Error(`x ${secret}`), { name: 'StanzaError', condition: secret, text: secret }),
  ])('a condition that is not one of RFC 6120 is not repeated: %s', (e) => {
    const m = toMessengerError(e, 'example.org');
    expect(m.message).not.toContain(secret);
    expect(JSON.stringify(m)).not.toContain(secret);
  });

  it('names a known condition', () => {
    expect(toMessengerError(Object.assign(new Error('x'), { name: 'StreamError', condition: 'system-shutdown' }), 'example.org').message).toContain(
      'system-shutdown',
    );
    expect(conditionName('policy-violation')).toBe('policy-violation');
    expect(conditionName('password=hunter2')).toBe('error');
    expect(conditionName(undefined)).toBe('error');
  });

  it('scrubs secrets from any text', () => {
    expect(scrubSecrets(`bad password ${secret}!`, [secret, ''])).toBe('bad password ***!');
  });
});
