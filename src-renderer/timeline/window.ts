// The windowing of the timeline (no package: a few index sums). Only a window of the items is in
// the page — about WINDOW of them, never more than MAX — named by the keys of its first and last
// items, so that items prepended by "load earlier" or appended by new messages do not shift it.
// `start` null: the window ends WINDOW items before its end; `end` null: it reaches the
// newest item (and follows new ones).
import type { TimelineItem } from './items';

export const WINDOW = 120;
export const MAX = 240;
/**
 * the window of a conversation's first frame: enough rows to fill a tall view (rows are at least
 * ~50 px), far fewer to render and lay out than WINDOW; it grows to WINDOW once that frame is out
 * (docs/performance.md "Timeline in Chromium": rendering and laying out the rows was most of the
 * time from the page's arrival to its paint)
 */
export const FIRST = 40;
/** how much the window moves when the view nears one of its edges */
export const STEP = WINDOW / 2;

/** an item named by its key and time (the time finds it by binary search) */
export interface Mark {
  key: string;
  at: number;
}

export interface Range {
  start: Mark | null;
  end: Mark | null;
  /** the window begins this many items before `start` (after a "load earlier" put items there) */
  back?: number;
}

/** index of the item with `key` (items are sorted by `at`; `at` is the key's item time): binary search, then a short scan */
export function indexOf(items: readonly TimelineItem[], key: string, at: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid]!.at < at) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < items.length && items[i]!.at <= at; i++) if (items[i]!.key === key) return i;
  // not found where expected (its time changed): scan
  return items.findIndex((it) => it.key === key);
}

/** the [start, end) of the items in the page; `size`: the window's length when `range.start` is null */
export function resolve(items: readonly TimelineItem[], range: Range, size = WINDOW): { start: number; end: number } {
  const n = items.length;
  let end = n;
  if (range.end !== null) {
    const i = indexOf(items, range.end.key, range.end.at);
    end = i < 0 ? n : i + 1;
  }
  let start = Math.max(0, end - size);
  if (range.start !== null) {
    const i = indexOf(items, range.start.key, range.start.at);
    if (i >= 0 && i < end) start = Math.max(0, i - (range.back ?? 0));
  }
  return { start, end };
}

export function markAt(items: readonly TimelineItem[], i: number): Mark | null {
  const it = items[i];
  return it ? { key: it.key, at: it.at } : null;
}
