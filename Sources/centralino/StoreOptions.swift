import Foundation
import Store

/// `--data-dir`, `--database` and `--database-pool-size`, shared by `serve` and `apply`.
enum StoreOptions {
    /// The PostgreSQL URL of `--database` (env CENTRALINO_DATABASE), or nil for the SQLite store in the data directory.
    static func databaseURL(_ flag: String?) throws -> PostgresURL? {
        let text = EnvironmentOption.resolve(flag, "CENTRALINO_DATABASE", default: "")
        guard !text.isEmpty else { return nil }
        do {
            let url = try PostgresURL(parsing: text)
            _ = try url.connectionTLS()  // a bad sslrootcert fails here, before anything starts
            return url
        } catch {
            throw CommandFailure("\(error)")
        }
    }

    /// A refusal of the server made clearer: pg_hba.conf accepts only TLS (`hostssl`) and the URL has
    /// no sslmode.
    static func explained(_ error: PostgresStoreError, url: PostgresURL) -> String {
        guard url.tlsMode == .disable, error.sqlState == "28000", error.message.contains("no encryption") else {
            return "\(error)"
        }
        return "\(error) (the server accepts this user only over TLS: add ?sslmode=require, or verify-full, to the URL)"
    }

    static func dataDirectory(_ flag: String?) -> URL {
        URL(fileURLWithPath: EnvironmentOption.resolve(flag, "CENTRALINO_DATA_DIR", default: "./centralino-data"))
    }

    static func poolSize(_ flag: Int?) throws -> Int {
        let size = try EnvironmentOption.resolveInt(flag, "CENTRALINO_DATABASE_POOL_SIZE", default: 4)
        guard (1...64).contains(size) else { throw CommandFailure("--database-pool-size \(size): expected 1 to 64") }
        return size
    }

    /// Opens the store: PostgreSQL when `database` is set, else SQLite in `dataDirectory` (which holds the key file
    /// either way). `nodeID` names the node whose registrations this process writes (`--node-id`; default "local").
    static func open(dataDirectory: URL, database: PostgresURL?, poolSize: Int, nodeID: String? = nil) async throws -> CentralinoStore {
        let node = nodeID.flatMap { $0.isEmpty ? nil : $0 } ?? CentralinoStore.defaultNodeID
        do {
            return try await CentralinoStore.open(dataDirectory: dataDirectory, postgres: database, poolSize: poolSize, nodeID: node)
        } catch let error as PostgresStoreError {
            throw CommandFailure(database.map { explained(error, url: $0) } ?? "\(error)")
        } catch let error as PostgresURL.TLSSetupError {
            throw CommandFailure("\(error)")
        } catch let error as SecretBox.KeyFileError {
            throw CommandFailure("\(error)")
        }
    }
}
