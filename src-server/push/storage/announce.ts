// The in-process wake-up both storage engines give their 'queued' listeners (desktop.ts) once
// queue entries are committed: which devices have something new, and the new entries themselves,
// so that connected devices get them without reading their queue back.
import type { EventEmitter } from 'node:events';
import type { OutboxEntry } from './types';

/** emits 'queued' for the device entries among `entries`; a listener's failure never reaches the writer */
export function announceQueued(events: EventEmitter, entries: ReadonlyArray<OutboxEntry>): void {
  const device = entries.filter((e) => e.target === 'device');
  const ids = [...new Set(device.map((e) => e.targetId))];
  if (ids.length === 0) return;
  try {
    events.emit('queued', ids, device);
  } catch (e) {
    // the entries are committed: a listener's failure must not fail (or hold up) their writers
    console.error(JSON.stringify({ level: 'error', msg: 'queue listener failed', error: (e as Error).message }));
  }
}
