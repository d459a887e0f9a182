import { describe, expect, it } from 'vitest';
import { isOtrDataMessage, isOtrText } from './stanza';

const encoded = (version: number, type: number) => `?OTR:${Buffer.from([0, version, type, 9, 9, 9]).toString('base64')}.`;

describe('OTR text in a body', () => {
  it('tells data messages (versions 2, 3, 4) from key exchanges, queries and errors', () => {
    for (const v of [2, 3, 4]) expect(isOtrDataMessage(encoded(v, 0x03))).toBe(true);
    expect(isOtrDataMessage(encoded(4, 0x35))).toBe(false); // Identity
    expect(isOtrDataMessage(encoded(3, 0x02))).toBe(false); // D-H Commit
    expect(isOtrDataMessage('?OTRv34?')).toBe(false);
    expect(isOtrDataMessage('?OTR Error: ERROR_1')).toBe(false);
    expect(isOtrText('?OTR Error: ERROR_1')).toBe(true);
    expect(isOtrDataMessage('hello ?OTR:AAQD')).toBe(false);
  });

  it('counts the first fragment of a data message, not the later ones', () => {
    const data = encoded(4, 0x03);
    expect(isOtrDataMessage(`?OTR|5a|100|200,1,3,${data.slice(0, 12)},`)).toBe(true); // OTRv4 fragment
    expect(isOtrDataMessage(`?OTR|100|200,00001,00003,${data.slice(0, 12)},`)).toBe(true); // OTRv3 fragment
    expect(isOtrDataMessage(`?OTR|100|200,2,3,${data.slice(12)},`)).toBe(false);
    expect(isOtrDataMessage(`?OTR|5a|100|200,1,3,${encoded(4, 0x36).slice(0, 12)},`)).toBe(false);
  });
});
