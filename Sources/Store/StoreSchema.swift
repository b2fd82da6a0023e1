/// The schema, as ordered migrations, the same list for both backends: each migration's SQL is
/// written once and asks `SQLDialect` for the few types that differ. Never edit a shipped migration
/// (its SQLite text must stay what it was): add a new one.
enum StoreSchema {
    struct Migration: Sendable {
        let name: String
        let sql: @Sendable (SQLDialect) -> String
        init(_ name: String, sql: @escaping @Sendable (SQLDialect) -> String) {
            self.name = name
            self.sql = sql
        }
    }

    static let migrations: [Migration] = [
        Migration("v1-tenants-and-ami") { d in
            """
            CREATE TABLE meta (key TEXT PRIMARY KEY, value \(d.integer) NOT NULL);
            INSERT INTO meta (key, value) VALUES ('revision', 0);
            CREATE TABLE tenant (
                id \(d.primaryKey),
                uuid TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL UNIQUE,
                domain \(d.caselessText) NOT NULL UNIQUE,
                tone_country TEXT NOT NULL DEFAULT 'it'
            );
            CREATE TABLE extension (
                id \(d.primaryKey),
                tenant_id \(d.integer) NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                number TEXT NOT NULL,
                name TEXT,
                ha1_md5 TEXT NOT NULL,
                ha1_sha256 TEXT NOT NULL,
                UNIQUE (tenant_id, number)
            );
            CREATE TABLE trunk (
                id \(d.primaryKey),
                tenant_id \(d.integer) NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                host TEXT NOT NULL,
                port \(d.integer) NOT NULL,
                transport TEXT NOT NULL,
                username TEXT,
                password_sealed \(d.blob),
                UNIQUE (tenant_id, name)
            );
            CREATE TABLE outbound_route (
                id \(d.primaryKey),
                tenant_id \(d.integer) NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                prefix TEXT NOT NULL,
                trunk_id \(d.integer) NOT NULL REFERENCES trunk(id) ON DELETE CASCADE,
                strip \(d.integer) NOT NULL DEFAULT 0,
                UNIQUE (tenant_id, prefix)
            );
            CREATE TABLE ami_user (
                id \(d.primaryKey),
                tenant_id \(d.integer) NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                username \(d.caselessText) NOT NULL UNIQUE,
                secret_sealed \(d.blob) NOT NULL,
                permit TEXT NOT NULL,
                read_classes TEXT NOT NULL,
                write_classes TEXT NOT NULL,
                enabled \(d.integer) NOT NULL DEFAULT 1
            );
            """
        },
        Migration("v2-registrations") { d in
            """
            CREATE TABLE registration (
                id \(d.primaryKey),
                tenant_id \(d.integer) NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                extension TEXT NOT NULL,
                binding_key TEXT NOT NULL,
                contact TEXT NOT NULL,
                instance TEXT,
                call_id TEXT NOT NULL,
                cseq \(d.integer) NOT NULL,
                expires_at \(d.real) NOT NULL,
                source TEXT NOT NULL,
                transport TEXT NOT NULL,
                user_agent TEXT,
                UNIQUE (tenant_id, extension, binding_key)
            );
            """
        },
        Migration("v3-admin") { d in
            // Admin panel: administrators (tenant NULL = the system administrator), their API tokens,
            // and the per-tenant switch of the AMI service.
            """
            ALTER TABLE tenant ADD COLUMN ami_enabled \(d.integer) NOT NULL DEFAULT 1;
            CREATE TABLE admin_user (
                id \(d.primaryKey),
                tenant_id \(d.integer) REFERENCES tenant(id) ON DELETE CASCADE,
                name \(d.caselessText) NOT NULL,
                password_hash TEXT NOT NULL,
                created_at \(d.real) NOT NULL,
                UNIQUE (tenant_id, name)
            );
            CREATE UNIQUE INDEX admin_user_system_name ON admin_user(name) WHERE tenant_id IS NULL;
            CREATE TABLE api_token (
                id \(d.primaryKey),
                admin_user_id \(d.integer) NOT NULL REFERENCES admin_user(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                token_sha256 TEXT NOT NULL UNIQUE,
                created_at \(d.real) NOT NULL
            );
            """
        },
        Migration("v4-tenant-limits") { d in
            // Per-tenant capacity limits; NULL = the node's default (a share of its pools).
            """
            ALTER TABLE tenant ADD COLUMN limit_channels \(d.integer);
            ALTER TABLE tenant ADD COLUMN limit_rtp_port_pairs \(d.integer);
            ALTER TABLE tenant ADD COLUMN limit_ami_sessions \(d.integer);
            ALTER TABLE tenant ADD COLUMN limit_originates_per_second \(d.integer);
            """
        },
        Migration("v5-trunk-rtp-timeout") { d in
            // Per-trunk RTP inactivity timeout in seconds (0 = never); NULL = the node's --rtp-timeout.
            "ALTER TABLE trunk ADD COLUMN rtp_timeout \(d.integer)"
        },
        Migration("v6-ami-eventfilter") { _ in
            // Per AMI user: event filters applied at login (JSON list of manager.conf `eventfilter` lines).
            "ALTER TABLE ami_user ADD COLUMN eventfilter TEXT NOT NULL DEFAULT '[]'"
        },
        Migration("v6-cdr") { d in
            // Call detail records, one per party A / party B pair as Asterisk's CDRs; times in seconds since the epoch.
            """
            CREATE TABLE cdr (
                id \(d.primaryKey),
                tenant_id \(d.integer) NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                start \(d.real) NOT NULL,
                answer \(d.real),
                "end" \(d.real) NOT NULL,
                duration \(d.integer) NOT NULL,
                billsec \(d.integer) NOT NULL,
                src TEXT NOT NULL,
                dst TEXT NOT NULL,
                dcontext TEXT NOT NULL,
                clid TEXT NOT NULL,
                channel TEXT NOT NULL,
                dstchannel TEXT NOT NULL,
                lastapp TEXT NOT NULL,
                lastdata TEXT NOT NULL,
                disposition TEXT NOT NULL,
                accountcode TEXT NOT NULL,
                uniqueid TEXT NOT NULL,
                linkedid TEXT NOT NULL,
                userfield TEXT NOT NULL
            );
            CREATE INDEX cdr_tenant_start ON cdr(tenant_id, start);
            CREATE INDEX cdr_start ON cdr(start);
            """
        },
        Migration("v7-registration-path") { _ in
            // RFC 3327: the REGISTER's Path entries, one name-addr per line, top first ('' = none).
            "ALTER TABLE registration ADD COLUMN path TEXT NOT NULL DEFAULT ''"
        },
        Migration("v8-registration-node") { _ in
            // The node (--node-id) that holds a binding: a node replaces only its own bindings. Bindings
            // stored before this migration were the only node's.
            "ALTER TABLE registration ADD COLUMN node_id TEXT NOT NULL DEFAULT 'local'"
        },
    ]
}
