// OTR with Profanity itself (Debian's profanity 0.13.1, libotr 4.1.1, OTR version 2 only), over a
// real Prosody (scripts/stack): Profanity runs in a tmux session driven with send-keys and read
// with capture-pane; our side is the OTR library's negotiating conversation (v4, v3, v2) behind a
// plain XMPP client, and in the last test the app's OTR service (otr/service.ts) whose whitespace
// tag must offer v2 for Profanity to start. Skipped, with a message, when profanity or tmux is not
// installed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import xml, { type Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../../scripts/stack/stack';
import { OPPORTUNISTIC_POLICY, type OtrEvent, type EngineOutput } from '../../../src-shared/otr/api';
import { NegotiatingConversation } from '../../../src-shared/otr/conversation';
import { systemRandom } from '../../../src-shared/node-crypto/dh-engines';
import { fixtureKey, nativeDh1536Engine } from '../../../src-shared/otr/v3/test-support/keys';
import { nativeDh3072Engine } from '../../../src-shared/otr/v4/test-support/engines';
import { makeParty } from '../../../src-shared/otr/v4/test-support/parties';
import { createClient, type XmppClient } from '../xmpp/client/client';
import { generateIdentity } from './identity';
import { OtrService } from './service';
import { OtrStore } from './otr-store';
import { openDb } from './test-support/otr-pair';

const have = (bin: string): boolean => ['/usr/bin', '/usr/local/bin', '/bin'].some((d) => existsSync(join(d, bin)));
const available = have('profanity') && have('tmux');
if (!available) console.warn('profanity.integration.test.ts: skipped — profanity and tmux are not both installed (apt-get install -y profanity tmux)');

/** waits until `check` holds, re-checking on a short interval (capture-pane has no events to wait on) */
async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Profanity in its own tmux server and HOME */
class Profanity {
  private readonly socket = `otr2-prof-${process.pid}`;
  readonly home = mkdtempSync(join(tmpdir(), 'profanity-home-'));

  start(): void {
    const env = `HOME=${this.home} XDG_CONFIG_HOME=${this.home}/.config XDG_DATA_HOME=${this.home}/.local/share TERM=xterm`;
    execFileSync('tmux', ['-L', this.socket, 'new-session', '-d', '-s', 'p', '-x', '250', '-y', '80', `env ${env} profanity`]);
  }
  keys(line: string): void {
    execFileSync('tmux', ['-L', this.socket, 'send-keys', '-t', 'p', '-l', line]);
    execFileSync('tmux', ['-L', this.socket, 'send-keys', '-t', 'p', 'Enter']);
  }
  screen(): string {
    return execFileSync('tmux', ['-L', this.socket, 'capture-pane', '-p', '-J', '-S', '-2000', '-t', 'p'], { encoding: 'utf8' });
  }
  /** waits for `re` to appear on screen, counting only matches after the `after`-th */
  async see(re: RegExp, after = 0, timeoutMs = 30_000): Promise<void> {
    try {
      await until(`Profanity to show ${re}`, () => this.count(re) > after, timeoutMs);
    } catch (e) {
      throw new Error(`${(e as Error).message}; the screen:\n${this.screen().replace(/\n\s*\n/g, '\n')}`);
    }
  }
  count(re: RegExp): number {
    return this.screen().match(new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g'))?.length ?? 0;
  }
  stop(): void {
    try {
      execFileSync('tmux', ['-L', this.socket, 'kill-server']);
    } catch {
      // already gone
    }
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** our side: the library's negotiating conversation behind a plain XMPP client */
class Us {
  readonly events: OtrEvent[] = [];
  peerJid = '';
  constructor(
    readonly client: XmppClient,
    readonly conv: NegotiatingConversation,
  ) {
    client.entity.on('stanza', (el: Element) => {
      if (!el.is('message') || el.attrs.type === 'error') return;
      const body = el.getChildText('body');
      if (body === null) return;
      this.peerJid = String(el.attrs.from);
      this.apply(this.conv.receive(body));
    });
  }
  apply(out: EngineOutput): EngineOutput {
    this.events.push(...out.events);
    for (const body of out.toSend) void this.client.entity.send(xml('message', { to: this.peerJid, type: 'chat' }, xml('body', {}, body)));
    return out;
  }
  encryptedVersion(): number | undefined {
    return this.conv.sessions().find((s) => s.state === 'encrypted')?.version;
  }
  messages(): string[] {
    return this.events.flatMap((e) => (e.type === 'message' && e.encrypted ? [e.text] : []));
  }
  smp(): string[] {
    return this.events.flatMap((e) => (e.type === 'smp' ? [e.smp.type] : []));
  }
}

let stack: Stack;
const prof = new Profanity();
let us: Us;

beforeAll(async () => {
  if (!available) return;
  stack = await startStack({
    accounts: [
      { user: 'prof', password: 'prof-pw' },
      { user: 'ts', password: 'ts-pw' },
    ],
  });
  prof.start();
  await prof.see(/-1-/);
  prof.keys(`/connect prof@${stack.domain} server ${stack.host} port ${stack.port} tls trust`);
  await prof.see(/Enter password/);
  prof.keys('prof-pw');
  await prof.see(/logged in successfully/);
  prof.keys('/otr gen');
  await prof.see(/Private key generation complete/, 0, 120_000);

  const client = createClient({
    domain: stack.domain,
    host: stack.host,
    port: stack.port,
    extraCaPem: stack.caPem,
    credentials: { username: 'ts', password: 'ts-pw' },
    resource: 'otr',
  });
  await client.entity.start();
  await client.entity.send(xml('presence'));
  const party = makeParty(`ts@${stack.domain}`, `prof@${stack.domain}`, systemRandom, nativeDh3072Engine(), () => Date.now());
  const conv = new NegotiatingConversation({
    policy: OPPORTUNISTIC_POLICY,
    v3: {
      identity: { instanceTag: party.identity.instanceTag, dsaKey: fixtureKey(0) },
      rng: systemRandom,
      clock: () => Date.now(),
      engine: nativeDh1536Engine(),
      maxMessageSize: 400,
    },
    v4: {
      identity: party.identity,
      random: systemRandom,
      clock: () => Date.now(),
      dh: nativeDh3072Engine(),
      ourId: `ts@${stack.domain}`,
      theirId: `prof@${stack.domain}`,
    },
  });
  us = new Us(client, conv);
  us.peerJid = `prof@${stack.domain}`;
}, 180_000);

afterAll(async () => {
  if (!available) return;
  // PROFANITY_SCREEN=<file> keeps what Profanity showed, to look at after a run
  if (process.env.PROFANITY_SCREEN) (await import('node:fs')).writeFileSync(process.env.PROFANITY_SCREEN, prof.screen());
  await us?.client.entity.stop().catch(() => {});
  prof.stop();
  await stack?.stop();
});

describe.skipIf(!available)('OTR with Profanity 0.13.1 itself (OTR version 2 over real XMPP)', () => {
  it('Profanity starts (/otr start: "?OTR?v2? …"): version 2 comes up; messages both ways; SMP; Profanity ends it', async () => {
    prof.keys(`/msg ts@${stack.domain}`);
    prof.keys('/otr start');
    await until('our side encrypted', () => us.encryptedVersion() === 2);
    await prof.see(/OTR session started/);

    prof.keys('hello from profanity');
    await until('their message', () => us.messages().includes('hello from profanity'));
    us.apply(us.conv.send('hello from the messenger'));
    // "~" is Profanity's mark for a message that arrived OTR-encrypted
    await prof.see(/~ ts@localhost\/otr: hello from the messenger/);

    // fragments: our side splits at 400 characters; Profanity's libotr reassembles
    const long = 'a long line for fragments ' + 'x'.repeat(900) + ' END-OF-LONG';
    const out = us.apply(us.conv.send(long));
    expect(out.toSend.length).toBeGreaterThan(2);
    expect(out.toSend.every((f) => f.startsWith('?OTR,'))).toBe(true);
    await prof.see(/END-OF-LONG/);

    // SMP with a shared secret, started by Profanity
    prof.keys('/otr secret swordfish');
    await until('an SMP request', () => us.smp().includes('smp-request'));
    us.apply(us.conv.answerSmp('swordfish'));
    await until('SMP success', () => us.smp().includes('smp-succeeded'));
    await prof.see(/Authentication successful/);

    prof.keys('/otr end');
    await until('FINISHED', () => us.conv.sessions().some((s) => s.state === 'finished'));
    await prof.see(/OTR session ended/);
    us.apply(us.conv.end());
  }, 120_000);

  it('we start (?OTRv432?): Profanity’s libotr answers in version 2; messages both ways; we end it', async () => {
    const started = prof.count(/OTR session started/);
    us.apply(us.conv.start());
    await until('our side encrypted', () => us.encryptedVersion() === 2);
    await prof.see(/OTR session started/, started);
    us.apply(us.conv.send('second session from the messenger'));
    await prof.see(/~ ts@localhost\/otr: second session from the messenger/);
    prof.keys('and back from profanity');
    await until('their message', () => us.messages().includes('and back from profanity'));
    const ended = prof.count(/OTR session ended/);
    us.apply(us.conv.end());
    await prof.see(/OTR session ended/, ended);
  }, 120_000);

  it("the app's OTR service: its whitespace tag (v4, v3, v2) makes Profanity (opportunistic) start; a version 2 session whose DSA fingerprint is stored and trusted as OTRv3", async () => {
    await stack.createAccount('app', 'app-pw');
    const client = createClient({
      domain: stack.domain,
      host: stack.host,
      port: stack.port,
      extraCaPem: stack.caPem,
      credentials: { username: 'app', password: 'app-pw' },
      resource: 'app',
    });
    await client.entity.start();
    await client.entity.send(xml('presence'));
    try {
      const profJid = `prof@${stack.domain}`;
      const store = new OtrStore(openDb());
      const received: Array<{ text: string; encrypted: boolean }> = [];
      const svc = new OtrService({
        accountId: 'app',
        ownJid: `app@${stack.domain}`,
        identity: await generateIdentity(systemRandom, Date.now()),
        store,
        transport: (w) => void client.entity.send(xml('message', { to: w.to, type: 'chat', id: w.id }, xml('body', {}, w.body))),
        emit: () => {},
        onQueuedSent: () => {},
        onQueuedDiscarded: () => {},
      });
      client.entity.on('stanza', (el: Element) => {
        const body = el.is('message') && el.attrs.type !== 'error' ? el.getChildText('body') : null;
        if (body !== null) received.push(...svc.receive(String(el.attrs.from), body));
      });
      prof.keys('/win 1'); // the console, where Profanity answers commands
      prof.keys('/otr policy opportunistic');
      await prof.see(/OTR policy is now set to: opportunistic/);
      // what the app sends in clear under its default (opportunistic) policy
      void client.entity.send(xml('message', { to: profJid, type: 'chat' }, xml('body', {}, svc.plaintextWire(profJid, 'tagged hello from the app'))));
      await until('a version 2 session', () => svc.status(profJid).version === 2 && svc.status(profJid).state === 'private-unverified');
      const fp = svc.status(profJid).theirFingerprint!;
      expect(svc.fingerprints(profJid).theirs).toEqual([expect.objectContaining({ fingerprint: fp, version: 3 })]);
      expect(svc.setTrust(profJid, fp, true).state).toBe('private-verified');
      prof.keys(`/msg app@${stack.domain}`);
      prof.keys('private hello from profanity');
      await until('their message, encrypted', () => received.some((m) => m.text === 'private hello from profanity' && m.encrypted));
      expect(svc.sendPrivate(profJid, 'm-1', 'private hello from the app')).toBe('sent');
      await prof.see(/~ app@localhost\/app: private hello from the app/);
      prof.keys('/otr end');
    } finally {
      await client.entity.stop().catch(() => {});
    }
  }, 120_000);
});
