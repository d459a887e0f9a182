// Driver for otr3-peer.c, the libotr 4.1.1 peer: compiles it with gcc into a temp directory (once
// per process) and talks to it over its stdin/stdout line protocol (see the header of the C file).
// Used by the *.integration.test.ts files and by bench/otrv3.ts.
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const SOURCE = fileURLToPath(new URL('./otr3-peer.c', import.meta.url));
let built: string | undefined;

/** compiles the peer (gcc … -lotr -lgcrypt) into a temp dir and returns the binary's path */
export function buildPeer(): string {
  if (built) return built;
  const dir = mkdtempSync(join(tmpdir(), 'otr3-peer-bin-'));
  const bin = join(dir, 'otr3-peer');
  execFileSync('gcc', ['-O2', '-Wall', '-o', bin, SOURCE, '-lotr', '-lgcrypt'], { stdio: 'pipe' });
  built = bin;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return bin;
}

export type PeerEvent =
  | { kind: 'OUT'; text: string }
  | { kind: 'MSG'; text: string }
  | { kind: 'GONE_SECURE'; instanceTag: number }
  | { kind: 'GONE_INSECURE' }
  | { kind: 'STILL_SECURE' }
  /** libotr OtrlSMPEvent numbers: 1 error, 2 abort, 3 cheated, 4 ask for answer, 5 ask for secret, 6 in progress, 7 success, 8 failure */
  | { kind: 'SMP'; event: number; percent: number; question?: string }
  | { kind: 'MSGEVENT'; event: number; text?: string }
  | { kind: 'SYMKEY'; key: string }
  | { kind: 'SYMKEY_RECV'; use: number; useData: string; key: string }
  | { kind: 'TLV'; type: number; value: string }
  | { kind: 'INFO'; msgstate: number; theirInstance: number; theirFingerprint: string; ssid: string }
  | { kind: 'BENCH'; values: number[] }
  | { kind: 'ERR'; text: string };

export const SmpEventCode = { error: 1, abort: 2, cheated: 3, askForAnswer: 4, askForSecret: 5, inProgress: 6, success: 7, failure: 8 } as const;

const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
const unhex = (h: string): string => (h === '-' ? '' : Buffer.from(h, 'hex').toString('utf8'));

export class LibotrPeer {
  private lines: string[] = [];
  private waiter: (() => void) | undefined;
  private exited = false;
  readonly events: PeerEvent[] = [];

  private constructor(
    private readonly proc: ChildProcessWithoutNullStreams,
    readonly dir: string,
    private readonly ownsDir: boolean,
  ) {
    const rl = createInterface({ input: proc.stdout });
    rl.on('line', (l) => {
      this.lines.push(l);
      this.waiter?.();
    });
    proc.on('exit', () => {
      this.exited = true;
      this.waiter?.();
    });
  }

  instanceTag = 0;
  fingerprint = '';

  /**
   * Starts a peer. `shareKeyWith` copies another peer's DSA key (two instances of one contact: same
   * key, different instance tags, as with one account logged in twice).
   */
  static async start(opts: { shareKeyWith?: LibotrPeer; policy?: number; maxMessageSize?: number } = {}): Promise<LibotrPeer> {
    const bin = buildPeer();
    const dir = mkdtempSync(join(tmpdir(), 'otr3-peer-'));
    if (opts.shareKeyWith) copyFileSync(join(opts.shareKeyWith.dir, 'peer.key'), join(dir, 'peer.key'));
    const proc = spawn(bin, [dir], { stdio: ['pipe', 'pipe', 'pipe'] });
    const peer = new LibotrPeer(proc, dir, true);
    const ready = await peer.nextLine(60_000);
    const m = /^READY ([0-9a-f]{8}) ([0-9a-f]{40})$/.exec(ready);
    if (!m) throw new Error(`peer did not start: ${ready}`);
    peer.instanceTag = parseInt(m[1]!, 16);
    peer.fingerprint = m[2]!;
    if (opts.policy !== undefined) await peer.cmd(`POLICY ${opts.policy.toString(16)}`);
    if (opts.maxMessageSize !== undefined) await peer.cmd(`MMS ${opts.maxMessageSize}`);
    return peer;
  }

  private async nextLine(timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.exited) throw new Error('libotr peer exited');
      if (Date.now() > deadline) throw new Error('libotr peer timed out');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.lines.shift()!;
  }

  /** sends one command and returns the events it produced (up to its DONE) */
  async cmd(line: string): Promise<PeerEvent[]> {
    this.proc.stdin.write(line + '\n');
    const out: PeerEvent[] = [];
    for (;;) {
      const l = await this.nextLine();
      if (l === 'DONE') break;
      const ev = parse(l);
      out.push(ev);
    }
    this.events.push(...out);
    return out;
  }

  recv(wire: string): Promise<PeerEvent[]> {
    return this.cmd(`RECV ${hex(wire)}`);
  }
  send(text: string, instanceTag?: number): Promise<PeerEvent[]> {
    return instanceTag === undefined ? this.cmd(`SEND ${hex(text)}`) : this.cmd(`SENDTO ${instanceTag.toString(16)} ${hex(text)}`);
  }
  query(): Promise<PeerEvent[]> {
    return this.cmd('QUERY');
  }
  startSmp(secret: string, question?: string): Promise<PeerEvent[]> {
    return question === undefined ? this.cmd(`SMP ${hex(secret)}`) : this.cmd(`SMPQ ${hex(question)} ${hex(secret)}`);
  }
  answerSmp(secret: string): Promise<PeerEvent[]> {
    return this.cmd(`SMPANSWER ${hex(secret)}`);
  }
  abortSmp(): Promise<PeerEvent[]> {
    return this.cmd('SMPABORT');
  }
  symkey(use: number, useData: Uint8Array): Promise<PeerEvent[]> {
    return this.cmd(`SYMKEY ${use} ${useData.length ? Buffer.from(useData).toString('hex') : '-'}`);
  }
  disconnect(): Promise<PeerEvent[]> {
    return this.cmd('DISCONNECT');
  }
  async info(): Promise<Extract<PeerEvent, { kind: 'INFO' }> | undefined> {
    const ev = await this.cmd('INFO');
    return ev.find((e): e is Extract<PeerEvent, { kind: 'INFO' }> => e.kind === 'INFO');
  }

  /**
   * libotr timing inside the peer process (two userstates talking through in-memory queues, no
   * IPC): mean and median AKE ms, µs per message alternating directions (a D-H rotation per
   * message) and one way (no rotation).
   */
  async bench(nAke: number, nMsgs: number, msgLen: number): Promise<{ akeMeanMs: number; akeMedianMs: number; msgAlternatingUs: number; msgOneWayUs: number }> {
    const ev = await this.cmd(`BENCH ${this.dir} ${nAke} ${nMsgs} ${msgLen}`);
    const b = ev.find((e): e is Extract<PeerEvent, { kind: 'BENCH' }> => e.kind === 'BENCH');
    if (!b) throw new Error(`libotr bench failed: ${JSON.stringify(ev)}`);
    const [akeMeanMs = NaN, akeMedianMs = NaN, msgAlternatingUs = NaN, msgOneWayUs = NaN] = b.values;
    return { akeMeanMs, akeMedianMs, msgAlternatingUs, msgOneWayUs };
  }

  async close(): Promise<void> {
    if (!this.exited) {
      this.proc.stdin.end('QUIT\n');
      await new Promise<void>((resolve) => {
        if (this.exited) resolve();
        else this.proc.once('exit', () => resolve());
      });
    }
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

function parse(l: string): PeerEvent {
  const [k, a = '', b = '', c = ''] = l.split(' ');
  switch (k) {
    case 'OUT':
      return { kind: 'OUT', text: unhex(a) };
    case 'MSG':
      return { kind: 'MSG', text: unhex(a) };
    case 'GONE_SECURE':
      return { kind: 'GONE_SECURE', instanceTag: parseInt(a, 16) };
    case 'GONE_INSECURE':
      return { kind: 'GONE_INSECURE' };
    case 'STILL_SECURE':
      return { kind: 'STILL_SECURE' };
    case 'SMP':
      return b === ''
        ? { kind: 'SMP', event: Number(a), percent: 0 }
        : c === '-' || c === ''
          ? { kind: 'SMP', event: Number(a), percent: Number(b) }
          : { kind: 'SMP', event: Number(a), percent: Number(b), question: unhex(c) };
    case 'MSGEVENT':
      return b === '-' ? { kind: 'MSGEVENT', event: Number(a) } : { kind: 'MSGEVENT', event: Number(a), text: unhex(b) };
    case 'SYMKEY':
      return { kind: 'SYMKEY', key: a };
    case 'SYMKEY_RECV':
      return { kind: 'SYMKEY_RECV', use: Number(a), useData: b === '-' ? '' : b, key: c };
    case 'TLV':
      return { kind: 'TLV', type: Number(a), value: b === '-' ? '' : b };
    case 'INFO':
      return a === 'none'
        ? { kind: 'ERR', text: 'no context' }
        : { kind: 'INFO', msgstate: Number(a), theirInstance: parseInt(b, 16), theirFingerprint: c, ssid: l.split(' ')[4] ?? '' };
    case 'BENCH':
      return { kind: 'BENCH', values: l.split(' ').slice(1).map(Number) };
    default:
      return { kind: 'ERR', text: l };
  }
}
