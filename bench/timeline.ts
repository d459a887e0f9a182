// Issue 15, Benchmark: the renderer's timeline in Chromium through the browser host.
//   npx tsx bench/timeline.ts [--short]      (inside a keyring session: the host opens the OS keychain)
// 1. A private Prosody (scripts/stack) with alice and bob, contacts who see each other, their
//    conversations plain (OTR manual); alice's profile made by a real core, then closed.
// 2. For each size (2,000 and 100,000 messages; --short: 200 and 2,000) alice's conversation with
//    bob is filled DIRECTLY through the store's own insert code (as bench/core-memory.ts does),
//    the browser host (src-main/host/cli.ts, what `npm run web` runs) starts on the profile and
//    Debian's Chromium opens it.
//    Each size: OPENS host runs, one tab each (the launch token is single-use), one "open" each;
//    the incoming messages come in the last tab.
// 3. Measured in the page (performance.now; docs/performance.md "Timeline in Chromium"):
//    "open" = from the click on bob in the contact list, "incoming" = from the WebSocket frame that
//    brings a message bob's core sent (a listener registered before the app's), each to
//    - render: the newest message's row is in the page (React's commit, seen by a MutationObserver);
//    - frame (the figure of record): the frame that painted that row, as Chromium reports it through
//      Element Timing (the row's text is marked `elementtiming` in the commit's microtask, before
//      any frame could paint it; the entry's renderTime is that frame's presentation, its
//      paintTime the end of its paint on the main thread, printed beside it);
//    - old "paint" (the first runs' method, printed to compare): the next animation frame after the
//      commit, then a task posted from it. That task queues behind whatever else is waiting (the
//      unread count's updates, the rest of the window), so it can read later than the frame.
//    Goals: open < 100 ms, incoming < 16 ms (one frame at 60 Hz). Medians.
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
/** host runs per size, each one "open" sample */
const OPENS = isShort() ? 1 : 3;
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

/** one sample, ms from the click (or the marker's WebSocket frame) */
interface Sample {
  /** to the row holding the text in the page (React's commit, seen by a MutationObserver) */
  render: number;
  /**
   * the method of the first runs, kept to compare: the next animation frame after the commit, then
   * a task posted from it (it runs once that frame's style, layout and paint are done)
   */
  paint: number;
  /**
   * the frame that shows the row, as Chromium reports it (Element Timing: the row's text carries
   * an `elementtiming` mark set before any frame could paint it; `renderTime` is the presentation
   * time of the frame that painted it, Chromium 156 gives it as `presentationTime` too); NaN if
   * no entry came
   */
  frame: number;
  /** the same frame's paint on the main thread (Element Timing `paintTime`), before the compositor presents it */
  framePaint: number;
}

/**
 * in the page: one Sample for the row holding `text`; `click`: the contact to click first ("open"),
 * else the clock starts at the WebSocket frame that brought `text` ("incoming"). Resolves once the
 * observers are in place, with the wait for the sample.
 */
async function armRow(page: Page, text: string, click: string | null): Promise<() => Promise<Sample>> {
  // the observers are in place before the message is sent: else its row can be in the page before
  // them, and the sample never comes (seen in a run under load)
  await page.evaluate(
    ({ text, click }) => {
      const samples = ((window as unknown as { __samples?: Record<string, Promise<Sample>> }).__samples ??= {});
      samples[text] = new Promise<Sample>((resolve) => {
        type ElementTiming = PerformanceEntry & { identifier: string; renderTime: number; paintTime?: number };
        const row = () => [...document.querySelectorAll('[data-kind="message"] .body')].find((b) => b.textContent === text);
        const t0 = performance.now();
        const from = () => (click ? t0 : ((window as unknown as { __frames: Record<string, number> }).__frames[text] ?? t0));
        const id = `bench-${Math.random().toString(36).slice(2)}`;
        const got: Partial<Sample> = {};
        const done = () => {
          if (got.paint === undefined || got.frame === undefined) return;
          po.disconnect();
          clearTimeout(timer);
          resolve(got as Sample);
        };
        const po = new PerformanceObserver((list) => {
          const e = (list.getEntries() as ElementTiming[]).find((x) => x.identifier === id);
          if (e && got.frame === undefined) {
            got.frame = e.renderTime - from();
            got.framePaint = (e.paintTime ?? NaN) - from();
            done();
          }
        });
        po.observe({ type: 'element', buffered: false });
        // no entry (the row was never painted in the viewport): the figure is missing, not made up
        const timer = setTimeout(() => {
          got.frame ??= NaN;
          got.framePaint ??= NaN;
          done();
        }, 5_000);
        // no row at all (or no frame) after 30 s: this sample is missing, with what the page showed
        setTimeout(() => {
          if (got.paint !== undefined) return;
          obs.disconnect();
          po.disconnect();
          const rows = document.querySelectorAll('[data-kind="message"]').length;
          console.log(`no sample for "${text.slice(0, 20)}": row ${row() ? 'in the page' : 'absent'}, ${rows} rows, page ${document.visibilityState}`);
          resolve({ render: got.render ?? NaN, paint: NaN, frame: NaN, framePaint: NaN });
        }, 30_000);
        const obs = new MutationObserver(() => {
          const body = row();
          if (!body) return;
          obs.disconnect();
          // a microtask after the commit: before the next frame, so the mark is there when it paints
          body.setAttribute('elementtiming', id);
          got.render = performance.now() - from();
          requestAnimationFrame(() => {
            const ch = new MessageChannel();
            ch.port1.onmessage = () => {
              got.paint = performance.now() - from();
              done();
            };
            ch.port2.postMessage(null);
          });
        });
        obs.observe(document.body, { childList: true, subtree: true, characterData: true });
        if (click) {
          const name = [...document.querySelectorAll('.contact-name')].find((e) => e.textContent === click);
          (name?.closest('button') as HTMLButtonElement | null)?.click();
        }
      });
    },
    { text, click },
  );
  return () => page.evaluate((text) => (window as unknown as { __samples: Record<string, Promise<Sample>> }).__samples[text]!, text);
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
      console.log(`${size} messages: ${loadLine()}`);
      const newest = `message ${size - 1}: ${'lorem ipsum dolor sit amet '.repeat(1 + ((size - 1) % 4))}`;
      const opens: Sample[] = [];
      const incoming: Sample[] = [];
      // one tab per host run (its launch token is single-use, docs/ui.md "Browser host"), so each
      // "open" is a host started anew; the incoming messages come in the last one
      for (let run = 0; run < OPENS; run++) {
        const host = await startHost(alice.dir, stack.caCertPath);
        try {
          const context = await browser.newContext();
          const page = await context.newPage();
          page.on('console', (m) => {
            if (m.text().startsWith('no sample')) console.log(m.text());
          });
          // tsx (esbuild keepNames) wraps named functions in __name(): the page needs it too
          await page.addInitScript('window.__name = (f) => f;');
          await page.addInitScript(frameStamps);
          await page.goto(host.url);
          await page.locator('.contact-name', { hasText: bob.jid }).waitFor();
          page.on('crash', () => console.log('the page crashed'));
          opens.push(await (await armRow(page, newest, bob.jid))());
          for (let i = 0; run === OPENS - 1 && i < INCOMING; i++) {
            const text = `BENCH-MARK-${++marker}`;
            const painted = await armRow(page, text, null);
            await bob.core.handlers['message.send']({ accountId: bob.accountId, to: alice.jid, body: text });
            incoming.push(await painted());
          }
          await context.close();
        } finally {
          await stopHost(host.child);
        }
      }
      // a missing figure (NaN) is left out of the median and the maximum, and counted in the line
      const known = (xs: Sample[], k: keyof Sample) => xs.map((x) => x[k]).filter((v) => !Number.isNaN(v));
      const p50 = (xs: Sample[], k: keyof Sample) =>
        percentile(
          known(xs, k).sort((a, b) => a - b),
          50,
        );
      const max = (xs: Sample[], k: keyof Sample) => Math.max(...known(xs, k));
      const line = (xs: Sample[], k: keyof Sample) =>
        `p50 ${p50(xs, k).toFixed(1)} (max ${max(xs, k).toFixed(1)}${known(xs, k).length < xs.length ? `, ${xs.length - known(xs, k).length} missing` : ''})`;
      console.log(
        `${size} messages, open (${opens.length}): render ${line(opens, 'render')}, frame ${line(opens, 'frame')} (its main-thread paint ${line(opens, 'framePaint')}), old "paint" ${line(opens, 'paint')} ms; ` +
          `incoming (${incoming.length}): render ${line(incoming, 'render')}, frame ${line(incoming, 'frame')} (its main-thread paint ${line(incoming, 'framePaint')}), old "paint" ${line(incoming, 'paint')} ms; ${loadLine()}`,
      );
      const result = (name: string, value: number, goal: number) => benchResult({ name, value, unit: 'ms', goal: `< ${goal} ms`, met: value < goal });
      result(`timeline open to first paint, ${size} messages`, p50(opens, 'frame'), 100);
      result(`timeline open to first paint (old method: rAF + task), ${size} messages`, p50(opens, 'paint'), 100);
      result(`timeline incoming message render, ${size} in the list`, p50(incoming, 'render'), 16);
      result(`timeline incoming message to paint, ${size} in the list`, p50(incoming, 'frame'), 16);
      result(`timeline incoming message to paint (old method: rAF + task), ${size} in the list`, p50(incoming, 'paint'), 16);
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
