// Child-process helper for the keychain tests: opens a profile with createCore and prints
// {"ok":true} or {"code": ErrorCode}. Run with tsx; used to open a profile without a keychain.
import { createCore } from '../index';
import { MessengerError } from '../../../src-shared/ipc/result';

const [profileDir, keychainService] = process.argv.slice(2);
try {
  const core = await createCore({ profileDir: profileDir ?? '', ...(keychainService ? { keychainService } : {}) });
  await core.close();
  console.log(JSON.stringify({ ok: true }));
} catch (e) {
  console.log(JSON.stringify(e instanceof MessengerError ? { code: e.code, message: e.message } : { code: 'thrown', message: String(e) }));
}
