import GRDB

/// The SQLite schema, as ordered migrations. Never edit a shipped migration: add a new one.
enum StoreSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-tenants-and-ami") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                    INSERT INTO meta (key, value) VALUES ('revision', 0);
                    CREATE TABLE tenant (
                        id INTEGER PRIMARY KEY,
                        uuid TEXT NOT NULL UNIQUE,
                        name TEXT NOT NULL UNIQUE,
                        domain TEXT NOT NULL UNIQUE COLLATE NOCASE,
                        tone_country TEXT NOT NULL DEFAULT 'it'
                    );
                    CREATE TABLE extension (
                        id INTEGER PRIMARY KEY,
                        tenant_id INTEGER NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                        number TEXT NOT NULL,
                        name TEXT,
                        ha1_md5 TEXT NOT NULL,
                        ha1_sha256 TEXT NOT NULL,
                        UNIQUE (tenant_id, number)
                    );
                    CREATE TABLE trunk (
                        id INTEGER PRIMARY KEY,
                        tenant_id INTEGER NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                        name TEXT NOT NULL,
                        host TEXT NOT NULL,
                        port INTEGER NOT NULL,
                        transport TEXT NOT NULL,
                        username TEXT,
                        password_sealed BLOB,
                        UNIQUE (tenant_id, name)
                    );
                    CREATE TABLE outbound_route (
                        id INTEGER PRIMARY KEY,
                        tenant_id INTEGER NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                        prefix TEXT NOT NULL,
                        trunk_id INTEGER NOT NULL REFERENCES trunk(id) ON DELETE CASCADE,
                        strip INTEGER NOT NULL DEFAULT 0,
                        UNIQUE (tenant_id, prefix)
                    );
                    CREATE TABLE ami_user (
                        id INTEGER PRIMARY KEY,
                        tenant_id INTEGER NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
                        secret_sealed BLOB NOT NULL,
                        permit TEXT NOT NULL,
                        read_classes TEXT NOT NULL,
                        write_classes TEXT NOT NULL,
                        enabled INTEGER NOT NULL DEFAULT 1
                    );
                    """)
        }
        migrator.registerMigration("v2-registrations") { db in
            try db.execute(
                sql: """
                    CREATE TABLE registration (
                        id INTEGER PRIMARY KEY,
                        tenant_id INTEGER NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                        extension TEXT NOT NULL,
                        binding_key TEXT NOT NULL,
                        contact TEXT NOT NULL,
                        instance TEXT,
                        call_id TEXT NOT NULL,
                        cseq INTEGER NOT NULL,
                        expires_at REAL NOT NULL,
                        source TEXT NOT NULL,
                        transport TEXT NOT NULL,
                        user_agent TEXT,
                        UNIQUE (tenant_id, extension, binding_key)
                    );
                    """)
        }
        migrator.registerMigration("v3-admin") { db in
            // Admin panel: administrators (tenant NULL = the system administrator), their API tokens,
            // and the per-tenant switch of the AMI service.
            try db.execute(
                sql: """
                    ALTER TABLE tenant ADD COLUMN ami_enabled INTEGER NOT NULL DEFAULT 1;
                    CREATE TABLE admin_user (
                        id INTEGER PRIMARY KEY,
                        tenant_id INTEGER REFERENCES tenant(id) ON DELETE CASCADE,
                        name TEXT NOT NULL COLLATE NOCASE,
                        password_hash TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        UNIQUE (tenant_id, name)
                    );
                    CREATE UNIQUE INDEX admin_user_system_name ON admin_user(name) WHERE tenant_id IS NULL;
                    CREATE TABLE api_token (
                        id INTEGER PRIMARY KEY,
                        admin_user_id INTEGER NOT NULL REFERENCES admin_user(id) ON DELETE CASCADE,
                        name TEXT NOT NULL,
                        token_sha256 TEXT NOT NULL UNIQUE,
                        created_at REAL NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v4-tenant-limits") { db in
            // Per-tenant capacity limits; NULL = the node's default (a share of its pools).
            try db.execute(
                sql: """
                    ALTER TABLE tenant ADD COLUMN limit_channels INTEGER;
                    ALTER TABLE tenant ADD COLUMN limit_rtp_port_pairs INTEGER;
                    ALTER TABLE tenant ADD COLUMN limit_ami_sessions INTEGER;
                    ALTER TABLE tenant ADD COLUMN limit_originates_per_second INTEGER;
                    """)
        }
        migrator.registerMigration("v5-trunk-rtp-timeout") { db in
            // Per-trunk RTP inactivity timeout in seconds (0 = never); NULL = the node's --rtp-timeout.
            try db.execute(sql: "ALTER TABLE trunk ADD COLUMN rtp_timeout INTEGER")
        }
        migrator.registerMigration("v6-ami-eventfilter") { db in
            // Per AMI user: event filters applied at login (JSON list of manager.conf `eventfilter` lines).
            try db.execute(sql: "ALTER TABLE ami_user ADD COLUMN eventfilter TEXT NOT NULL DEFAULT '[]'")
        }
        migrator.registerMigration("v6-cdr") { db in
            // Call detail records, one per party A / party B pair as Asterisk's CDRs; times in seconds since the epoch.
            try db.execute(
                sql: """
                    CREATE TABLE cdr (
                        id INTEGER PRIMARY KEY,
                        tenant_id INTEGER NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                        start REAL NOT NULL,
                        answer REAL,
                        end REAL NOT NULL,
                        duration INTEGER NOT NULL,
                        billsec INTEGER NOT NULL,
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
                    """)
        }
        migrator.registerMigration("v7-registration-path") { db in
            // RFC 3327: the REGISTER's Path entries, one name-addr per line, top first ('' = none).
            try db.execute(sql: "ALTER TABLE registration ADD COLUMN path TEXT NOT NULL DEFAULT ''")
        }
        return migrator
    }
}
