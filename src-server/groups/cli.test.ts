// The CLI documents what an operator must configure and refuses to start without it.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));

it('--help documents the component JID, secret, host, port, storage and retention', async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CLI, '--help']);
  for (const opt of ['--domain', '--secret', '--host', '--port', '--data-dir', '--postgres', '--retention-days', 'plaintext']) expect(stdout).toContain(opt);
});

it('refuses to start without the required options, saying which', async () => {
  const err = (await run(process.execPath, ['--import', 'tsx', CLI], { env: { ...process.env, GROUPS_SECRET: '' } }).catch((e: unknown) => e)) as {
    code: number;
    stderr: string;
  };
  expect(err.code).toBe(2);
  expect(err.stderr).toContain('--domain');
});

it('refuses a malformed option with an error, not a crash trace', async () => {
  const err = (await run(process.execPath, ['--import', 'tsx', CLI, '--domain', 'g.example', '--secret', 's', '--data-dir', '/tmp/x', '--port', 'abc']).catch(
    (e: unknown) => e,
  )) as { code: number; stderr: string };
  expect(err.code).toBe(1);
  expect(err.stderr).toContain('--port must be a non-negative integer');
});
