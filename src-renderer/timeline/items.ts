// The conversation's timeline: its messages and its events (the OTR notices the core pushes and
// the changes of the conversation's state this window saw), in one list ordered by time, so that
// events scroll away with the messages instead of piling up in the header.
import type { ChatMessage } from '../../src-shared/ipc/contract';
import type { OtrNotice } from '../../src-shared/ipc/otr-contract';
import type { OtrStateEvent } from '../otr/otr-store';

export type TimelineItem =
  | { kind: 'message'; key: string; at: number; m: ChatMessage }
  | { kind: 'notice'; key: string; at: number; n: OtrNotice }
  | { kind: 'state'; key: string; at: number; ev: OtrStateEvent };

/** notices that are not timeline events: 'queued' is the waiting-messages item at the end */
const NOT_EVENTS = new Set<OtrNotice['kind']>(['queued']);

/**
 * Merges messages (oldest first) with notices and state events (each oldest first); an event at
 * the same time as a message comes after it. Linear: the inputs are already sorted.
 */
export function buildTimeline(messages: readonly ChatMessage[], notices: readonly OtrNotice[], events: readonly OtrStateEvent[]): TimelineItem[] {
  const extra: TimelineItem[] = [];
  for (const n of notices) if (!NOT_EVENTS.has(n.kind)) extra.push({ kind: 'notice', key: `n:${n.id}`, at: n.at, n });
  for (const ev of events) extra.push({ kind: 'state', key: `s:${ev.id}`, at: ev.at, ev });
  extra.sort((a, b) => a.at - b.at);
  const out: TimelineItem[] = new Array(messages.length + extra.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < messages.length || j < extra.length) {
    const m = messages[i];
    const e = extra[j];
    if (m && (!e || m.timestamp <= e.at)) {
      out[k++] = { kind: 'message', key: `m:${m.id}`, at: m.timestamp, m };
      i++;
    } else if (e) {
      out[k++] = e;
      j++;
    }
  }
  return out;
}
