/// The system administrator's login, reported once when `serve` created or reset it.
public struct AdminInitialCredentials: Sendable, Hashable {
    public var username: String
    /// The password: generated (print it once) or the one given by `--admin-password`.
    public var password: String
    /// True when Centralino made the password up, so it must be shown to the operator now.
    public var generated: Bool

    /// The line `serve` prints (the password only when it was generated).
    public func bannerLine(panelURL: String) -> String {
        if generated {
            return "admin panel \(panelURL): log in as '\(username)' with password '\(password)' (shown only this once; reset with --admin-password)"
        }
        return "admin panel \(panelURL): log in as '\(username)' with the password given by --admin-password / CENTRALINO_ADMIN_PASSWORD"
    }
}
