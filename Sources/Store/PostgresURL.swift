import Foundation

/// Where the PostgreSQL store is: `postgres://user:password@host:port/database` (or `postgresql://`).
///
/// The password is never part of `description` (what logs and banners print).
public struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let user: String
    public let password: String?
    public let database: String

    public struct Invalid: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "--database: \(reason) (expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE)" }
    }

    public init(host: String, port: Int = 5432, user: String, password: String?, database: String) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// Parses the URL; the error never repeats the text (it may hold a password).
    public init(parsing text: String) throws {
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") else {
            throw Invalid(reason: "only postgres:// and postgresql:// URLs are supported")
        }
        guard let components = URLComponents(string: text) else { throw Invalid(reason: "not a URL") }
        guard let host = components.host, !host.isEmpty else { throw Invalid(reason: "no host") }
        guard let user = components.user, !user.isEmpty else { throw Invalid(reason: "no user") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw Invalid(reason: "no database name (the path)") }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw Invalid(reason: "port out of range") }
        guard components.query == nil, components.fragment == nil else { throw Invalid(reason: "query parameters are not supported") }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = port
        self.user = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
    }

    /// The URL without its password.
    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "postgres://\(user)@\(host):\(port)/\(database)"
    }
}
