// OTRv3 fragments (OTRv3 §"Fragmentation"): "?OTR|%x|%x,%hu,%hu,%s," with sender instance tag,
// receiver instance tag, index k (1-based), total n, piece. Reassembly is strictly sequential:
// k == 1 restarts, k == K+1 with n == N appends, anything else forgets what was stored.
// OTR version 2 fragments are "?OTR,%hu,%hu,%s," (no instance tags) and reassemble the same way:
// parseV2Fragment reports them with both tags 0.
// (OTRv4 fragments carry an extra identifier field and reassemble out of order; they live in v4/.)
import { malformed } from './errors';

export interface V3Fragment {
  senderTag: number;
  receiverTag: number;
  index: number;
  total: number;
  piece: string;
}

const HEX = /^[0-9a-fA-F]{1,8}$/;
const DEC = /^[0-9]{1,10}$/;

/** Parses the fragment that starts at the first "?OTR|" in `text`. Throws OtrError('malformed'). */
export function parseV3Fragment(text: string): V3Fragment {
  const at = text.indexOf('?OTR|');
  if (at < 0) throw malformed('not an OTR fragment');
  const body = text.slice(at + 5);
  // "%x|%x,%hu,%hu,piece," → split on the first 4 commas; the tags are separated by "|"
  const parts = body.split(',');
  if (parts.length < 5) throw malformed('fragment fields');
  const [tags, k, n, piece] = parts as [string, string, string, string];
  const tagParts = tags.split('|');
  if (tagParts.length !== 2) throw malformed('not a version 3 fragment');
  const [s, r] = tagParts as [string, string];
  if (!HEX.test(s) || !HEX.test(r) || !DEC.test(k) || !DEC.test(n)) throw malformed('fragment header');
  return checked({ senderTag: parseInt(s, 16) >>> 0, receiverTag: parseInt(r, 16) >>> 0, index: Number(k), total: Number(n), piece });
}

/** Parses a version 2 fragment "?OTR,k,n,piece," (at the first "?OTR,"). Throws OtrError('malformed'). */
export function parseV2Fragment(text: string): V3Fragment {
  const at = text.indexOf('?OTR,');
  if (at < 0) throw malformed('not an OTR version 2 fragment');
  const parts = text.slice(at + 5).split(',');
  if (parts.length < 4) throw malformed('fragment fields');
  const [k, n, piece] = parts as [string, string, string];
  if (!DEC.test(k) || !DEC.test(n)) throw malformed('fragment header');
  return checked({ senderTag: 0, receiverTag: 0, index: Number(k), total: Number(n), piece });
}

function checked(f: V3Fragment): V3Fragment {
  if (f.index > 0xffff || f.total > 0xffff) throw malformed('fragment index out of range');
  // §"Receiving Fragments": k == 0, n == 0 or k > n is an illegal fragment
  if (f.index === 0 || f.total === 0 || f.index > f.total) throw malformed('illegal fragment index');
  if (f.piece.length === 0) throw malformed('empty fragment piece');
  return f;
}

const hex8 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');
const dec5 = (v: number): string => v.toString().padStart(5, '0');

/**
 * Splits an encoded message into v3 fragments no longer than `maxSize` characters each (the
 * libotr layout: %08x tags, %05hu numbers). Returns [message] unchanged if it fits.
 */
export function fragmentV3(message: string, maxSize: number, senderTag: number, receiverTag: number): string[] {
  return fragment(message, maxSize, `?OTR|${hex8(senderTag)}|${hex8(receiverTag)},`);
}

/** The same for OTR version 2: "?OTR,%05hu,%05hu,piece," (libotr's layout, no instance tags). */
export function fragmentV2(message: string, maxSize: number): string[] {
  return fragment(message, maxSize, '?OTR,');
}

function fragment(message: string, maxSize: number, prefix: string): string[] {
  if (message.length <= maxSize) return [message];
  const overhead = prefix.length + 5 + 1 + 5 + 1 + 1;
  const room = maxSize - overhead;
  if (room < 1) throw new RangeError(`maximum message size ${maxSize} leaves no room for a fragment`);
  if (message.includes(',')) throw new RangeError('a message containing "," cannot be fragmented');
  const total = Math.ceil(message.length / room);
  if (total > 0xffff) throw new RangeError('message needs more than 65535 fragments');
  const out: string[] = [];
  for (let k = 1; k <= total; k++) {
    const piece = message.slice((k - 1) * room, k * room);
    out.push(`${prefix}${dec5(k)},${dec5(total)},${piece},`);
  }
  return out;
}

/**
 * The sequential reassembly buffer of §"Receiving Fragments", one per sender instance. Memory is
 * bounded: fragments are unauthenticated, so a buffer growing past `maxLength` is dropped.
 */
export class V3Reassembler {
  private k = 0;
  private n = 0;
  private buf: string[] = [];
  private length = 0;

  constructor(private readonly maxLength = 1 << 20) {}

  /** feeds a parsed fragment; returns the whole message when the last piece arrives */
  add(f: V3Fragment): string | undefined {
    if (f.index === 1) {
      this.reset();
      this.buf = [f.piece];
      this.length = f.piece.length;
      this.k = 1;
      this.n = f.total;
    } else if (f.total === this.n && f.index === this.k + 1) {
      this.buf.push(f.piece);
      this.length += f.piece.length;
      this.k = f.index;
    } else {
      this.reset();
      return undefined;
    }
    if (this.length > this.maxLength) {
      this.reset();
      return undefined;
    }
    if (this.n > 0 && this.k === this.n) {
      const whole = this.buf.join('');
      this.reset();
      return whole;
    }
    return undefined;
  }

  /** forgets the stored fragment (also on receipt of any non-fragment message) */
  reset(): void {
    this.k = 0;
    this.n = 0;
    this.buf = [];
    this.length = 0;
  }

  get pending(): boolean {
    return this.k > 0;
  }
}
