// Unambiguous concatenation of fields, shared by the protocols that sign or bind several fields
// at once (the group protocol's statements and associated data, the push knock seal's AD).

const enc = new TextEncoder();

/**
 * Length-prefixed (4-byte big-endian) concatenation: no two different field lists encode to the
 * same bytes, so a signature over it binds every field to its place.
 */
export function framed(fields: (string | Uint8Array)[]): Uint8Array {
  const parts = fields.map((f) => (typeof f === 'string' ? enc.encode(f) : f));
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  let off = 0;
  for (const p of parts) {
    view.setUint32(off, p.length);
    out.set(p, off + 4);
    off += 4 + p.length;
  }
  return out;
}
