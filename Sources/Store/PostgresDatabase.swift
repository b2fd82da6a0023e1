import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresNIO

/// The PostgreSQL backend (`--database postgres://...`).
///
/// Each transaction runs its closure on a thread of its own pool (never on an event loop, never on a
/// Swift concurrency thread), over one connection, waiting for each statement. There are as many
/// threads as connections (`poolSize`, `--database-pool-size`), so the process never opens more.
/// Write transactions take one advisory lock first (`writeLockKey`): writes are serialized as SQLite
/// serializes them, across every process on the database, so each store method keeps the semantics it
/// was written for (check, then insert). A connection that failed is closed and replaced on next use.
final class PostgresDatabase: StoreDatabase {
    let url: PostgresURL
    let threads: NIOThreadPool
    let connections: Connections
    var dialect: SQLDialect { .postgres }

    /// The advisory lock a write transaction holds ("centralino writes").
    static let writeLockKey: Int64 = 0x6365_6E74_7772_6974
    /// The advisory lock the migrator holds ("centralino migrate").
    static let migrationLockKey: Int64 = 0x6365_6E74_6D69_6772
    /// A statement running longer than this is cancelled by the server.
    static let statementTimeout = "30s"

    init(url: PostgresURL, poolSize: Int, logger: Logger = Logger(label: "centralino.store")) throws {
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: try url.connectionTLS())
        self.url = url
        threads = NIOThreadPool(numberOfThreads: poolSize)
        threads.start()
        configuration.options.connectTimeout = .seconds(10)
        connections = Connections(configuration: configuration, label: url.description, logger: logger)
    }

    /// Brings the schema up to date: the same migrations, by name, as the SQLite backend, recorded in
    /// `store_migrations`. Each runs in its own transaction under an advisory lock, so nodes starting
    /// together apply each once.
    func migrate() async throws {
        try await threads.runIfActive { [connections] in
            try connections.transaction(write: true) { session in
                try session.execute(sql: "SELECT pg_advisory_xact_lock(?)", arguments: [Self.migrationLockKey])
                try session.execute(sql: "CREATE EXTENSION IF NOT EXISTS citext")
                try session.execute(
                    sql: "CREATE TABLE IF NOT EXISTS store_migrations (name TEXT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)")
            }
            for migration in StoreSchema.migrations {
                try connections.transaction(write: true) { session in
                    try session.execute(sql: "SELECT pg_advisory_xact_lock(?)", arguments: [Self.migrationLockKey])
                    let applied = try session.fetchOne(Int64.self, sql: "SELECT 1 FROM store_migrations WHERE name = ?", arguments: [migration.name])
                    guard applied == nil else { return }
                    for statement in PostgresSQL.statements(migration.sql(.postgres)) {
                        try session.execute(sql: statement)
                    }
                    try session.execute(
                        sql: "INSERT INTO store_migrations (name, applied_at) VALUES (?, ?)",
                        arguments: [migration.name, Date().timeIntervalSince1970])
                }
            }
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any StoreSession) throws -> T) async throws -> T {
        try await threads.runIfActive { [connections] in try connections.transaction(write: false, body) }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreSession) throws -> T) async throws -> T {
        try await threads.runIfActive { [connections] in
            try connections.transaction(write: true) { session in
                try session.execute(sql: "SELECT pg_advisory_xact_lock(?)", arguments: [Self.writeLockKey])
                return try body(session)
            }
        }
    }

    func close() async throws {
        try await threads.runIfActive { [connections] in connections.closeAll() }
        try await threads.shutdownGracefully()
    }

    /// The idle connections; a transaction takes one or opens one. At most one per thread is ever in use.
    final class Connections: Sendable {
        let configuration: PostgresConnection.Configuration
        /// The URL without its password, for errors.
        let label: String
        let logger: Logger
        let idle = NIOLockedValueBox<[PostgresConnection]>([])
        let nextID = ManagedAtomicCounter()

        init(configuration: PostgresConnection.Configuration, label: String, logger: Logger) {
            self.configuration = configuration
            self.label = label
            self.logger = logger
        }

        /// Runs `body` in a transaction on a connection (blocking this thread). READ COMMITTED for
        /// writes (they are serialized by the advisory lock), a read-only snapshot for reads.
        ///
        /// A connection the server closed while it was idle in the pool (a restart, a failover,
        /// `pg_terminate_backend`) fails its BEGIN, which ran nothing: the idle connections are dropped
        /// and the transaction is tried once more on a new connection, so the first call after a
        /// restart works.
        func transaction<T>(write: Bool, _ body: (any StoreSession) throws -> T) throws -> T {
            var retried = false
            while true {
                let connection = try take()
                let session = PostgresSession(connection: connection, logger: logger)
                do {
                    try session.execute(sql: write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                } catch {
                    discard(connection)
                    if !retried, session.connectionLost || connection.isClosed {
                        // The server likely closed the other idle connections too: they go as well.
                        for idle in idle.withLockedValue({ idle -> [PostgresConnection] in
                            defer { idle = [] }
                            return idle
                        }) {
                            discard(idle)
                        }
                        retried = true
                        continue
                    }
                    throw error
                }
                do {
                    let value = try body(session)
                    try session.execute(sql: "COMMIT")
                    give(connection)
                    return value
                } catch {
                    if !session.connectionLost, !connection.isClosed, (try? session.execute(sql: "ROLLBACK")) != nil {
                        give(connection)
                    } else {
                        discard(connection)
                    }
                    throw error
                }
            }
        }

        /// Closes a connection that is not given back (closing one that is closed already is harmless).
        func discard(_ connection: PostgresConnection) {
            let closing: EventLoopFuture<Void> = connection.close()
            closing.whenComplete { _ in withExtendedLifetime(connection) {} }
        }

        func take() throws -> PostgresConnection {
            while let connection = idle.withLockedValue({ $0.popLast() }) {
                if !connection.isClosed { return connection }
            }
            do {
                let connection = try PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: nextID.next(), logger: logger
                ).wait()
                do {
                    // Through the session: a connection closed right after it opened fails here instead of hanging.
                    try PostgresSession(connection: connection, logger: logger).execute(
                        sql: "SET statement_timeout = '\(PostgresDatabase.statementTimeout)'")
                } catch {
                    discard(connection)
                    throw error
                }
                return connection
            } catch {
                throw PostgresStoreError(error, doing: "connecting to \(label)")
            }
        }

        func give(_ connection: PostgresConnection) {
            idle.withLockedValue { $0.append(connection) }
        }

        /// postgres-nio asserts that a connection is closed before it goes away: a store dropped
        /// without `close()` (a command ending) closes its idle connections, each kept until closed.
        deinit {
            for connection in idle.withLockedValue({ $0 }) where !connection.isClosed {
                let closing: EventLoopFuture<Void> = connection.close()
                closing.whenComplete { _ in withExtendedLifetime(connection) {} }
            }
        }

        func closeAll() {
            for connection in idle.withLockedValue({ idle -> [PostgresConnection] in
                defer { idle = [] }
                return idle
            }) {
                let closing: EventLoopFuture<Void> = connection.close()
                try? closing.wait()
            }
        }
    }

    /// Connection ids for postgres-nio's log metadata.
    final class ManagedAtomicCounter: Sendable {
        let value = NIOLockedValueBox(0)
        func next() -> Int {
            value.withLockedValue {
                $0 += 1
                return $0
            }
        }
    }
}

/// A failure of the PostgreSQL backend, with the server's message (postgres-nio's own description
/// is deliberately generic). `sqlState` is PostgreSQL's error code (23505: a unique violation).
public struct PostgresStoreError: Error, CustomStringConvertible {
    public let message: String
    public let sqlState: String?

    init(_ error: any Error, doing what: String) {
        if let error = error as? PSQLError {
            sqlState = error.serverInfo?[.sqlState]
            let server = error.serverInfo?[.message].map { ": \($0)" } ?? ""
            // Below a connection error: the socket's or TLS's own (a refused port, an untrusted certificate).
            let underlying = error.underlying.map { " (\($0))" } ?? ""
            message = "PostgreSQL \(what): \(error.code)\(server)\(underlying)"
        } else if let error = error as? PostgresStoreError {
            self = error
            return
        } else {
            sqlState = nil
            message = "PostgreSQL \(what): \(error)"
        }
    }

    public var description: String { message }
}

/// One transaction's statements on one connection.
///
/// postgres-nio 1.33 never completes a query written to a connection that has closed (the server
/// restarted or ended the session): a statement on a closed connection throws at once, and every
/// wait is bounded by `queryTimeout` in case the connection closes between that check and the write.
/// Either way the session is marked `connectionLost` and its connection is not used again.
final class PostgresSession: StoreSession {
    let connection: PostgresConnection
    let logger: Logger
    private(set) var changesCount = 0
    /// A statement found the connection closed, or got no answer within `queryTimeout`.
    private(set) var connectionLost = false
    var dialect: SQLDialect { .postgres }

    /// Longest wait for one statement's result: the server cancels any statement after
    /// `PostgresDatabase.statementTimeout` (30 s), so only a lost connection waits this long.
    static let queryTimeout = TimeAmount.seconds(45)

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    func run(_ sql: String, _ arguments: StoreArguments) throws -> PostgresQueryResult {
        var bindings = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument?.storeValue ?? .null {
            case .null: bindings.appendNull()
            case .integer(let integer): bindings.append(integer)
            case .real(let real): bindings.append(real)
            // Text goes untyped, as a literal would: the server gives it the type of what it meets
            // (a CITEXT column compares without regard to case; a TEXT parameter would not).
            case .text(let text): bindings.append(UntypedText(text: text))
            case .blob(let data): bindings.append(ByteBuffer(bytes: data))
            }
        }
        let doing = "running '\(sql.prefix(120))'"
        guard !connection.isClosed else {
            connectionLost = true
            throw PostgresStoreError(StoreSQLError("the connection is closed"), doing: doing)
        }
        let query = PostgresQuery(unsafeSQL: PostgresSQL.numberingPlaceholders(sql), binds: bindings)
        do {
            return try Self.waitBounded(connection.query(query, logger: logger), on: connection.eventLoop, timeout: Self.queryTimeout)
        } catch let error as PostgresQueryTimeout {
            connectionLost = true
            throw PostgresStoreError(error, doing: doing)
        } catch {
            if connection.isClosed || Self.endsTheConnection(error) { connectionLost = true }
            throw PostgresStoreError(error, doing: doing)
        }
    }

    /// A failure after which the connection is gone: closed by either side, or the server's class 57P
    /// (its session was terminated: `pg_terminate_backend`, a shutdown, a restart), which it sends
    /// just before it closes the socket.
    static func endsTheConnection(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return false }
        return [.serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .connectionError].contains(error.code)
            || error.serverInfo?[.sqlState]?.hasPrefix("57P") == true
    }

    /// `future`'s value, or `PostgresQueryTimeout` after `timeout` (blocking this thread, never an event loop's).
    static func waitBounded<Value: Sendable>(_ future: EventLoopFuture<Value>, on loop: any EventLoop, timeout: TimeAmount) throws -> Value {
        let promise = loop.makePromise(of: Value.self)
        let settled = NIOLockedValueBox(false)
        func settle(_ result: Result<Value, any Error>) {
            guard
                settled.withLockedValue({ done in
                    defer { done = true }
                    return !done
                })
            else { return }
            promise.completeWith(result)
        }
        let timer = loop.scheduleTask(in: timeout) { settle(.failure(PostgresQueryTimeout())) }
        future.whenComplete { result in
            timer.cancel()
            settle(result)
        }
        return try promise.futureResult.wait()
    }

    func execute(sql: String, arguments: StoreArguments) throws {
        changesCount = try run(sql, arguments).metadata.rows ?? 0
    }

    func fetchAll(sql: String, arguments: StoreArguments) throws -> [StoreRow] {
        let result = try run(sql, arguments)
        return try result.rows.map { row in
            var columns: [String] = []
            var values: [StoreValue] = []
            for cell in row {
                columns.append(cell.columnName)
                values.append(try Self.value(cell))
            }
            return StoreRow(columns: columns, values: values)
        }
    }

    func insert(sql: String, arguments: StoreArguments) throws -> Int64 {
        guard let id = try fetchOne(Int64.self, sql: sql + " RETURNING id", arguments: arguments) else {
            throw PostgresStoreError(StoreSQLError("INSERT returned no id"), doing: "inserting")
        }
        return id
    }

    static func value(_ cell: PostgresCell) throws -> StoreValue {
        guard var bytes = cell.bytes else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .bytea: return .blob(Data(bytes.readableBytesView))
        default:
            // text, varchar, name, and CITEXT (an extension's type, no fixed OID): UTF-8 in both formats.
            return .text(bytes.readString(length: bytes.readableBytes) ?? "")
        }
    }
}

/// A string parameter of unspecified type (OID 0) in text format.
struct UntypedText: PostgresNonThrowingEncodable {
    let text: String
    static var psqlType: PostgresDataType { .null }
    static var psqlFormat: PostgresFormat { .text }
    func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeString(text)
    }
}

/// A statement got no answer within `PostgresSession.queryTimeout`.
struct PostgresQueryTimeout: Error, CustomStringConvertible {
    var description: String { "no answer within \(PostgresSession.queryTimeout.nanoseconds / 1_000_000_000) s: the connection is presumed lost" }
}

struct StoreSQLError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The two rewrites the PostgreSQL backend makes to the store's SQL text.
enum PostgresSQL {
    /// `?` placeholders numbered `$1`, `$2`... in order; a `?` inside a quoted literal or identifier
    /// (`'...'`, `"..."`, doubled quotes included) or a `--` comment is left alone.
    static func numberingPlaceholders(_ sql: String) -> String {
        var result = ""
        var number = 0
        scan(sql) { character, quoted in
            if character == "?" && !quoted {
                number += 1
                result += "$\(number)"
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// A script split at the `;` outside literals, empty statements left out (migrations; the
    /// extended protocol runs one statement at a time).
    static func statements(_ script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        scan(script) { character, quoted in
            if character == ";" && !quoted {
                statements.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        statements.append(current)
        return statements.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// Calls `visit` for every character, telling whether it is inside a literal, an identifier or a comment.
    static func scan(_ sql: String, _ visit: (Character, Bool) -> Void) {
        var quote: Character?
        var inComment = false
        var previous: Character?
        for character in sql {
            if inComment {
                visit(character, true)
                if character == "\n" { inComment = false }
            } else if let open = quote {
                visit(character, true)
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
                visit(character, true)
            } else if character == "-" && previous == "-" {
                inComment = true
                visit(character, true)
            } else {
                visit(character, false)
            }
            previous = character
        }
    }
}
