// OTRv4 fragmentation (otrv4.md §"Fragmentation", §"Transmitting Fragments", §"Receiving
// Fragments"): "?OTR|%x|%x|%x,%hu,%hu,%s," = identifier, sender tag, receiver tag, index
// (1-based), total, piece. Reassembly is out of order, one buffer per (sender tag, identifier).
// Fragments are not authenticated, so memory is bounded (implementer notes §12; the otr4j
// maintainer's REMARKs on fragment DoS): at most MAX_BUFFERS partial messages, MAX_TOTAL pieces
// per message, MAX_BYTES characters buffered overall, and buffers older than the timeout dropped.
import { malformed } from '../common/errors';
import type { Clock, RandomSource } from '../common/random';

export interface V4Fragment {
  identifier: number;
  senderTag: number;
  receiverTag: number;
  index: number;
  total: number;
  piece: string;
}

const HEX = /^[0-9a-fA-F]{1,8}$/;
const DEC = /^[0-9]{1,10}$/;

/** true iff `text` is a v4 fragment (three `|`-separated hex fields) rather than a v3 one */
export function isV4Fragment(text: string): boolean {
  const at = text.indexOf('?OTR|');
  if (at < 0) return false;
  const head = text.slice(at + 5).split(',', 1)[0]!;
  return head.split('|').length === 3;
}

/** Parses the v4 fragment starting at the first "?OTR|". Throws OtrError('malformed'). */
export function parseV4Fragment(text: string): V4Fragment {
  const at = text.indexOf('?OTR|');
  if (at < 0) throw malformed('not an OTR fragment');
  const parts = text.slice(at + 5).split(',');
  // id|sender|receiver , index , total , piece , (and nothing but an empty tail)
  // (trailing whitespace after the final comma is tolerated: transports add newlines)
  if (parts.length !== 5 || parts[4]!.trim() !== '') throw malformed('fragment fields');
  const [tags, k, n, piece] = parts as [string, string, string, string];
  const t = tags.split('|');
  if (t.length !== 3) throw malformed('not a version 4 fragment');
  const [id, s, r] = t as [string, string, string];
  if (!HEX.test(id) || !HEX.test(s) || !HEX.test(r) || !DEC.test(k) || !DEC.test(n)) throw malformed('fragment header');
  const index = Number(k);
  const total = Number(n);
  if (index > 0xffff || total > 0xffff) throw malformed('fragment index out of range');
  if (index === 0 || total === 0 || index > total) throw malformed('illegal fragment index');
  if (piece.length === 0) throw malformed('empty fragment piece');
  return { identifier: parseInt(id, 16) >>> 0, senderTag: parseInt(s, 16) >>> 0, receiverTag: parseInt(r, 16) >>> 0, index, total, piece };
}

const hex8 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');
const dec5 = (v: number): string => v.toString().padStart(5, '0');
const OVERHEAD = '?OTR|'.length + 3 * 9 + 2 * 6 + 1;

/**
 * §"Transmitting Fragments": splits an encoded message into pieces so that each fragment is at
 * most `maxSize` characters. Returns [message] unchanged if it fits. Fragments are never
 * fragmented again.
 */
export function fragmentV4(message: string, maxSize: number, senderTag: number, receiverTag: number, random: RandomSource): string[] {
  if (message.length <= maxSize) return [message];
  if (message.startsWith('?OTR|')) throw new RangeError('a fragment cannot be fragmented');
  if (message.includes(',')) throw new RangeError('a message containing "," cannot be fragmented');
  const room = maxSize - OVERHEAD;
  if (room < 1) throw new RangeError(`maximum message size ${maxSize} leaves no room for a fragment`);
  const total = Math.ceil(message.length / room);
  if (total > 0xffff) throw new RangeError('message needs more than 65535 fragments');
  const b = random(4);
  const identifier = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  const out: string[] = [];
  for (let k = 1; k <= total; k++) {
    out.push(`?OTR|${hex8(identifier)}|${hex8(senderTag)}|${hex8(receiverTag)},${dec5(k)},${dec5(total)},${message.slice((k - 1) * room, k * room)},`);
  }
  return out;
}

export interface AssemblerLimits {
  maxBuffers?: number;
  maxTotal?: number;
  maxBytes?: number;
  /** drop incomplete messages older than this; default 10 minutes */
  timeoutMs?: number;
}

interface Buffer {
  total: number;
  pieces: (string | undefined)[];
  count: number;
  bytes: number;
  startedAt: number;
}

export type AssembleResult = { status: 'complete'; message: string; senderTag: number } | { status: 'incomplete' } | { status: 'dropped'; reason: string };

/** §"Receiving Fragments": out-of-order reassembly with bounded memory. */
export class V4Assembler {
  private readonly buffers = new Map<string, Buffer>();
  private bytes = 0;
  private readonly maxBuffers: number;
  private readonly maxTotal: number;
  private readonly maxBytes: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly ourTag: number,
    private readonly clock: Clock,
    limits: AssemblerLimits = {},
  ) {
    this.maxBuffers = limits.maxBuffers ?? 16;
    this.maxTotal = limits.maxTotal ?? 1024;
    this.maxBytes = limits.maxBytes ?? 1 << 20;
    this.timeoutMs = limits.timeoutMs ?? 10 * 60_000;
  }

  get pendingCount(): number {
    return this.buffers.size;
  }

  private drop(key: string): void {
    const b = this.buffers.get(key);
    if (b) this.bytes -= b.bytes;
    this.buffers.delete(key);
  }

  private expire(now: number): void {
    for (const [key, b] of this.buffers) if (now - b.startedAt > this.timeoutMs) this.drop(key);
  }

  /** Feeds one fragment (a parsed one, or the raw text). Throws OtrError('malformed') for bad text. */
  add(fragment: V4Fragment | string): AssembleResult {
    const f = typeof fragment === 'string' ? parseV4Fragment(fragment) : fragment;
    if (f.receiverTag !== 0 && f.receiverTag !== this.ourTag) return { status: 'dropped', reason: 'fragment for another instance' };
    if (f.total > this.maxTotal) return { status: 'dropped', reason: 'too many fragments' };
    const now = this.clock();
    this.expire(now);
    if (f.total === 1) return { status: 'complete', message: f.piece, senderTag: f.senderTag };
    const key = `${f.senderTag}:${f.identifier}`;
    let b = this.buffers.get(key);
    if (b && b.total !== f.total) {
      // §"Receiving Fragments": same identifier but another total: forget the buffer
      this.drop(key);
      return { status: 'dropped', reason: 'inconsistent fragment total' };
    }
    if (!b) {
      if (this.buffers.size >= this.maxBuffers) {
        // evict the oldest partial message
        let oldest: string | undefined;
        let at = Infinity;
        for (const [k, x] of this.buffers) if (x.startedAt < at) [oldest, at] = [k, x.startedAt];
        if (oldest !== undefined) this.drop(oldest);
      }
      b = { total: f.total, pieces: new Array<string | undefined>(f.total), count: 0, bytes: 0, startedAt: now };
      this.buffers.set(key, b);
    }
    if (b.pieces[f.index - 1] !== undefined) return { status: 'dropped', reason: 'duplicate fragment' };
    if (this.bytes + f.piece.length > this.maxBytes) {
      this.drop(key);
      return { status: 'dropped', reason: 'fragment buffer full' };
    }
    b.pieces[f.index - 1] = f.piece;
    b.count++;
    b.bytes += f.piece.length;
    this.bytes += f.piece.length;
    if (b.count < b.total) return { status: 'incomplete' };
    const message = b.pieces.join('');
    this.drop(key);
    return { status: 'complete', message, senderTag: f.senderTag };
  }
}
