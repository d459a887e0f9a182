// Known-answer vectors and seed messages, committed here (copied from shared/reference/vectors,
// whose README.md records each file's origin) so that the tests run from any clone.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** absolute path of a file under vectors/, e.g. 'otr4j-seeds/Fragment/full-message-00' */
export function vectorPath(relative: string): string {
  return fileURLToPath(new URL(`./vectors/${relative}`, import.meta.url));
}

export function readVector(relative: string): Buffer {
  return readFileSync(vectorPath(relative));
}
