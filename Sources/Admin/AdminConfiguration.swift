/// Tunables of the admin panel and REST API.
public struct AdminConfiguration: Sendable {
    /// When the session cookie carries the `Secure` attribute.
    public enum SecureCookies: Sendable {
        /// Always: the panel is reached over HTTPS (e.g. behind a TLS proxy).
        case always
        /// Never (only for plain-HTTP test setups).
        case never
        /// When the request came over HTTPS (`X-Forwarded-Proto: https`) or to a loopback host,
        /// which browsers treat as a secure context. A plain-HTTP LAN address then still works.
        case automatic
    }

    public var host: String
    public var port: Int
    /// bcrypt cost of new password hashes (4-31; each step doubles the work).
    public var bcryptCost: UInt8 = 12
    public var secureCookies: SecureCookies = .automatic
    /// A session ends after this long without a request…
    public var sessionIdleTimeout: Duration = .seconds(3600)
    /// …and at the latest this long after login.
    public var sessionLifetime: Duration = .seconds(12 * 3600)
    /// Failed logins (per source address, and per login name) that lock logins out.
    public var loginFailures = 5
    /// Seconds within which those failures count.
    public var loginWindow: Duration = .seconds(300)
    /// How long the lockout lasts.
    public var loginLockout: Duration = .seconds(300)
    /// Security events the dashboard lists.
    public var dashboardEventLimit = 20
    /// Largest request body (form or JSON), bytes; larger ones get 413 (`--http-max-body-bytes`).
    public var maximumBodySize = BodyLimitMiddleware.defaultMaximumBodySize
    /// The largest `maximumBodySize` accepted.
    public static let maximumBodySizeCeiling = BodyLimitMiddleware.maximumConfigurableBodySize
    /// Most rows one CSV export of the call history holds, the newest (`--cdr-export-max-rows`).
    public var cdrExportMaximumRows = CDRCSV.defaultMaximumRows
    /// The largest `cdrExportMaximumRows` accepted.
    public static let cdrExportMaximumRowsCeiling = CDRCSV.maximumRowsCeiling

    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }
}
