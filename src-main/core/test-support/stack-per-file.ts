// The frame most core integration tests share: one local stack (scripts/stack) for the whole
// file, started before its first test and stopped after its last, and every core the file
// starts closed and its profile deleted at the end.
import { afterAll, beforeAll } from 'vitest';
import { startStack, type Stack } from '../../../scripts/stack/stack';
import { MessengerError } from '../../../src-shared/ipc/result';
import { closeAndRemove, signedInUser, type TestCore } from './harness';

export interface StackPerFile {
  /** the file's stack (set once its beforeAll ran) */
  readonly stack: Stack;
  /** cores closed and removed after the file; push every core the file starts */
  readonly cores: TestCore[];
  /** a new account signed in from a core of its own, tracked in `cores` */
  user(prefix: string): Promise<{ c: TestCore; jid: string; accountId: string; password: string }>;
}

/** registers the file's beforeAll/afterAll; `cleanUp` runs after the cores closed, before the stack stops */
export function stackPerFile(cleanUp?: () => Promise<void>): StackPerFile {
  let stack: Stack | undefined;
  const cores: TestCore[] = [];
  beforeAll(async () => {
    stack = await startStack();
  }, 120_000);
  afterAll(async () => {
    await closeAndRemove(cores);
    await cleanUp?.();
    await stack?.stop();
  });
  return {
    get stack(): Stack {
      if (!stack) throw new Error('the stack starts in beforeAll');
      return stack;
    },
    cores,
    async user(prefix) {
      const u = await signedInUser(this.stack, prefix);
      cores.push(u.c);
      return u;
    },
  };
}

/** the MessengerError a call rejects with (fails the test if it resolves or throws anything else) */
export async function errorOf(p: Promise<unknown>): Promise<MessengerError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof MessengerError) return e;
    throw e;
  }
  throw new Error('expected a MessengerError, got success');
}
