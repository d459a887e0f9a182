// The core's answers to the group requests of the IPC contract (src-shared/ipc/groups-contract.ts).
// Inputs arrive parsed by their zod schemas; `groups` is the account's façade (its own stream).
import type { z } from 'zod';
import type { groupsRequestSchemas, GroupsRequestOutputs } from '../../../src-shared/ipc/groups-contract';
import type { Groups } from './groups';

type Names = keyof typeof groupsRequestSchemas;
export type GroupsRequestHandlers = { [K in Names]: (input: z.output<(typeof groupsRequestSchemas)[K]>) => Promise<GroupsRequestOutputs[K]> };

export function groupsRequestHandlers(groups: (accountId: string) => Promise<Groups>): GroupsRequestHandlers {
  return {
    'group.create': async ({ accountId, service, name }) => (await groups(accountId)).create({ ...(service ? { service } : {}), ...(name ? { name } : {}) }),
    'group.join': async ({ accountId, address, name }) => (await groups(accountId)).join(address, name),
    'group.leave': async ({ accountId, address }) => (await groups(accountId)).leave(address),
    'group.remove': async ({ accountId, address, member }) => (await groups(accountId)).remove(address, member),
    'group.admin': async ({ accountId, address, member, admin }) => (await groups(accountId)).setAdmin(address, member, admin),
    'group.send': async ({ accountId, address, body }) => (await groups(accountId)).send(address, body),
    'group.list': async ({ accountId }) => (await groups(accountId)).list(),
    'group.timeline': async ({ accountId, address, limit, before }) => (await groups(accountId)).timeline(address, limit, before),
  };
}
