// The certificate pinned per account (certificate.ts): its SHA-256 and the server it was trusted
// for, in the profile's database (table tls_pins, store/migrations.ts), encrypted at rest like
// the rest of the profile.
import type { Database } from '@signalapp/sqlcipher';

export class CertificatePins {
  constructor(private readonly db: Database) {}

  get(accountId: string): string | undefined {
    const v = this.db.prepare('SELECT sha256 FROM tls_pins WHERE account_id = ?', { pluck: true }).get([accountId]);
    return typeof v === 'string' ? v : undefined;
  }

  set(accountId: string, server: string, sha256: string, now: number): void {
    this.db
      .prepare(
        'INSERT INTO tls_pins (account_id, server, sha256, pinned_at) VALUES (?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET server = excluded.server, sha256 = excluded.sha256, pinned_at = excluded.pinned_at',
      )
      .run([accountId, server, sha256, now]);
  }

  remove(accountId: string): void {
    this.db.prepare('DELETE FROM tls_pins WHERE account_id = ?').run([accountId]);
  }
}
