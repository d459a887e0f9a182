// Issue 15, Benchmark: the renderer's timeline in Chromium through the browser host.
//   npx tsx bench/timeline.ts [--short]      (inside a keyring session: the host opens the OS keychain)
// 1. A private Prosody (scripts/stack) with alice and bob, contacts who see each other, their
//    conversations plain (OTR manual); alice's profile made by a real core, then closed.
// 2. For each size (2,000 and 100,000 messages; --short: 200 and 2,000) alice's conversation with
//    bob is filled DIRECTLY through the store's own insert code (as bench/core-memory.ts does),
//    the browser host (src-main/host/cli.ts, what `npm run web` runs) starts on the profile and
//    Debian's Chromium opens it.
//    One tab per size: "open" is one sample per size (the launch token is single-use).
//    "render" is the frame → row in the page; "paint" adds the wait for the next frame.
// 3. Measured in the page (performance.now): "open" = from the click on bob in the contact list to
//    the first paint after the newest message's row is in the page (a MutationObserver, then two
//    animation frames); "incoming" = from the WebSocket frame that brings a message bob's core
//    sent (a listener registered before the app's) to the first paint after its row is in the
//    page. Goals: open < 100 ms, incoming < 16 ms (one frame). Median of the runs.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import keytar from 'keytar';
import { startStack } from '../scripts/stack/stack';
import type { ChatMessage } from '../src-shared/ipc/contract';
import { createCore, DATABASE_FILE } from '../src-main/core/index';
import type { Core } from '../src-main/core/api';
import { DATABASE_KEY_ENTRY, openKeyStore, serviceForProfile } from '../src-main/core/keychain/keychain';
import { openDatabase } from '../src-main/core/store/store';
import { benchResult, isShort, loadLine, percentile, runMain } from './support';

const SIZES = isShort() ? [200, 2_000] : [2_000, 100_000];
const INCOMING = isShort() ? 5 : 10;
const BATCH = 5_000;
const root = join(import.meta.dirname, '..');

/** resolves when the core emits an event that matches */
function waitEvent(core: Core, match: (name: string, payload: unknown) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const off = core.onEvent((e) => {
      if (match(e.name, e.payload)) {
        off();
        resolve();
      }
    });
  });
}

/** alice's conversation with bob grows to `total` messages, oldest first, a minute apart, ending now */
async function fill(profileDir: string, accountId: string, peer: string, from: number, total: number): Promise<void> {
  const keyHex = await openKeyStore(serviceForProfile(profileDir)).get(DATABASE_KEY_ENTRY);
  if (!keyHex) throw new Error('the profile has no database key in the keychain');
  const store = openDatabase(join(profileDir, DATABASE_FILE), keyHex);
  const start = Date.now() - total * 60_000;
  try {
    for (let b = from; b < total; b += BATCH) {
      store.database.transaction(() => {
        for (let i = b; i < Math.min(total, b + BATCH); i++) {
          const m: ChatMessage = {
            id: randomUUID(),
            accountId,
            peer,
            direction: i % 3 === 0 ? 'out' : 'in',
            body: `message ${i}: ${'lorem ipsum dolor sit amet '.repeat(1 + (i % 4))}`,
            timestamp: start + i * 60_000,
            delivery: 'delivered',
            encrypted: false,
          };
          if (m.direction === 'out') store.addOutgoing(m);
          else store.addIncoming(m, randomUUID());
        }
      })();
    }
    store.markRead(accountId, peer);
  } finally {
    store.close();
  }
}

/** the browser host on the profile; resolves with the address it prints */
function startHost(profileDir: string, caFile: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src-main/host/cli.ts'), '--profile', profileDir, '--ca-file', caFile], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.on('exit', (code) => reject(new Error(`the host exited (${code})`)));
  });
}

function stopHost(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** in the page: stamps WebSocket frames carrying a marker before the app sees them */
function frameStamps(): void {
  const Base = window.WebSocket;
  const stamps: Record<string, number> = {};
  (window as unknown as { __frames: Record<string, number> }).__frames = stamps;
  window.WebSocket = class extends Base {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener('message', (e: MessageEvent) => {
        const m = typeof e.data === 'string' ? /BENCH-MARK-\d+/.exec(e.data) : null;
        if (m && stamps[m[0]] === undefined) stamps[m[0]] = performance.now();
      });
    }
  } as typeof WebSocket;
}

/**
 * in the page: ms from the click (or the marker's WebSocket frame) to the row holding `text` in
 * the page ("render": React's commit, seen by a MutationObserver) and to the paint after it
 * ("paint": the next animation frame, then a task, which runs once that frame was drawn)
 */
function paintedRow(page: Page, text: string, click: string | null): Promise<{ render: number; paint: number }> {
  return page.evaluate(
    ({ text, click }) =>
      new Promise<{ render: number; paint: number }>((resolve) => {
        const has = () => [...document.querySelectorAll('[data-kind="message"] .body')].some((b) => b.textContent === text);
        const t0 = performance.now();
        const from = () => (click ? t0 : ((window as unknown as { __frames: Record<string, number> }).__frames[text] ?? t0));
        const obs = new MutationObserver(() => {
          if (!has()) return;
          obs.disconnect();
          const render = performance.now() - from();
          requestAnimationFrame(() => {
            const ch = new MessageChannel();
            ch.port1.onmessage = () => resolve({ render, paint: performance.now() - from() });
            ch.port2.postMessage(null);
          });
        });
        obs.observe(document.body, { childList: true, subtree: true, characterData: true });
        if (click) {
          const name = [...document.querySelectorAll('.contact-name')].find((e) => e.textContent === click);
          (name?.closest('button') as HTMLButtonElement | null)?.click();
        }
      }),
    { text, click },
  );
}

async function main(): Promise<number> {
  console.log(loadLine());
  if (!existsSync(join(root, 'out/renderer/index.html'))) execFileSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'inherit' });
  const stack = await startStack();
  const profiles: string[] = [];
  let browser: Awaited<ReturnType<typeof chromium.launch>> | null = null;
  try {
    const users = await Promise.all(
      ['alice', 'bob'].map(async (n) => {
        const name = `${n}${Date.now()}`;
        await stack.createAccount(name, 'bench-pw');
        const dir = await mkdtemp(join(tmpdir(), 'messenger-bench-'));
        profiles.push(dir);
        const core = await createCore({ profileDir: dir, extraCaPem: stack.caPem });
        const info = await core.handlers['account.add']({ jid: `${name}@${stack.domain}`, password: 'bench-pw', host: stack.host, port: stack.port });
        await core.handlers['otr.policy.set']({ accountId: info.id, policy: 'manual' });
        return { core, dir, jid: info.jid, accountId: info.id };
      }),
    );
    const [alice, bob] = users as [(typeof users)[0], (typeof users)[0]];
    const both = (c: Core, jid: string) =>
      waitEvent(
        c,
        (n, p) =>
          n === 'contact.updated' && (p as { jid: string; subscription: string }).jid === jid && (p as { subscription: string }).subscription === 'both',
      );
    const asked = waitEvent(
      bob.core,
      (n, p) => n === 'contact.updated' && (p as { jid: string; pendingIn: boolean }).jid === alice.jid && (p as { pendingIn: boolean }).pendingIn,
    );
    await alice.core.handlers['contact.add']({ accountId: alice.accountId, jid: bob.jid });
    await asked;
    const mutual = Promise.all([both(alice.core, bob.jid), both(bob.core, alice.jid)]);
    await bob.core.handlers['contact.approve']({ accountId: bob.accountId, jid: alice.jid });
    await mutual;
    await alice.core.close();

    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
    let filled = 0;
    let marker = 0;
    for (const size of SIZES) {
      await fill(alice.dir, alice.accountId, bob.jid, filled, size);
      filled = size;
      const newest = `message ${size - 1}: ${'lorem ipsum dolor sit amet '.repeat(1 + ((size - 1) % 4))}`;
      const host = await startHost(alice.dir, stack.caCertPath);
      try {
        const incoming: Array<{ render: number; paint: number }> = [];
        // one tab per host run: its launch token is single-use (docs/ui.md "Browser host")
        const context = await browser.newContext();
        const page = await context.newPage();
        // tsx (esbuild keepNames) wraps named functions in __name(): the page needs it too
        await page.addInitScript('window.__name = (f) => f;');
        await page.addInitScript(frameStamps);
        await page.goto(host.url);
        await page.locator('.contact-name', { hasText: bob.jid }).waitFor();
        page.on('crash', () => console.log('the page crashed'));
        const open = await paintedRow(page, newest, bob.jid);
        for (let i = 0; i < INCOMING; i++) {
          const text = `BENCH-MARK-${++marker}`;
          const painted = paintedRow(page, text, null);
          await bob.core.handlers['message.send']({ accountId: bob.accountId, to: alice.jid, body: text });
          incoming.push(await painted);
        }
        await context.close();
        const render = incoming.map((x) => x.render).sort((a, b) => a - b);
        const paint = incoming.map((x) => x.paint).sort((a, b) => a - b);
        console.log(
          `${size} messages: open ${open.render.toFixed(1)} ms to the newest row, ${open.paint.toFixed(1)} ms to its paint; ` +
            `incoming (${incoming.length}): render p50 ${percentile(render, 50).toFixed(1)} ms (max ${render.at(-1)?.toFixed(1)}), paint p50 ${percentile(paint, 50).toFixed(1)} ms (max ${paint.at(-1)?.toFixed(1)})`,
        );
        benchResult({ name: `timeline open to first paint, ${size} messages`, value: open.paint, unit: 'ms', goal: '< 100 ms', met: open.paint < 100 });
        benchResult({
          name: `timeline incoming message render, ${size} in the list`,
          value: percentile(render, 50),
          unit: 'ms',
          goal: '< 16 ms',
          met: percentile(render, 50) < 16,
        });
        benchResult({
          name: `timeline incoming message to paint, ${size} in the list`,
          value: percentile(paint, 50),
          unit: 'ms',
          goal: '< 16 ms',
          met: percentile(paint, 50) < 16,
        });
      } finally {
        await stopHost(host.child);
      }
    }
    await bob.core.close();
    return 0;
  } finally {
    await browser?.close();
    await stack.stop();
    for (const p of profiles) {
      const service = serviceForProfile(p);
      for (const c of await keytar.findCredentials(service).catch(() => [])) await keytar.deletePassword(service, c.account).catch(() => false);
      await rm(p, { recursive: true, force: true });
    }
  }
}

runMain(main);
