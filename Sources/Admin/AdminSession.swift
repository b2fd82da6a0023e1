import Foundation

/// A signed-in browser: the cookie value maps to this in `AdminSessionStore`.
struct AdminSession: Sendable {
    let id: String
    let adminUserID: Int64
    /// The token every form of this session must echo in its `_csrf` field.
    let csrfToken: String
    let createdAt: ContinuousClock.Instant
    var lastSeen: ContinuousClock.Instant
    /// A one-shot message shown on the next page (after a redirect).
    var flash: String?
}
