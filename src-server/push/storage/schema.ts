// The push server's tables, one definition for both engines (issue 12, "one home"): SQLite
// stores times as INTEGER (64-bit) and booleans as 0/1, PostgreSQL as BIGINT and BOOLEAN; the
// rest is the same SQL. rows.ts maps rows of either engine back to the types of types.ts.
export type Dialect = 'sqlite' | 'postgres';

export function schemaSql(dialect: Dialect): string {
  /** milliseconds since the epoch */
  const T = dialect === 'sqlite' ? 'INTEGER' : 'BIGINT';
  const B = dialect === 'sqlite' ? 'INTEGER' : 'BOOLEAN';
  return `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
  id TEXT PRIMARY KEY, push_name TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
  email TEXT NOT NULL, created_at ${T} NOT NULL);
CREATE TABLE IF NOT EXISTS auth_tokens (
  hash TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  created_at ${T} NOT NULL, expires_at ${T} NOT NULL);
CREATE INDEX IF NOT EXISTS auth_tokens_account ON auth_tokens(account_id);
CREATE TABLE IF NOT EXISTS devices (
  id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  kind TEXT NOT NULL, registration_id TEXT NOT NULL, channel_hash TEXT NOT NULL, name TEXT NOT NULL,
  device_id TEXT NOT NULL, active ${B} NOT NULL, created_at ${T} NOT NULL);
CREATE INDEX IF NOT EXISTS devices_account ON devices(account_id);
CREATE INDEX IF NOT EXISTS devices_channel ON devices(channel_hash) WHERE channel_hash <> '';
CREATE TABLE IF NOT EXISTS whitelist_tokens (
  id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE,
  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  device_id TEXT REFERENCES devices(id) ON DELETE CASCADE, name TEXT NOT NULL,
  created_at ${T} NOT NULL, expires_at ${T} NOT NULL);
CREATE INDEX IF NOT EXISTS whitelist_tokens_account ON whitelist_tokens(account_id);
CREATE TABLE IF NOT EXISTS outbox (
  id TEXT PRIMARY KEY, target TEXT NOT NULL, target_id TEXT NOT NULL, account_id TEXT NOT NULL,
  kind TEXT NOT NULL, payload TEXT NOT NULL, created_at ${T} NOT NULL, expires_at ${T} NOT NULL,
  attempts INTEGER NOT NULL, next_attempt_at ${T} NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_target ON outbox(target_id, created_at);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(kind, next_attempt_at);
CREATE INDEX IF NOT EXISTS outbox_account ON outbox(account_id);
CREATE TABLE IF NOT EXISTS seen_ids (
  scope TEXT NOT NULL, id TEXT NOT NULL, expires_at ${T} NOT NULL, PRIMARY KEY (scope, id));
CREATE INDEX IF NOT EXISTS seen_ids_expiry ON seen_ids(expires_at);
CREATE TABLE IF NOT EXISTS peers (
  endpoint TEXT PRIMARY KEY, public_key TEXT NOT NULL, inbound ${B} NOT NULL,
  outbound ${B} NOT NULL, updated_at ${T} NOT NULL);
`;
}

/** `?` placeholders (SQLite's) numbered `$1, $2, …` (PostgreSQL's), for the statements both engines share */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** the devices of the account with a push name, oldest first: one read (issue 17) */
export const DEVICES_BY_NAME_SQL = 'SELECT d.* FROM accounts a JOIN devices d ON d.account_id = a.id WHERE a.push_name = ? ORDER BY d.created_at, d.id';

/** a new whitelist token; its parameters are tokenParams() of rows.ts */
export const INSERT_TOKEN_SQL = 'INSERT INTO whitelist_tokens (id, hash, account_id, device_id, name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)';

/** the outbox columns in insertion order (both engines' INSERTs) */
export const OUTBOX_COLUMNS = 'id, target, target_id, account_id, kind, payload, created_at, expires_at, attempts, next_attempt_at';
