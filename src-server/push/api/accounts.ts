// accounts/ (ChatSecure v3.1 as shipped, NOTES.md 2): create, log in, log out, read and delete
// one's own account. Logins go through the login guard (login-guard.ts).
import { accountRequestSchema, pushNameSchema } from '../../../src-shared/push/wire';
import { HttpError, sendJson, validate } from '../http-util';
import { LoginGuard } from '../login-guard';
import { hashPassword, randomSecret, sha256hex, uuid, verifyPassword } from '../secrets';
import type { Ctx } from './context';
import type { ApiServices } from './services';

const CREDENTIALS = () => new HttpError(401, 'invalid_credentials', 'Invalid credentials');

export class AccountsApi {
  readonly #s: ApiServices;
  /** hash verified for unknown names, so that a login for a missing account costs as much */
  readonly #dummyHash: Promise<string>;
  readonly #login: LoginGuard;

  constructor(s: ApiServices) {
    this.#s = s;
    const { config, now } = s.d;
    this.#dummyHash = hashPassword(randomSecret(), s.scrypt());
    this.#login = new LoginGuard({ failures: config.rate.loginFailures, concurrency: config.scryptConcurrency, queue: config.scryptQueue, now });
  }

  async #issueAuthToken(accountId: string): Promise<string> {
    const token = randomSecret();
    const now = this.#s.d.now();
    await this.#s.d.storage.putAuthToken(sha256hex(token), accountId, now, now + this.#s.d.config.authTokenTtlS * 1000);
    return token;
  }

  async createOrLogin(c: Ctx, mayCreate: boolean): Promise<void> {
    this.#s.limit('ip', c.addr);
    const body = validate(accountRequestSchema, await this.#s.body(c));
    const { storage, now } = this.#s.d;
    // a locked name is refused before any hashing (login-guard.ts)
    this.#login.checkNotLocked(body.username);
    if (mayCreate) {
      // Hash first: creating and logging in cost the same scrypt, whichever happens.
      const hash = await this.#login.hash(() => hashPassword(body.password, this.#s.scrypt()));
      const candidate = { id: uuid(), pushName: body.username, passwordHash: hash, email: body.email ?? '', createdAt: now() };
      if (await storage.createAccount(candidate)) {
        const token = await this.#issueAuthToken(candidate.id);
        return sendJson(c.res, 201, { username: candidate.pushName, email: candidate.email, id: candidate.id, token });
      }
    }
    const account = await storage.accountByName(body.username);
    const stored = account?.passwordHash ?? (await this.#dummyHash);
    const ok = await this.#login.hash(() => verifyPassword(body.password, stored));
    if (!account || !ok) {
      this.#login.recordFailure(body.username);
      throw CREDENTIALS();
    }
    const token = await this.#issueAuthToken(account.id);
    sendJson(c.res, 200, { username: account.pushName, email: account.email, id: account.id, token });
  }

  async logout(c: Ctx): Promise<void> {
    await this.#s.auth(c);
    const m = /^(?:Token|Bearer) (.+)$/.exec(c.req.headers.authorization ?? '');
    if (m) {
      this.#s.forgetLogin(sha256hex(m[1]!));
      await this.#s.d.storage.deleteAuthToken(sha256hex(m[1]!));
    }
    c.res.writeHead(204).end();
  }

  async me(c: Ctx): Promise<void> {
    const a = await this.#s.auth(c);
    sendJson(c.res, 200, { username: a.pushName, email: a.email, id: a.id });
  }

  async account(c: Ctx, name: string, m: string): Promise<void> {
    const a = await this.#s.auth(c);
    // self only; another name answers 403 whether it exists or not (no enumeration)
    if (!pushNameSchema.safeParse(name).success || name !== a.pushName)
      throw new HttpError(403, 'forbidden', 'You do not have permission to perform this action.');
    if (m === 'GET') return sendJson(c.res, 200, { username: a.pushName, email: a.email, id: a.id });
    await this.#s.d.storage.deleteAccount(a.id);
    this.#s.d.desktop.disconnect({ accountId: a.id });
    c.res.writeHead(204).end();
  }
}
