import Foundation
import GRDB

/// The SQLite backend: a GRDB `DatabasePool` on one file (WAL, foreign keys), migrations by GRDB's
/// migrator (its `grdb_migrations` table, so data directories of earlier versions keep working).
final class SQLiteDatabase: StoreDatabase {
    let pool: DatabasePool
    var dialect: SQLDialect { .sqlite }

    init(path: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        // Two processes starting together on a fresh file (serve and apply) must take turns, twice over:
        // opening the pool switches the file to WAL, which SQLite refuses at once with SQLITE_BUSY while
        // another connection is doing the same; and GRDB's migrator checks what is applied,
        // then applies the rest in transactions of their own, so both would apply the same migration.
        // An exclusive lock on a file beside the database, held from the open to the last migration,
        // makes them take turns.
        // The lock file is opened with O_CREAT, never created by FileManager: its atomic write replaces
        // the file by rename, so two openers could each lock a file of their own.
        let lockPath = path + ".migrate-lock"
        let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw StoreSQLError("cannot open \(lockPath): errno \(errno)") }
        defer { _ = Glibc.close(lock) }
        guard flock(lock, LOCK_EX) == 0 else { throw StoreSQLError("cannot lock \(lockPath): errno \(errno)") }
        pool = try DatabasePool(path: path, configuration: configuration)
        var migrator = DatabaseMigrator()
        for migration in StoreSchema.migrations {
            migrator.registerMigration(migration.name) { db in try db.execute(sql: migration.sql(.sqlite)) }
        }
        try migrator.migrate(pool)
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any StoreSession) throws -> T) async throws -> T {
        try await pool.read { db in try body(SQLiteSession(db: db)) }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreSession) throws -> T) async throws -> T {
        try await pool.write { db in try body(SQLiteSession(db: db)) }
    }

    func close() async throws { try pool.close() }
}

/// A GRDB `Database` (inside `read` or `write`) as a `StoreSession`.
struct SQLiteSession: StoreSession {
    let db: Database
    var dialect: SQLDialect { .sqlite }
    var changesCount: Int { db.changesCount }

    // Statements are prepared once per connection and kept (GRDB's statement cache): the store's SQL is
    // a fixed set of texts with `?` placeholders, and the call records' INSERT runs for every call. Keep
    // it a fixed set: SQL whose text varies with the data (an `IN (?, ?, …)` of any length) would grow
    // the cache without bound.

    func execute(sql: String, arguments: StoreArguments) throws {
        try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
    }

    func fetchAll(sql: String, arguments: StoreArguments) throws -> [StoreRow] {
        try Row.fetchAll(db.cachedStatement(sql: sql), arguments: Self.arguments(arguments)).map { row in
            StoreRow(columns: Array(row.columnNames), values: row.databaseValues.map(Self.value))
        }
    }

    func insert(sql: String, arguments: StoreArguments) throws -> Int64 {
        try execute(sql: sql, arguments: arguments)
        return db.lastInsertedRowID
    }

    static func arguments(_ arguments: StoreArguments) -> StatementArguments {
        StatementArguments(
            arguments.map { argument -> DatabaseValue in
                switch argument?.storeValue ?? .null {
                case .null: return .null
                case .integer(let integer): return integer.databaseValue
                case .real(let real): return real.databaseValue
                case .text(let text): return text.databaseValue
                case .blob(let data): return data.databaseValue
                }
            })
    }

    static func value(_ value: DatabaseValue) -> StoreValue {
        switch value.storage {
        case .null: return .null
        case .int64(let integer): return .integer(integer)
        case .double(let real): return .real(real)
        case .string(let text): return .text(text)
        case .blob(let data): return .blob(data)
        }
    }
}
