import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { base64Decode, base64Encode } from './base64';
import { classifyMessage, decodeOtrMessage, encodeOtrMessage } from './envelope';
import { formatErrorMessage, parseErrorMessage } from './error-message';
import { chooseVersion, formatQueryMessage, onlyRefusedV2, parseQueryMessage } from './query';
import { addWhitespaceTag, findWhitespaceTag, WHITESPACE_BASE } from './whitespace';
import { fragmentV2, fragmentV3, parseV2Fragment, parseV3Fragment, V3Reassembler } from './fragment-v3';
import { OtrError } from './errors';

const onlyOtrErrors = (f: () => unknown): void => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OtrError);
  }
};

describe('base64', () => {
  it('round-trips and matches the RFC 4648 §10 vectors', () => {
    const vec: Array<[string, string]> = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, enc] of vec) {
      expect(base64Encode(new TextEncoder().encode(plain))).toBe(enc);
      expect(new TextDecoder().decode(base64Decode(enc))).toBe(plain);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        expect(base64Decode(base64Encode(b))).toEqual(b);
      }),
    );
  });
  it('rejects bad characters, lengths, padding and non-canonical trailing bits', () => {
    for (const bad of ['Zg=', 'Z', 'Zm9v!', 'Zh==', 'Zm9=v', 'Zg===']) expect(() => base64Decode(bad)).toThrow(OtrError);
  });
  it('fuzz: only OtrError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (s) => onlyOtrErrors(() => base64Decode(s))));
  });
});

describe('query messages', () => {
  it('parses the examples of OTRv3 §"OTR Query Messages"', () => {
    expect(parseQueryMessage('?OTR?')).toEqual([1]);
    expect(parseQueryMessage('?OTRv2?')).toEqual([2]);
    expect(parseQueryMessage('?OTRv23?')).toEqual([2, 3]);
    expect(parseQueryMessage('?OTR?v2?')).toEqual([1, 2]);
    expect(parseQueryMessage('?OTRv24x?')).toEqual([2, 4]);
    expect(parseQueryMessage('?OTR?v?')).toEqual([1]);
    expect(parseQueryMessage('?OTRv?')).toEqual([]);
    expect(parseQueryMessage('hello ?OTRv3? alice wants to talk')).toEqual([3]);
    expect(parseQueryMessage('just text')).toBeUndefined();
    expect(parseQueryMessage('?OTRv3 no close')).toBeUndefined();
  });
  it('formats; chooses the newest allowed version, v2 only when nothing newer is offered, never v1', () => {
    expect(formatQueryMessage([3])).toBe('?OTRv3?');
    expect(formatQueryMessage([3, 4])).toBe('?OTRv43?');
    expect(formatQueryMessage([2, 3, 4])).toBe('?OTRv432?');
    expect(() => formatQueryMessage([1])).toThrow(RangeError);
    const all = { allowV3: true, allowV4: true };
    expect(chooseVersion([1], all)).toBeUndefined();
    expect(chooseVersion([1, 2], all)).toBe(2); // allowV2 absent: allowed
    expect(chooseVersion([1, 2], { ...all, allowV2: false })).toBeUndefined();
    expect(chooseVersion([2, 3, 4], { allowV3: true, allowV4: false })).toBe(3);
    expect(chooseVersion([2, 3], { ...all, allowV2: true })).toBe(3);
    expect(chooseVersion([3, 4], all)).toBe(4);
    expect(chooseVersion([2, 4], { allowV2: true, allowV3: true, allowV4: false })).toBe(2);
    // Profanity's query: v1 and v2
    expect(parseQueryMessage('?OTR?v2? This user has requested an Off-the-Record private conversation.')).toEqual([1, 2]);
    expect(onlyRefusedV2([1, 2], { ...all, allowV2: false })).toBe(true);
    expect(onlyRefusedV2([2, 3], { ...all, allowV2: false })).toBe(false);
    expect(onlyRefusedV2([1, 2], all)).toBe(false);
    expect(onlyRefusedV2([1], { ...all, allowV2: false })).toBe(false);
  });
});

describe('whitespace tags', () => {
  it('adds and finds the v3 and v4 tags, removing them from the text', () => {
    const t = addWhitespaceTag('hi', [3, 4]);
    expect(t.startsWith('hi' + WHITESPACE_BASE)).toBe(true);
    expect(findWhitespaceTag(t)).toEqual({ versions: [4, 3], text: 'hi' });
    expect(findWhitespaceTag('a' + WHITESPACE_BASE + '\x20\x20\x09\x09\x20\x20\x09\x20' + ' b')).toEqual({ versions: [2], text: 'a b' });
    expect(findWhitespaceTag('no tag')).toBeUndefined();
  });
  it('offers v2 with its own 8-byte tag (OTRv3 §"Tagged plaintext messages": "  \\t\\t  \\t ")', () => {
    expect(addWhitespaceTag('x', [4, 3, 2])).toBe(
      'x' + WHITESPACE_BASE + '\x20\x20\x09\x09\x20\x09\x20\x20' + '\x20\x20\x09\x09\x20\x20\x09\x09' + '\x20\x20\x09\x09\x20\x20\x09\x20',
    );
    expect(() => addWhitespaceTag('x', [1])).toThrow(RangeError);
  });
});

describe('error messages and classification', () => {
  it('classifies each kind', () => {
    expect(parseErrorMessage(formatErrorMessage('boom'))).toBe('boom');
    expect(classifyMessage('?OTR Error: You sent junk')).toEqual({ kind: 'error', message: 'You sent junk' });
    expect(classifyMessage('?OTRv3?')).toEqual({ kind: 'query', versions: [3], text: '?OTRv3?' });
    expect(classifyMessage('?OTR|1|2,1,1,x,').kind).toBe('fragment');
    expect(classifyMessage('hello')).toEqual({ kind: 'plaintext', text: 'hello', tagVersions: [] });
    const enc = classifyMessage(encodeOtrMessage(Uint8Array.of(0, 3, 2, 9)));
    expect(enc).toEqual({ kind: 'encoded', bytes: Uint8Array.of(0, 3, 2, 9), version: 3, messageType: 2 });
    expect(decodeOtrMessage('x ?OTR:AAMC. trailing')).toEqual(Uint8Array.of(0, 3, 2));
    expect(() => classifyMessage('?OTR:AAMC')).toThrow(OtrError);
  });
  it('fuzz: classification throws only OtrError', () => {
    const pieces = fc.constantFrom('?OTR', ':', '?', 'v', '3', '4', '|', ',', '.', ' ', '\t', 'Error:', 'AAMD', '=', WHITESPACE_BASE, 'x');
    fc.assert(
      fc.property(
        fc.array(pieces, { maxLength: 12 }).map((a) => a.join('')),
        (s) => onlyOtrErrors(() => classifyMessage(s)),
      ),
    );
    fc.assert(fc.property(fc.string(), (s) => onlyOtrErrors(() => classifyMessage(s))));
  });
});

describe('v2 fragments ("?OTR,k,n,piece,", OTRv3 §"Fragmentation")', () => {
  it('parse with tags 0, reassemble in order, and reject illegal ones', () => {
    const f = ['?OTR,1,3,?OTR:AAID,', '?OTR,00002,00003,AAAA,', '?OTR,3,3,BBBB.,'].map(parseV2Fragment);
    expect(f[0]).toEqual({ senderTag: 0, receiverTag: 0, index: 1, total: 3, piece: '?OTR:AAID' });
    const r = new V3Reassembler();
    expect(r.add(f[0]!)).toBeUndefined();
    expect(r.add(f[1]!)).toBeUndefined();
    expect(r.add(f[2]!)).toBe('?OTR:AAIDAAAABBBB.');
    for (const bad of ['?OTR,0,1,x,', '?OTR,2,1,x,', '?OTR,1,1,,', '?OTR,1,x,y,', '?OTR,65536,65536,x,', '?OTR,1,1']) {
      expect(() => parseV2Fragment(bad), bad).toThrow(OtrError);
    }
    fc.assert(fc.property(fc.string(), (s) => onlyOtrErrors(() => parseV2Fragment('?OTR,' + s))));
  });
  it('split (libotr layout: %05hu) and rejoin within the size limit', () => {
    const msg = encodeOtrMessage(new Uint8Array(300).fill(7));
    const frags = fragmentV2(msg, 100);
    expect(frags[0]).toMatch(/^\?OTR,00001,00005,\?OTR:Bwc/);
    const r = new V3Reassembler();
    let out: string | undefined;
    for (const fr of frags) {
      expect(fr.length).toBeLessThanOrEqual(100);
      out = r.add(parseV2Fragment(fr));
    }
    expect(out).toBe(msg);
    expect(fragmentV2('?OTR:AAIC.', 100)).toEqual(['?OTR:AAIC.']);
  });
});

describe('v3 fragments', () => {
  // the example of OTRv3 §"Fragmentation"
  const example = [
    '?OTR|5a73a599|27e31597,00001,00003,?OTR:AAMDJ+MVmSfjFZcAAAAAAQAAAAIAAADA1g5IjD1ZGLDVQEyCgCyn9hbrL3KAbGDdzE2ZkMyTKl7XfkSxh8YJnudstiB74i4BzT0W2haClg6dMary/jo9sMudwmUdlnKpIGEKXWdvJKT+hQ26h9nzMgEditLB8v,',
    '?OTR|5a73a599|27e31597,00002,00003,jPEWAJ6gBXvZrY6ZQrx3gb4v0UaSMOMiR5sB7Eaulb2Yc6RmRnnlxgUUC2alosg4WIeFN951PLjScajVba6dqlDi+q1H5tPvI5SWMN7PCBWIJ41+WvF+5IAZzQZYgNaVLbAAAAAAAAAAEAAAAHwNiIi5Ms+4PsY/L2i,',
    '?OTR|5a73a599|27e31597,00003,00003,pkTtquknfx6HodLvk3RAAAAAA==.,',
  ];
  const whole =
    '?OTR:AAMDJ+MVmSfjFZcAAAAAAQAAAAIAAADA1g5IjD1ZGLDVQEyCgCyn9hbrL3KAbGDdzE2ZkMyTKl7XfkSxh8YJnudstiB74i4BzT0W2haClg6dMary/jo9sMudwmUdlnKpIGEKXWdvJKT+hQ26h9nzMgEditLB8vjPEWAJ6gBXvZrY6ZQrx3gb4v0UaSMOMiR5sB7Eaulb2Yc6RmRnnlxgUUC2alosg4WIeFN951PLjScajVba6dqlDi+q1H5tPvI5SWMN7PCBWIJ41+WvF+5IAZzQZYgNaVLbAAAAAAAAAAEAAAAHwNiIi5Ms+4PsY/L2ipkTtquknfx6HodLvk3RAAAAAA==.';

  it('reassembles the spec example and parses its tags', () => {
    const r = new V3Reassembler();
    const f = example.map(parseV3Fragment);
    expect(f[0]).toMatchObject({ senderTag: 0x5a73a599, receiverTag: 0x27e31597, index: 1, total: 3 });
    expect(r.add(f[0]!)).toBeUndefined();
    expect(r.add(f[1]!)).toBeUndefined();
    expect(r.add(f[2]!)).toBe(whole);
  });
  it('drops out-of-order fragments and restarts on k == 1', () => {
    const f = example.map(parseV3Fragment);
    const r = new V3Reassembler();
    r.add(f[0]!);
    expect(r.add(f[2]!)).toBeUndefined();
    expect(r.pending).toBe(false);
    r.add(f[0]!);
    r.add(f[0]!);
    r.add(f[1]!);
    expect(r.add(f[2]!)).toBe(whole);
  });
  it('splits and rejoins any message within the size limit', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 600 }), fc.integer({ min: 40, max: 200 }), (b, max) => {
        const msg = encodeOtrMessage(b);
        const frags = fragmentV3(msg, max, 0x100, 0x200);
        const r = new V3Reassembler();
        let out: string | undefined;
        if (frags.length === 1) {
          expect(frags[0]).toBe(msg);
          return;
        }
        for (const fr of frags) {
          expect(fr.length).toBeLessThanOrEqual(max);
          out = r.add(parseV3Fragment(fr));
        }
        expect(out).toBe(msg);
      }),
    );
  });
  it('rejects illegal fragments', () => {
    for (const bad of [
      '?OTR|1|2,0,1,x,',
      '?OTR|1|2,2,1,x,',
      '?OTR|1|2,1,0,x,',
      '?OTR|1|2,1,1,,',
      '?OTR|1|2|3,1,1,x,',
      '?OTR|1|2,65536,65536,x,',
      '?OTR|zz|2,1,1,x,',
      '?OTR|1|2,1,1',
    ]) {
      expect(() => parseV3Fragment(bad)).toThrow(OtrError);
    }
  });
  it('fuzz: fragment parser throws only OtrError', () => {
    fc.assert(fc.property(fc.string(), (s) => onlyOtrErrors(() => parseV3Fragment('?OTR|' + s))));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: example[0]!.length - 1 }), fc.string({ minLength: 1, maxLength: 1 }), (i, c) => {
        const m = example[0]!.slice(0, i) + c + example[0]!.slice(i + 1);
        onlyOtrErrors(() => parseV3Fragment(m));
      }),
    );
  });
});
