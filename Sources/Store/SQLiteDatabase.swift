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
        pool = try DatabasePool(path: path, configuration: configuration)
        var migrator = DatabaseMigrator()
        for migration in StoreSchema.migrations {
            migrator.registerMigration(migration.name) { db in try db.execute(sql: migration.sql(.sqlite)) }
        }
        // GRDB's migrator checks what is applied, then applies the rest in transactions of their own: two
        // processes starting together on a fresh file (serve and apply) would both apply the same migration.
        // An exclusive lock on a file beside the database makes them take turns.
        let lockPath = path + ".migrate-lock"
        if !FileManager.default.fileExists(atPath: lockPath) {
            _ = FileManager.default.createFile(atPath: lockPath, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        let lock = try FileHandle(forUpdating: URL(fileURLWithPath: lockPath))
        defer { try? lock.close() }
        guard flock(lock.fileDescriptor, LOCK_EX) == 0 else { throw StoreSQLError("cannot lock \(lockPath): errno \(errno)") }
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

    func execute(sql: String, arguments: StoreArguments) throws {
        try db.execute(sql: sql, arguments: Self.arguments(arguments))
    }

    func fetchAll(sql: String, arguments: StoreArguments) throws -> [StoreRow] {
        try Row.fetchAll(db, sql: sql, arguments: Self.arguments(arguments)).map { row in
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
