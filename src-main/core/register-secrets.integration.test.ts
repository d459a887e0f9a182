// ejabberd echoes the submitted form, password included, in its registration error replies
// (issue 18). Whatever a server answers, the password reaches neither the error the renderer gets,
// nor an event, nor a log line. Runs against the server of MESSENGER_XMPP_SERVER (the
// integration-ejabberd project runs it on ejabberd).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startCore, uniqueName } from './test-support/harness';
import { stackPerFile } from './test-support/stack-per-file';

const file = stackPerFile();
const { cores } = file;

afterEach(() => {
  vi.restoreAllMocks();
});

/** everything written to the console while `run` runs */
async function consoleDuring(run: () => Promise<unknown>): Promise<string> {
  const lines: string[] = [];
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
  }
  await run();
  return lines.join('\n');
}

describe(`registration errors keep the password to themselves (${process.env.MESSENGER_XMPP_SERVER ?? 'prosody'})`, () => {
  it.each([
    [
      'a name that is taken',
      async () => {
        const name = uniqueName('taken');
        await file.stack.createAccount(name, 'whatever-1');
        return name;
      },
    ],
    ['a name the server does not accept', async () => 'x'.repeat(1100)],
  ])('%s', async (_, makeName) => {
    const c = await startCore({ extraCaPem: file.stack.caPem });
    cores.push(c);
    const password = `pw-${uniqueName('SECRET')}`;
    const name = await makeName();
    let caught: unknown;
    const logged = await consoleDuring(async () => {
      caught = await c.core.handlers['account.register']({ jid: `${name}@${file.stack.domain}`, password, host: file.stack.host, port: file.stack.port }).then(
        () => null,
        (e: unknown) => e,
      );
    });
    expect(caught).toBeInstanceOf(Error);
    const e = caught as Error & { code?: string };
    expect(['account-exists', 'registration-refused', 'invalid-argument']).toContain(e.code);
    expect(e.message).not.toContain(password);
    expect(JSON.stringify({ ...e, message: e.message })).not.toContain(password);
    expect(JSON.stringify(c.events)).not.toContain(password);
    expect(logged).not.toContain(password);
  });
});
