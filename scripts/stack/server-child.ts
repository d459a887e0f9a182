// A server of the local stack (Prosody, ejabberd) runs as a child process in the foreground.
// Both tell us they are ready only through their log output, and both must be stopped the way
// their packages stop them (SIGTERM), so the two share this start/stop handling.
import type { ChildProcess } from 'node:child_process';

/**
 * What the log so far says: `'ready'` when every listener is up, a reason when the start
 * failed (a port is taken …), `undefined` while it is still starting.
 */
export type StartVerdict = 'ready' | { failed: string } | undefined;

/**
 * Resolves when `judge` says the child is ready; rejects (with the tail of its output) when
 * `judge` says it failed, the child exits, or `timeoutMs` passes. Afterwards the pipes keep
 * being drained, so the server never blocks on a full pipe.
 */
export async function waitUntilReady(
  child: ChildProcess,
  name: string,
  timeoutMs: number,
  judge: (output: string) => StartVerdict,
  onFail?: () => void,
): Promise<void> {
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string) => {
      cleanup();
      onFail?.();
      reject(new Error(`${name} did not start: ${why}\n${out.slice(-4000)}`));
    };
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const verdict = judge(out);
      if (verdict === 'ready') {
        cleanup();
        resolve();
      } else if (verdict) fail(verdict.failed);
    };
    const onExit = (code: number | null) => fail(`exited with code ${code}`);
    const timer = setTimeout(() => fail('timed out'), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
  child.stdout?.resume();
  child.stderr?.resume();
}

/** SIGTERM, then SIGKILL if the child has not exited after `graceMs`. */
export async function stopChild(child: ChildProcess | null, exited: Promise<void>, graceMs: number): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  child.kill('SIGTERM');
  await exited;
  clearTimeout(killer);
}
