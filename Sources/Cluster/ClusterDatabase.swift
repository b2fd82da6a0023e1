import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Where the cluster's PostgreSQL is (`--cluster-database`, else `--database`, parsed as the store's
/// `PostgresURL`, TLS included), and how a node connects to it: each loop of the cluster (membership,
/// publisher, listener) holds one connection of its own and makes it again after an error, with backoff.
public struct ClusterDatabase: Sendable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// TLS toward the server (the URL's `sslmode`): `.disable` without one.
    public var tls: PostgresConnection.Configuration.TLS

    /// True for the URLs a cluster database may have (`postgres://`, `postgresql://`).
    public static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    public init(
        host: String, port: Int = 5432, username: String, password: String?, database: String,
        tls: PostgresConnection.Configuration.TLS = .disable
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// Connection attempts give up after this long.
    public static let connectTimeout = TimeAmount.seconds(5)

    func connect(id: Int, logger: Logger) async throws -> PostgresConnection {
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = Self.connectTimeout
        return try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
    }
}

/// Waits between reconnection attempts: 250 ms doubling up to 5 s, back to the start after a success.
struct ClusterBackoff {
    static let first = Duration.milliseconds(250)
    static let longest = Duration.seconds(5)
    private(set) var next = first

    mutating func failed() -> Duration {
        defer { next = min(next * 2, Self.longest) }
        return next
    }

    mutating func succeeded() { next = Self.first }
}

/// A connection of the cluster was closed under it (the database restarted or went away).
struct ClusterDisconnected: Error {}

extension PostgresConnection {
    /// `query`, refused at once when the connection is closed already: postgres-nio 1.33 would wait
    /// forever for the result of a query written to a closed channel.
    @discardableResult
    func run(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        guard !isClosed else { throw ClusterDisconnected() }
        return try await self.query(query, logger: logger)
    }
}
