// The prekey server's long-term Ed448 key (otrv4-prekey-server.md §"Public keys and
// Fingerprints": generated like an OTRv4 long-term key). Generated on first start and kept in a
// file readable only by the server's user: 57-byte symmetric key sym_h, hex, one line.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type EdKeyPair, SYMMETRIC_KEY_BYTES, edKeyPairFromSymmetric, fromHex, toHex } from '../../src-shared/otr/v4/keys';

export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
}

export async function loadOrCreateServerKey(path: string): Promise<{ keyPair: EdKeyPair; created: boolean }> {
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new KeyFileError(`cannot read key file ${path}: ${(e as Error).message}`);
  }
  if (text !== undefined) {
    const hex = text.trim();
    if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== 2 * SYMMETRIC_KEY_BYTES) {
      throw new KeyFileError(`key file ${path} does not hold a ${SYMMETRIC_KEY_BYTES}-byte hex key`);
    }
    return { keyPair: edKeyPairFromSymmetric(fromHex(hex)), created: false };
  }
  const sym = new Uint8Array(randomBytes(SYMMETRIC_KEY_BYTES));
  await mkdir(dirname(path), { recursive: true });
  // 'wx': never overwrite a key another process created meanwhile
  await writeFile(path, `${toHex(sym)}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
  return { keyPair: edKeyPairFromSymmetric(sym), created: true };
}
