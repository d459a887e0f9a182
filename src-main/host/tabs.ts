// Which browser tab may drive the messenger (review finding 12; docs/ui.md "Browser host"). The
// link the host prints carries a one-time launch token. The first tab to present it gets a
// per-tab secret in exchange and the token is spent; a new launch token is made for the next tab
// (the host prints its link), so a link left in the browser history is worth nothing. At most
// one tab is connected at a time: another tab is refused ("open in another tab") unless the user
// chooses to take over there, which disconnects the first (it is told why). Events, message
// bodies included, therefore go to one tab only.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { CLOSE_OTHER_TAB, CLOSE_TAKEN_OVER } from '../../src-shared/ipc/host-session';

/** the close codes the renderer words (src-shared/ipc/host-session.ts) */
export { CLOSE_OTHER_TAB, CLOSE_TAKEN_OVER };

export interface TabConnection {
  close(code: number, reason: string): void;
}

export type ExchangeResult = { ok: true; secret: string } | { ok: false; reason: 'link-used' | 'open-elsewhere' };

export function sameSecret(given: string | null | undefined, expected: string | null): boolean {
  if (!given || !expected) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const newSecret = (): string => randomBytes(32).toString('base64url');

export class TabAdmission<C extends TabConnection = TabConnection> {
  private launch = newSecret();
  /** the secret of the one tab allowed to connect; earlier ones are revoked */
  private secret: string | null = null;
  private live: C | null = null;

  /** `onLaunchToken` hears each new launch token after one was spent (the host prints its link) */
  constructor(private readonly onLaunchToken: (token: string) => void = () => {}) {}

  get launchToken(): string {
    return this.launch;
  }

  /**
   * A tab presents the launch token. Refused while another tab is connected unless `takeOver`
   * (the token is then NOT spent, so the same tab can take over after asking its user).
   */
  exchange(token: string | undefined, takeOver: boolean): ExchangeResult {
    if (!sameSecret(token, this.launch)) return { ok: false, reason: 'link-used' };
    if (this.live && !takeOver) return { ok: false, reason: 'open-elsewhere' };
    this.secret = newSecret();
    this.live?.close(CLOSE_TAKEN_OVER, 'taken over by another tab');
    this.live = null;
    this.launch = newSecret();
    this.onLaunchToken(this.launch);
    return { ok: true, secret: this.secret };
  }

  /** whether a WebSocket may be opened with this secret at all (checked before the upgrade) */
  knows(secret: string | null): boolean {
    return sameSecret(secret, this.secret);
  }

  /**
   * After the upgrade: the connection becomes the tab's, or is refused because another connection
   * of the tab's secret is live (a duplicated tab) unless `takeOver`.
   */
  admit(conn: C, takeOver: boolean): 'admitted' | 'open-elsewhere' {
    if (this.live && this.live !== conn && !takeOver) return 'open-elsewhere';
    if (this.live && this.live !== conn) this.live.close(CLOSE_TAKEN_OVER, 'taken over by another tab');
    this.live = conn;
    return 'admitted';
  }

  isLive(conn: C): boolean {
    return this.live === conn;
  }

  leave(conn: C): void {
    if (this.live === conn) this.live = null;
  }
}
