// What the group service keeps (docs/groups.md §"The service"): groups and their members by
// identity, and the log of what it relays (group messages, membership statements, pairwise
// messages to members) with a sequence number, so that a member that was offline fetches what it
// missed by sequence number, until the entry expires. Only public keys and ciphertext are stored.
import type { KeyBundle } from './keys';

export interface StoredGroup {
  id: string;
  creator: string;
  /** the creator and the admins it named */
  admins: string[];
  /** version of the last set_admins (0: none yet) */
  adminVer: number;
  /**
   * the group's key epoch: 1 at creation, one more per removal or leave (docs/groups.md §"Rekeys:
   * ordering and races"); every client counts alike. Absent in a group stored before it was kept:
   * learnt from the next add_user.
   */
  epoch?: number;
  /** fingerprint → bundle */
  members: Map<string, KeyBundle>;
}

export interface LogEntry {
  seq: number;
  body: string;
}

export interface ServiceStore {
  getGroup(id: string): Promise<StoredGroup | null>;
  /** false if the group exists already */
  createGroup(id: string, creator: string, key: KeyBundle, nowMs: number): Promise<boolean>;
  addMember(id: string, fp: string, key: KeyBundle): Promise<void>;
  removeMember(id: string, fp: string): Promise<void>;
  /** the admin list, its version and the key epoch (kept together: one row, one write) */
  setAdmins(id: string, admins: string[], ver: number, epoch: number | undefined): Promise<void>;
  /** appends to the group's log, for everybody (to = null) or for one member; returns its seq */
  append(id: string, to: string | null, body: string, nowMs: number, expiresAtMs: number): Promise<number>;
  /** entries after `afterSeq` for member `fp` (its own and everybody's), unexpired, in order */
  since(id: string, fp: string, afterSeq: number, nowMs: number, limit: number): Promise<LogEntry[]>;
  /** the highest seq of the group's log (0 when empty) */
  head(id: string): Promise<number>;
  purgeExpired(nowMs: number): Promise<number>;
  close(): Promise<void>;
}

/** The in-memory store: unit tests and the benchmark's baseline. */
export class MemoryServiceStore implements ServiceStore {
  private readonly groups = new Map<string, StoredGroup>();
  private readonly logs = new Map<string, { seq: number; to: string | null; body: string; expires: number }[]>();
  private seq = 0;

  async getGroup(id: string): Promise<StoredGroup | null> {
    const g = this.groups.get(id);
    return g ? { ...g, admins: [...g.admins], members: new Map(g.members) } : null;
  }
  async createGroup(id: string, creator: string, key: KeyBundle): Promise<boolean> {
    if (this.groups.has(id)) return false;
    this.groups.set(id, { id, creator, admins: [creator], adminVer: 0, epoch: 1, members: new Map([[creator, key]]) });
    return true;
  }
  async addMember(id: string, fp: string, key: KeyBundle): Promise<void> {
    this.groups.get(id)?.members.set(fp, key);
  }
  async removeMember(id: string, fp: string): Promise<void> {
    this.groups.get(id)?.members.delete(fp);
  }
  async setAdmins(id: string, admins: string[], ver: number, epoch: number | undefined): Promise<void> {
    const g = this.groups.get(id);
    if (g) Object.assign(g, { admins: [...admins], adminVer: ver, epoch });
  }
  async append(id: string, to: string | null, body: string, _now: number, expires: number): Promise<number> {
    const seq = ++this.seq;
    const log = this.logs.get(id) ?? [];
    log.push({ seq, to, body, expires });
    this.logs.set(id, log);
    return seq;
  }
  async since(id: string, fp: string, after: number, now: number, limit: number): Promise<LogEntry[]> {
    return (this.logs.get(id) ?? [])
      .filter((e) => e.seq > after && e.expires > now && (e.to === null || e.to === fp))
      .slice(0, limit)
      .map(({ seq, body }) => ({ seq, body }));
  }
  async head(id: string): Promise<number> {
    return this.logs.get(id)?.at(-1)?.seq ?? 0;
  }
  async purgeExpired(now: number): Promise<number> {
    let n = 0;
    for (const [id, log] of this.logs) {
      const keep = log.filter((e) => e.expires > now);
      n += log.length - keep.length;
      this.logs.set(id, keep);
    }
    return n;
  }
  async close(): Promise<void> {}
}
