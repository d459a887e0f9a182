import { describe, expect, it } from 'vitest';
import { MessengerError } from '../../src-shared/ipc/result';
import { toMessengerError } from './errors';
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
