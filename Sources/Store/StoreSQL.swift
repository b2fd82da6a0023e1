import Foundation

// The seam between the store's methods and its two backends (SQLite through GRDB, PostgreSQL through
// postgres-nio). Every store method's SQL is written once, with `?` placeholders, against
// `StoreSession`; the few statements that differ between the two dialects ask `SQLDialect`.

/// One SQL value, as both backends store it.
public enum StoreValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
}

/// A Swift value that can be bound to a `?` placeholder.
public protocol StoreArgument: Sendable {
    var storeValue: StoreValue { get }
}

extension Int: StoreArgument { public var storeValue: StoreValue { .integer(Int64(self)) } }
extension Int64: StoreArgument { public var storeValue: StoreValue { .integer(self) } }
extension Double: StoreArgument { public var storeValue: StoreValue { .real(self) } }
extension String: StoreArgument { public var storeValue: StoreValue { .text(self) } }
extension Data: StoreArgument { public var storeValue: StoreValue { .blob(self) } }
/// Booleans are stored as integers 0 and 1 in both backends (the columns are INTEGER).
extension Bool: StoreArgument { public var storeValue: StoreValue { .integer(self ? 1 : 0) } }

/// Arguments of one statement, in placeholder order; nil binds NULL.
public typealias StoreArguments = [(any StoreArgument)?]

/// A Swift value that can be read from a column.
public protocol StoreColumnValue {
    /// nil when `value` cannot be read as this type (NULL included).
    init?(storeValue value: StoreValue)
}

extension Int64: StoreColumnValue {
    public init?(storeValue value: StoreValue) {
        guard case .integer(let integer) = value else { return nil }
        self = integer
    }
}

extension Int: StoreColumnValue {
    public init?(storeValue value: StoreValue) {
        guard case .integer(let integer) = value else { return nil }
        self = Int(integer)
    }
}

extension Double: StoreColumnValue {
    public init?(storeValue value: StoreValue) {
        switch value {
        case .real(let real): self = real
        case .integer(let integer): self = Double(integer)
        default: return nil
        }
    }
}

extension String: StoreColumnValue {
    public init?(storeValue value: StoreValue) {
        guard case .text(let text) = value else { return nil }
        self = text
    }
}

extension Data: StoreColumnValue {
    public init?(storeValue value: StoreValue) {
        switch value {
        case .blob(let data): self = data
        case .text(let text): self = Data(text.utf8)
        default: return nil
        }
    }
}

extension Bool: StoreColumnValue {
    public init?(storeValue value: StoreValue) {
        guard case .integer(let integer) = value else { return nil }
        self = integer != 0
    }
}

/// One result row: columns by name (case-insensitive, the first of equal names wins, as in GRDB).
public struct StoreRow: Sendable {
    public let columns: [String]
    public let values: [StoreValue]

    public init(columns: [String], values: [StoreValue]) {
        self.columns = columns
        self.values = values
    }

    public func value(named name: String) -> StoreValue? {
        guard let index = columns.firstIndex(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) else { return nil }
        return values[index]
    }

    /// A column that must be present and not NULL. A stored value that is NULL or of another type (a
    /// row an operator edited, a column changed by hand) throws `StoreCorruptRow`: reading a row never
    /// stops the process.
    public subscript<Value: StoreColumnValue>(_ name: String) -> Value {
        get throws {
            guard let stored = value(named: name) else { throw StoreCorruptRow(column: name, problem: "is missing") }
            guard let value = Value(storeValue: stored) else {
                throw StoreCorruptRow(column: name, problem: stored == .null ? "is NULL" : "is not \(Value.self): \(stored.kind)")
            }
            return value
        }
    }

    /// A column that may be NULL (or be missing); another type than `Value` throws `StoreCorruptRow`.
    public subscript<Value: StoreColumnValue>(_ name: String) -> Value? {
        get throws {
            guard let stored = value(named: name), stored != .null else { return nil }
            guard let value = Value(storeValue: stored) else {
                throw StoreCorruptRow(column: name, problem: "is not \(Value.self): \(stored.kind)")
            }
            return value
        }
    }
}

/// A row the store read does not have the shape its code expects: a column missing, NULL where a
/// value is required, or of another type (e.g. an operator's hand edit in PostgreSQL or SQLite).
/// The request that read it fails; the process goes on.
public struct StoreCorruptRow: Error, Sendable, Equatable, CustomStringConvertible {
    public let column: String
    public let problem: String

    public var description: String { "stored row: column '\(column)' \(problem)" }
}

extension StoreValue {
    /// The stored type's name, for errors (the value itself is not shown: it may be a secret).
    var kind: String {
        switch self {
        case .null: "NULL"
        case .integer: "an integer"
        case .real: "a real"
        case .text: "text"
        case .blob: "a blob"
        }
    }
}

/// What differs between the SQL of the two backends, by name. Store methods and migrations ask for
/// these instead of keeping two copies of a statement.
public struct SQLDialect: Sendable, Hashable {
    public let name: String
    /// The `id` column of every table.
    public let primaryKey: String
    /// Integer columns (64-bit in both).
    public let integer: String
    /// Floating-point columns (64-bit in both; PostgreSQL's REAL would be 32-bit).
    public let real: String
    public let blob: String
    /// Text compared and made unique without regard to ASCII case (domains, user names).
    public let caselessText: String
    /// LIKE without regard to case (SQLite's LIKE is; PostgreSQL's is not).
    public let caselessLike: String

    public static let sqlite = SQLDialect(
        name: "SQLite", primaryKey: "INTEGER PRIMARY KEY", integer: "INTEGER", real: "REAL", blob: "BLOB",
        caselessText: "TEXT COLLATE NOCASE", caselessLike: "LIKE")
    /// CITEXT is the `citext` extension (trusted: a database owner may create it).
    public static let postgres = SQLDialect(
        name: "PostgreSQL", primaryKey: "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", integer: "BIGINT",
        real: "DOUBLE PRECISION", blob: "BYTEA", caselessText: "CITEXT", caselessLike: "ILIKE")
}

/// One transaction of a backend: statements run in order on one connection, each waited for.
/// Only the closure given to `StoreDatabase.read` or `write` holds one, on a thread that may block.
public protocol StoreSession {
    var dialect: SQLDialect { get }
    /// Rows changed by the last `execute`.
    var changesCount: Int { get }
    func execute(sql: String, arguments: StoreArguments) throws
    func fetchAll(sql: String, arguments: StoreArguments) throws -> [StoreRow]
    /// Runs an INSERT into a table with an `id` column and returns the new row's id.
    func insert(sql: String, arguments: StoreArguments) throws -> Int64
}

extension StoreSession {
    public func execute(sql: String) throws { try execute(sql: sql, arguments: []) }

    public func fetchAll(sql: String) throws -> [StoreRow] { try fetchAll(sql: sql, arguments: []) }

    public func fetchOne(sql: String, arguments: StoreArguments = []) throws -> StoreRow? {
        try fetchAll(sql: sql, arguments: arguments).first
    }

    /// The first column of every row; NULLs are left out.
    public func fetchAll<Value: StoreColumnValue>(_ type: Value.Type, sql: String, arguments: StoreArguments = []) throws -> [Value] {
        try fetchAll(sql: sql, arguments: arguments).compactMap { $0.values.first.flatMap(Value.init(storeValue:)) }
    }

    /// The first column of the first row; nil when there is no row or it is NULL.
    public func fetchOne<Value: StoreColumnValue>(_ type: Value.Type, sql: String, arguments: StoreArguments = []) throws -> Value? {
        try fetchAll(sql: sql, arguments: arguments).first?.values.first.flatMap(Value.init(storeValue:))
    }
}

/// A backend: runs a closure in a read-only or a read-write transaction, off the caller's task.
/// A write transaction commits when the closure returns and rolls back when it throws.
public protocol StoreDatabase: Sendable {
    var dialect: SQLDialect { get }
    func read<T: Sendable>(_ body: @escaping @Sendable (any StoreSession) throws -> T) async throws -> T
    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreSession) throws -> T) async throws -> T
    /// Releases connections and threads; the store is not used after it.
    func close() async throws
}
