// Small pure helpers of the group service (service.ts): comparing key bundles, and the sequence
// number the service adds to what it relays from its log (docs/groups.md §"Offline members").
import type { KeyBundle } from './keys';

export function sameKey(a: KeyBundle, b: KeyBundle): boolean {
  const eq = (x: Uint8Array, y: Uint8Array): boolean => x.length === y.length && x.every((v, i) => v === y[i]);
  return eq(a.h, b.h) && eq(a.f, b.f) && eq(a.x, b.x);
}

/** the log stores bodies without their seq; it is added on delivery */
export function stripSeq(body: string): string {
  const o = JSON.parse(body) as Record<string, unknown>;
  delete o.seq;
  return JSON.stringify(o);
}

export function withSeq(body: string, seq: number): string {
  return `${body.slice(0, -1)},"seq":${seq}}`;
}

export function validGroup(g: string): string {
  return /^[a-z0-9-]{1,64}$/.test(g) ? g : 'invalid';
}
