import Foundation
import NIOSSL
import PostgresNIO

/// Where the PostgreSQL store is: `postgres://user:password@host:port/database` (or `postgresql://`),
/// optionally with `?sslmode=...` and `&sslrootcert=FILE` as libpq reads them.
///
/// The password is never part of `description` (what logs and banners print).
public struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let user: String
    public let password: String?
    public let database: String
    /// TLS toward the server (`sslmode`); `.disable` without one, as before TLS was supported.
    public let tlsMode: TLSMode
    /// PEM file of the certificates that sign the server's (`sslrootcert`); nil: the system's roots.
    public let rootCertificateFile: String?

    /// libpq's `sslmode` values but `allow` (plain first, TLS only when refused).
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        /// No TLS (the default here; libpq's default is `prefer`).
        case disable
        /// TLS when the server offers it, else plain; the certificate is not checked.
        case prefer
        /// TLS or no connection; the certificate is not checked (encryption, no authentication).
        case require
        /// TLS, the certificate signed by `sslrootcert` (or a system root); any host name.
        case verifyCA = "verify-ca"
        /// TLS, the certificate signed by `sslrootcert` (or a system root) and naming the URL's host.
        case verifyFull = "verify-full"
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let reason: String
        public var description: String {
            "--database: \(reason) (expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE[&sslrootcert=FILE]])"
        }
    }

    public init(
        host: String, port: Int = 5432, user: String, password: String?, database: String, tlsMode: TLSMode = .disable,
        rootCertificateFile: String? = nil
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tlsMode = tlsMode
        self.rootCertificateFile = rootCertificateFile
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
        guard components.fragment == nil else { throw Invalid(reason: "a fragment (#) is not supported") }
        var mode = TLSMode.disable
        var rootFile: String?
        var seen: Set<String> = []
        for item in components.queryItems ?? [] {
            guard seen.insert(item.name).inserted else { throw Invalid(reason: "\(item.name) given twice") }
            switch item.name {
            case "sslmode":
                guard let value = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw Invalid(reason: "sslmode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                mode = value
            case "sslrootcert":
                guard let value = item.value, !value.isEmpty else { throw Invalid(reason: "sslrootcert needs a file") }
                rootFile = value
            default:
                throw Invalid(reason: "only the query parameters sslmode and sslrootcert are supported")
            }
        }
        if rootFile != nil, mode != .verifyCA, mode != .verifyFull {
            throw Invalid(reason: "sslrootcert is used with sslmode=verify-ca or verify-full only")
        }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = port
        self.user = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        self.tlsMode = mode
        self.rootCertificateFile = rootFile
    }

    /// The URL without its password.
    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        var text = "postgres://\(user)@\(host):\(port)/\(database)"
        if tlsMode != .disable { text += "?sslmode=\(tlsMode.rawValue)" }
        if let rootCertificateFile { text += "&sslrootcert=\(rootCertificateFile)" }
        return text
    }

    /// Why the TLS settings cannot be used (the root certificate file unreadable or not PEM).
    public struct TLSSetupError: Error, CustomStringConvertible {
        public let description: String
    }

    /// postgres-nio's TLS setting for this URL: TLS 1.2 at least; `require` and `prefer` check no
    /// certificate, `verify-ca` the chain, `verify-full` the chain and the host (a name, or the address
    /// for an IP host). The root certificates are read now, so a bad file fails at startup.
    public func connectionTLS() throws -> PostgresConnection.Configuration.TLS {
        guard tlsMode != .disable else { return .disable }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        switch tlsMode {
        case .disable, .prefer, .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        if let rootCertificateFile {
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(rootCertificateFile)
            } catch {
                throw TLSSetupError(description: "--database: sslrootcert \(rootCertificateFile): cannot read PEM certificates (\(error))")
            }
            guard !certificates.isEmpty else {
                throw TLSSetupError(description: "--database: sslrootcert \(rootCertificateFile): no certificate in the file")
            }
            configuration.trustRoots = .certificates(certificates)
        }
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSSetupError(description: "--database: TLS setup failed (\(error))")
        }
        return tlsMode == .prefer ? .prefer(context) : .require(context)
    }
}
