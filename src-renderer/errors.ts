// Error codes of the IPC contract (src-shared/ipc/result.ts) in plain words (issue 7, item 5).
import type { IpcError } from '../src-shared/ipc/result';

export function plainWords(error: IpcError): string {
  switch (error.code) {
    case 'auth-failed':
      return 'Wrong password, or there is no such account on this server.';
    case 'server-unreachable':
      return 'The server could not be reached. Check the address (and host and port, if you gave them) and your network connection.';
    case 'certificate-untrusted':
      // issue 15: the certificate trusted for the account changed (the core's own words, no server text)
      if (error.message.includes('changed since you trusted it')) return error.message;
      return "The server's certificate is not trusted, so the connection was stopped to keep your password safe.";
    case 'account-exists':
      return 'This account already exists on the server. Sign in with its password instead, or choose another name.';
    case 'registration-refused':
      return 'The server does not let new accounts be created here.';
    case 'keychain-unavailable':
      return error.message || 'No system keychain is available to keep your password safe.';
    case 'profile-in-use':
      return 'This profile is already open in another window of the messenger. Close that one first, or start with another profile.';
    case 'timeout':
      return 'The server took too long to answer. Try again.';
    case 'not-connected':
      return 'You are not connected right now, so this could not be done.';
    case 'not-found':
      return error.message || 'That no longer exists.';
    case 'invalid-argument':
      return `Please check what you typed: ${error.message.replace(/^[\w.]+: /, '')}`;
    case 'otr-error':
      return error.message || 'The encrypted session failed.';
    default:
      return 'Something went wrong. Please try again.';
  }
}
