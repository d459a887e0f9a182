// Review finding 12, in a real browser (Debian's Chromium) against the real browser host
// (`npm run web`, src-main/host/cli.ts) on a fresh profile: the printed link works once and its
// token leaves the address at once; a reload keeps the tab; the same link in another tab is
// refused; the newest link in another tab says the messenger is open elsewhere and takes over
// only when asked, and the first tab says it was taken over. Web project only (the Electron app
// has no host and no tabs).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect, type Page } from '@playwright/test';
import { repoRoot } from './support/clients';

const LINK = /http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+/g;

interface Host {
  child: ChildProcess;
  /** the n-th link the host printed (0: at start; then one each time a tab used one) */
  link(n: number): Promise<string>;
}

function startHost(profileDir: string): Host {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src-main/host/cli.ts'), '--profile', profileDir], {
    cwd: repoRoot,
    env: { ...process.env, MESSENGER_PROFILE: '', MESSENGER_CA_FILE: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
    for (const w of [...waiters]) w();
  });
  return {
    child,
    link: (n) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = out.match(LINK) ?? [];
          if (found.length <= n) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found[n]!);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the host printed no link #${n}:\n${out}`));
        }, 90_000);
        waiters.add(check);
        check();
      }),
  };
}

const signInShown = (p: Page) => expect(p.getByRole('heading', { name: 'Sign in to Messenger' })).toBeVisible();
const gate = (p: Page, title: string) => expect(p.getByRole('heading', { name: title })).toBeVisible();

let profileDir: string;
let host: Host;

test.beforeEach(({}, testInfo) => {
  test.skip(testInfo.project.name !== 'web', 'the browser host only (the Electron app has no tabs)');
  profileDir = mkdtempSync(join(tmpdir(), 'host-tabs-'));
  host = startHost(profileDir);
});

test.afterEach(async () => {
  if (host && host.child.exitCode === null) {
    const exited = new Promise((resolve) => host.child.once('exit', resolve));
    host.child.kill('SIGTERM');
    await exited;
  }
  // a skipped test (another project) made no profile
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

test('the link opens one tab once and leaves the address; one tab at a time uses the messenger', async ({ browser }) => {
  const first = await host.link(0);
  const origin = new URL(first).origin;
  const context = await browser.newContext();
  const a = await context.newPage();
  await a.goto(first);
  await signInShown(a);
  // the token is out of the address bar and of this history entry
  expect(a.url()).toBe(`${origin}/`);
  // a reload keeps the tab (its own secret, not the spent link)
  await a.reload();
  await signInShown(a);

  // the same link again (from the history, say) in another tab: spent
  const b = await context.newPage();
  await b.goto(first);
  await gate(b, 'This link was already used');
  expect(b.url()).toBe(`${origin}/`);

  // the newest link the host printed: the messenger is open elsewhere; nothing happens unless asked
  await b.goto(await host.link(1));
  await gate(b, 'Messenger is open in another tab');
  expect(b.url()).toBe(`${origin}/`);
  await a.reload();
  await signInShown(a);
  await b.getByRole('button', { name: 'Use it in this tab' }).click();
  await signInShown(b);
  await gate(a, 'Messenger moved to another tab');
  // the first tab's secret died with the take-over: it cannot take the messenger back
  await a.getByRole('button', { name: 'Use it in this tab again' }).click();
  await gate(a, 'Not connected');

  // a duplicate of the tab (same session storage, as the browser's "Duplicate" makes it) asks too
  const secret = await b.evaluate(() => sessionStorage.getItem('messenger-tab-secret'));
  expect(secret).toBeTruthy();
  const c = await context.newPage();
  await c.addInitScript((s) => sessionStorage.setItem('messenger-tab-secret', s), secret!);
  await c.goto(`${origin}/`);
  await gate(c, 'Messenger is open in another tab');
  await c.getByRole('button', { name: 'Use it in this tab' }).click();
  await signInShown(c);
  await gate(b, 'Messenger moved to another tab');
  // the same secret: this one can take it back
  await b.getByRole('button', { name: 'Use it in this tab again' }).click();
  await signInShown(b);
  await gate(c, 'Messenger moved to another tab');
  await context.close();
});
