// §"Fragmentation of some Messages": "?OTRP|%x|%x|%x,%hu,%hu,%s," = identifier, sender instance
// tag, receiver instance tag, index (1-based), total, piece. Only Prekey Publication (inside its
// DAKE-3) and Prekey Ensemble Retrieval are fragmented; every receiver must reassemble.
// Fragments are unauthenticated, so the reassembler bounds its memory (buffers, total, age).
import { OtrError, malformed } from '../otr/common/errors';
import type { Clock } from '../otr/common/random';

const PREFIX = '?OTRP|';
const FRAGMENT = /^\?OTRP\|([0-9a-fA-F]{1,8})\|([0-9a-fA-F]{1,8})\|([0-9a-fA-F]{1,8}),(\d{1,5}),(\d{1,5}),([^,]+),$/;

export interface Fragment {
  identifier: number;
  senderInstanceTag: number;
  receiverInstanceTag: number;
  index: number;
  total: number;
  piece: string;
}

export function isFragment(text: string): boolean {
  return text.startsWith(PREFIX);
}

/** Splits an encoded message (base64 + ".") into fragments of at most maxChars characters each. */
export function fragmentMessage(
  encoded: string,
  maxChars: number,
  opts: { identifier: number; senderInstanceTag: number; receiverInstanceTag: number },
): string[] {
  const overhead = `${PREFIX}ffffffff|ffffffff|ffffffff,65535,65535,,`.length;
  if (encoded.length <= maxChars) return [encoded];
  const pieceLen = maxChars - overhead;
  if (pieceLen < 1) throw new OtrError('not-allowed', 'maximum message size too small for fragments');
  const total = Math.ceil(encoded.length / pieceLen);
  if (total > 65535) throw new OtrError('not-allowed', 'message needs more than 65535 fragments');
  const hex = (v: number): string => (v >>> 0).toString(16);
  const out: string[] = [];
  for (let index = 1; index <= total; index++) {
    const piece = encoded.slice((index - 1) * pieceLen, index * pieceLen);
    out.push(`${PREFIX}${hex(opts.identifier)}|${hex(opts.senderInstanceTag)}|${hex(opts.receiverInstanceTag)},${index},${total},${piece},`);
  }
  return out;
}

export function parseFragment(text: string): Fragment {
  const m = FRAGMENT.exec(text.trim());
  if (!m) throw malformed('not a prekey server fragment');
  const index = Number(m[4]);
  const total = Number(m[5]);
  // "Discard the (illegal) fragment if: index is 0, total is 0, index is bigger than total"
  if (index === 0 || total === 0 || index > total || total > 65535) throw malformed('illegal fragment index/total');
  return {
    identifier: parseInt(m[1]!, 16) >>> 0,
    senderInstanceTag: parseInt(m[2]!, 16) >>> 0,
    receiverInstanceTag: parseInt(m[3]!, 16) >>> 0,
    index,
    total,
    piece: m[6]!,
  };
}

interface Buffer {
  total: number;
  count: number;
  pieces: (string | undefined)[];
  chars: number;
  startedAt: number;
}

export interface ReassemblerLimits {
  /** simultaneous incomplete messages (per reassembler, i.e. per peer on the server) */
  maxBuffers: number;
  /** characters in one reassembled message */
  maxChars: number;
  /** an incomplete message is dropped after this many milliseconds */
  timeoutMs: number;
}

export const DEFAULT_REASSEMBLER_LIMITS: ReassemblerLimits = { maxBuffers: 4, maxChars: 512 * 1024, timeoutMs: 60_000 };

/**
 * §"Receiving Fragments": buffers keyed by identifier; a fragment whose slot is taken is rejected;
 * a different `total` for a known identifier discards that buffer. Out-of-order delivery works.
 */
export class Reassembler {
  private readonly buffers = new Map<string, Buffer>();
  constructor(
    private readonly clock: Clock,
    private readonly limits: ReassemblerLimits = DEFAULT_REASSEMBLER_LIMITS,
  ) {}

  /**
   * Feeds one fragment. Returns the complete encoded message when this fragment completes one,
   * otherwise undefined. `ownInstanceTag` filters fragments meant for another instance (0 = accept any).
   */
  push(text: string, ownInstanceTag = 0): string | undefined {
    const f = parseFragment(text);
    if (ownInstanceTag !== 0 && f.receiverInstanceTag !== 0 && f.receiverInstanceTag !== ownInstanceTag) {
      throw malformed('fragment for another instance');
    }
    this.expire();
    const key = `${f.identifier}:${f.senderInstanceTag}`;
    let b = this.buffers.get(key);
    if (b && b.total !== f.total) {
      this.buffers.delete(key);
      return undefined;
    }
    if (!b) {
      if (this.buffers.size >= this.limits.maxBuffers) {
        // drop the oldest incomplete message rather than grow without bound
        const oldest = [...this.buffers.entries()].sort((x, y) => x[1].startedAt - y[1].startedAt)[0];
        if (oldest) this.buffers.delete(oldest[0]);
      }
      b = { total: f.total, count: 0, pieces: new Array<string | undefined>(f.total), chars: 0, startedAt: this.clock() };
      this.buffers.set(key, b);
    }
    if (b.pieces[f.index - 1] !== undefined) return undefined;
    b.chars += f.piece.length;
    if (b.chars > this.limits.maxChars) {
      this.buffers.delete(key);
      throw malformed('fragmented message too long');
    }
    b.pieces[f.index - 1] = f.piece;
    b.count++;
    if (b.count < b.total) return undefined;
    this.buffers.delete(key);
    return b.pieces.join('');
  }

  get pending(): number {
    return this.buffers.size;
  }

  private expire(): void {
    const now = this.clock();
    for (const [k, b] of this.buffers) if (now - b.startedAt > this.limits.timeoutMs) this.buffers.delete(k);
  }
}
