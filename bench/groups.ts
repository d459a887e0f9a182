// Verified groups on the local stack (issue 16 "Benchmark"): admission time (join → member: the
// service's new_user, identity/challenge/response, add_user, user_added) and fan-out of group
// messages to a group of N members, send → shown (the receiver's group.message event, after
// signature check, decryption and storage), p50/p99. Real Prosody, the group service as an
// XEP-0114 component in this process, every member a real XMPP connection with its own SQLCipher
// database and the core's createGroups façade — all in one process on this machine's cores, so
// the fan-out figure includes every receiver's CPU work queued behind the others'.
//   npx tsx bench/groups.ts [--members 50] [--messages 20] [--short]
// --short (what `npm run bench` passes): 6 members, 5 messages, indicative only. Each figure ends
// as a BENCH-RESULT line (bench/support.ts). The goals are this script's working goals for an
// interactive chat (docs/groups.md §"Benchmark"), not figures of record.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startStack } from '../scripts/stack/stack';
import { type GroupUser, groupUser } from '../src-main/core/groups/test-support/harness';
import { startGroupServer } from '../src-server/groups/server';
import { benchResult, isShort, loadLine, percentile, runMain } from './support';

const { values } = parseArgs({
  options: { members: { type: 'string' }, messages: { type: 'string' }, short: { type: 'boolean', default: false } },
});
const short = values.short || isShort();
const N = Number(values.members ?? (short ? '6' : '50'));
const M = Number(values.messages ?? (short ? '5' : '20'));
if (!Number.isInteger(N) || N < 2 || !Number.isInteger(M) || M < 1) throw new Error('--members must be an integer ≥ 2 and --messages ≥ 1');
/** working goals: a newcomer is in within a second; a message shows everywhere within a second */
const ADMISSION_P50_GOAL_MS = 1000;
const FANOUT_P99_GOAL_MS = 1000;

const fmt = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${percentile(s, 50).toFixed(1)} ms   p99 ${percentile(s, 99).toFixed(1)} ms   max ${s.at(-1)!.toFixed(1)} ms   (n=${s.length})`;
};

async function main(): Promise<number> {
  console.log(loadLine());
  const stack = await startStack();
  if (!stack.groupsDomain || !stack.groupsSecret) {
    await stack.stop();
    throw new Error('this stack declares no group component (Prosody does; scripts/stack/stack.ts)');
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'groups-bench-'));
  const server = await startGroupServer({
    domain: stack.groupsDomain,
    secret: stack.groupsSecret,
    host: '127.0.0.1',
    port: stack.componentPort,
    dataDir,
  });
  const contacts: string[] = [];
  const users: GroupUser[] = [];
  try {
    for (let i = 0; i < N; i++) {
      const u = await groupUser(stack, `m${i}`, () => contacts);
      contacts.push(u.jid);
      users.push(u);
    }
    const [creator, ...rest] = users as [GroupUser, ...GroupUser[]];
    for (const u of rest) {
      creator.verify(u);
      u.verify(creator);
    }
    const g = await creator.groups.create({ service: server.domain });
    await creator.waitFor('group.updated', (x) => x.address === g.address && x.phase === 'member');

    const admission: number[] = [];
    for (const u of rest) {
      const t0 = performance.now();
      await u.groups.join(g.address);
      await u.waitFor('group.updated', (x) => x.address === g.address && x.phase === 'member', 60_000);
      admission.push(performance.now() - t0);
    }
    // everyone has everyone (each user_added reached every member)
    await Promise.all(users.map((u) => u.waitFor('group.updated', (x) => x.address === g.address && x.members.length === N, 120_000)));

    const fanout: number[] = [];
    for (let k = 0; k < M; k++) {
      const body = `bench ${k}`;
      const t0 = performance.now();
      const arrivals = rest.map((u) => u.waitFor('group.message', (m) => m.body === body, 60_000).then(() => performance.now() - t0));
      await creator.groups.send(g.address, body);
      fanout.push(...(await Promise.all(arrivals)));
    }
    console.log(`groups: ${N} members, ${M} messages from one member`);
    console.log(`admission (join → member), ${rest.length} newcomers, group growing 1 → ${N}:  ${fmt(admission)}`);
    console.log(`fan-out send → shown at each of ${rest.length} members:                     ${fmt(fanout)}`);
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const admissionP50 = percentile(sorted(admission), 50);
    const fanoutP99 = percentile(sorted(fanout), 99);
    const tag = short ? ', short' : '';
    benchResult({
      name: `groups admission p50 (${N} members${tag})`,
      value: admissionP50,
      unit: 'ms',
      goal: `< ${ADMISSION_P50_GOAL_MS} ms`,
      met: admissionP50 < ADMISSION_P50_GOAL_MS,
    });
    benchResult({
      name: `groups fan-out send→shown p99 (${N} members${tag})`,
      value: fanoutP99,
      unit: 'ms',
      goal: `< ${FANOUT_P99_GOAL_MS} ms`,
      met: fanoutP99 < FANOUT_P99_GOAL_MS,
    });
    console.log(loadLine());
    return 0;
  } finally {
    await Promise.all(users.map((u) => u.stop().catch(() => undefined)));
    await server.stop();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

runMain(main);
