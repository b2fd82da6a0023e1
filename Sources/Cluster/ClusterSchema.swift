import Foundation

/// The cluster tables' DDL. `kamailio` is deploy/kamailio/schema.sql, the interface the SIP edge reads,
/// word for word (`ClusterSchemaTests` checks it); `centralino` adds what only the nodes use. Every
/// statement is idempotent, so each node runs them all at start (under an advisory lock: two nodes
/// starting at once do not race on `CREATE TABLE`).
public enum ClusterSchema {
    /// deploy/kamailio/schema.sql.
    public static let kamailio = #"""
        -- The PostgreSQL tables the SIP edge (deploy/kamailio/kamailio.cfg) reads: an interface between
        -- Kamailio and Centralino's cluster store (docs/cluster.md). Kamailio only SELECTs from them.
        -- Centralino nodes started with --node-id and a PostgreSQL --database create these tables when missing
        -- (Sources/Cluster/ClusterSchema.swift holds this same text; Tests/ClusterTests checks they are equal),
        -- write their heartbeat and place tenants on home nodes; an operator may also fill them by hand.
        -- Every statement is idempotent: running it again changes nothing.

        -- A Centralino node: its SIP address as the edge reaches it, and its own dispatcher set.
        CREATE TABLE IF NOT EXISTS cluster_node (
            node_id TEXT PRIMARY KEY CHECK (node_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
            -- Where the edge sends requests for this node's tenants: sip:<address>:<port>[;transport=tcp].
            sip_uri TEXT NOT NULL CHECK (sip_uri ~ '^sip:[^ ]{1,180}$'),
            -- The dispatcher set of this node's tenants (the dispatcher view below lists the node in it).
            dispatcher_set INTEGER NOT NULL UNIQUE CHECK (dispatcher_set > 0),
            -- Written by the node every --cluster-heartbeat-seconds (database clock); NULL = never.
            heartbeat_at TIMESTAMPTZ
        );

        -- The tenant -> home node map, by the tenant's SIP domain (lower case, as Kamailio looks it up).
        CREATE TABLE IF NOT EXISTS cluster_tenant (
            tenant_uuid UUID PRIMARY KEY,
            domain TEXT NOT NULL UNIQUE CHECK (domain = lower(domain) AND domain ~ '^[a-z0-9][a-z0-9.-]{0,252}$'),
            home_node TEXT NOT NULL REFERENCES cluster_node (node_id) ON UPDATE CASCADE
        );

        -- Kamailio's dispatcher table (version 4, Kamailio 5.6), as a view of cluster_node: one set per node.
        CREATE OR REPLACE VIEW dispatcher AS
            SELECT dispatcher_set AS id, dispatcher_set AS setid, sip_uri::VARCHAR(192) AS destination,
                   0 AS flags, 0 AS priority, ''::VARCHAR(198) AS attrs, node_id::VARCHAR(64) AS description
            FROM cluster_node;

        -- Kamailio checks the versions of the tables its modules read.
        CREATE TABLE IF NOT EXISTS version (
            id SERIAL PRIMARY KEY NOT NULL,
            table_name VARCHAR(32) NOT NULL UNIQUE,
            table_version INTEGER DEFAULT 0 NOT NULL
        );
        INSERT INTO version (table_name, table_version) VALUES ('dispatcher', 4) ON CONFLICT (table_name) DO NOTHING;

        """#

    /// The event bus's table of payloads too large for a NOTIFY (`ClusterEventBus`), pruned by the publishers;
    /// where each node takes forwarded actions (`--cluster-bind`).
    public static let centralino = #"""
        CREATE TABLE IF NOT EXISTS cluster_event_payload (
            id BIGSERIAL PRIMARY KEY,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            body TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS cluster_event_payload_created ON cluster_event_payload (created_at);
        CREATE TABLE IF NOT EXISTS cluster_node_control (
            node_id TEXT PRIMARY KEY REFERENCES cluster_node (node_id) ON DELETE CASCADE ON UPDATE CASCADE,
            address TEXT NOT NULL CHECK (address ~ '^[^ ]{1,200}$')
        );

        """#

    /// The statements of a script, one per element: PostgreSQL's extended protocol runs one at a time.
    /// Statements end with `;` at the end of a line; comment lines and blank lines are left out.
    public static func statements(_ script: String) -> [String] {
        var result: [String] = []
        var current: [Substring] = []
        for line in script.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("--") { continue }
            current.append(line)
            if trimmed.hasSuffix(";") {
                result.append(current.joined(separator: "\n"))
                current = []
            }
        }
        if !current.isEmpty { result.append(current.joined(separator: "\n")) }
        return result
    }
}
