/**
 * The PostgreSQL store's schema, as numbered migrations applied in order at
 * start. A migration, once released, never changes: a change of schema is a
 * new migration at the end.
 *
 * Records are kept whole in `data`, as JSON text (not jsonb: JSON.stringify
 * escapes NUL and lone surrogates, which jsonb and text would refuse), beside
 * the columns that lookups and listings use. Every listing has an index that
 * answers it in order (see `LISTINGS` in pg_store.ts and its EXPLAIN test).
 * Keys collate as "C": ids order by their bytes, as in the KV store, and
 * comparisons stay cheap.
 */

/** One migration: its number, a name for the migrations table, and its SQL. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Every migration, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "tenants, credentials, sessions and conversations",
    sql: `
create table tenants (
  id text collate "C" primary key,
  data text not null
);
create table sites (
  id text collate "C" primary key,
  tenant_id text collate "C" not null references tenants (id),
  api_key text collate "C" not null unique,
  data text not null
);
create index sites_by_tenant on sites (tenant_id, id);
create table credentials (
  hash text collate "C" primary key,
  id text collate "C" not null,
  tenant_id text collate "C" not null references tenants (id),
  kind text collate "C" not null,
  data text not null,
  last_used_at bigint
);
create unique index credentials_by_tenant on credentials (tenant_id, kind, id);
create table signing_keys (
  kid text collate "C" primary key,
  data text not null
);
create table devices (
  hash text collate "C" primary key,
  data text not null
);
create table sessions (
  hash text collate "C" primary key,
  data text not null,
  purge_at bigint not null
);
create index sessions_by_purge on sessions (purge_at);
create table visitors (
  id text collate "C" primary key,
  history_key text collate "C" not null unique,
  data text not null
);
create table conversations (
  id text collate "C" primary key,
  tenant_id text collate "C" not null,
  site_id text collate "C" not null,
  history_key text collate "C" not null,
  data text not null
);
create index conversations_by_history on conversations (history_key, id);
create index conversations_by_tenant on conversations (tenant_id, id);
create index conversations_by_site on conversations (site_id, id);
create table messages (
  conversation_id text collate "C" not null,
  seq integer not null,
  data text not null,
  primary key (conversation_id, seq)
);
`,
  },
  {
    version: 2,
    name: "changes to cached records",
    sql: `
create table cache_changes (
  xid xid8 not null default pg_current_xact_id(),
  key text collate "C" not null,
  at timestamptz not null default clock_timestamp()
);
create index cache_changes_by_xid on cache_changes (xid);
create table cache_changes_pruned (
  only_row boolean primary key default true check (only_row),
  below bigint not null
);
insert into cache_changes_pruned (below) values (0);
`,
  },
];
