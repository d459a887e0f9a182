// The CLI documents what an operator must configure, and the key file is created once and kept.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { KeyFileError, loadOrCreateServerKey } from './keys';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));

it('--help documents the component JID, secret, host and port, data directory and key file', async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CLI, '--help']);
  for (const opt of ['--domain', '--secret', '--host', '--port', '--data-dir', '--key-file', '--postgres', 'generated on first start'])
    expect(stdout).toContain(opt);
});

it('refuses to start without the required options', async () => {
  const err = (await run(process.execPath, ['--import', 'tsx', CLI], { env: { ...process.env, PREKEY_SECRET: '' } }).catch((e: unknown) => e)) as {
    code: number;
    stderr: string;
  };
  expect(err.code).toBe(2);
  expect(err.stderr).toContain('--domain');
});

it('generates the long-term key once (mode 0600) and keeps it; a corrupt key file is an error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prekey-key-'));
  try {
    const path = join(dir, 'sub', 'server-key');
    const first = await loadOrCreateServerKey(path);
    expect(first.created).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const second = await loadOrCreateServerKey(path);
    expect(second.created).toBe(false);
    expect(second.keyPair.publicBytes).toEqual(first.keyPair.publicBytes);
    expect(readFileSync(path, 'utf8').trim()).toMatch(/^[0-9a-f]{114}$/);
    writeFileSync(path, 'not a key');
    await expect(loadOrCreateServerKey(path)).rejects.toBeInstanceOf(KeyFileError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
