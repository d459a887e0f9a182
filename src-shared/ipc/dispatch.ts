// The one place where an untrusted request becomes a core call: name checked, input parsed with
// its zod schema, thrown errors turned into typed results. Both transports (Electron, WebSocket)
// call this, so the two cannot drift apart.
import { isRequestName, requestSchemas, type RequestHandlers, type RequestName } from './contract';
import { err, MessengerError, ok, type Result } from './result';

export async function dispatchRequest(handlers: RequestHandlers, name: unknown, rawInput: unknown): Promise<Result<unknown>> {
  if (!isRequestName(name)) return err('invalid-argument', 'unknown request');
  const parsed = requestSchemas[name].safeParse(rawInput ?? {});
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return err('invalid-argument', first ? `${first.path.join('.') || 'input'}: ${first.message}` : 'invalid input');
  }
  try {
    const handler = handlers[name] as (input: unknown) => Promise<unknown>;
    return ok(await handler(parsed.data));
  } catch (e) {
    if (e instanceof MessengerError) return err(e.code, e.message);
    // Unexpected: say nothing that could carry a secret.
    return err('internal', 'internal error');
  }
}

export type { RequestName };
