// Known-answer vectors and seed messages, committed here (each file's origin is in the README.md
// beside them) so that the tests run from any clone.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** absolute path of a file under vectors/, e.g. 'otr4j-seeds/Fragment/full-message-00' */
export function vectorPath(relative: string): string {
  return fileURLToPath(new URL(`./vectors/${relative}`, import.meta.url));
}

export function readVector(relative: string): Buffer {
  return readFileSync(vectorPath(relative));
}
