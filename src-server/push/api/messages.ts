// messages/ (ChatSecure v3.1 as shipped, NOTES.md 2): AllowAny, as shipped; a whitelist token
// names the account whose devices are woken. Rate-limited per address and per token.
import { messageRequestSchema } from '../../../src-shared/push/wire';
import { sendJson, validate } from '../http-util';
import { sha256hex } from '../secrets';
import { NOT_FOUND, type Ctx } from './context';
import type { ApiServices } from './services';

export async function postMessage(s: ApiServices, c: Ctx): Promise<void> {
  s.limit('ip', c.addr);
  const body = validate(messageRequestSchema, await s.body(c));
  const hash = sha256hex(body.token);
  s.limit('token', hash);
  const row = await s.d.storage.whitelistTokenByHash(hash);
  // unknown, revoked and expired tokens are indistinguishable (404, as shipped)
  if (!row || row.expiresAt <= s.d.now()) throw NOT_FOUND();
  const priority = body.priority ?? 'low';
  await s.enqueue(await s.fanOut(row.accountId, { kind: 'message', token: body.token, ...(body.data !== undefined ? { data: body.data } : {}), priority }));
  sendJson(c.res, 202, { token: body.token, data: body.data ?? '', priority });
}
