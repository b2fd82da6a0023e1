import Foundation
import NIOConcurrencyHelpers

/// Server-side sessions of the panel, in memory: a restart signs everybody out.
/// The cookie holds a random 256-bit identifier, nothing else.
final class AdminSessionStore: Sendable {
    /// Sessions kept at most; the oldest are dropped first.
    static let maximumSessions = 10_000

    private let sessions = NIOLockedValueBox<[String: AdminSession]>([:])
    private let idleTimeout: Duration
    private let lifetime: Duration

    init(idleTimeout: Duration, lifetime: Duration) {
        self.idleTimeout = idleTimeout
        self.lifetime = lifetime
    }

    /// Starts a session for an administrator who just logged in.
    func create(adminUserID: Int64, now: ContinuousClock.Instant = .now) -> AdminSession {
        let session = AdminSession(
            id: AdminSecrets.randomToken(), adminUserID: adminUserID, csrfToken: AdminSecrets.randomToken(),
            createdAt: now, lastSeen: now, flash: nil)
        sessions.withLockedValue { sessions in
            if sessions.count >= Self.maximumSessions, let oldest = sessions.values.min(by: { $0.lastSeen < $1.lastSeen }) {
                sessions[oldest.id] = nil
            }
            sessions[session.id] = session
        }
        return session
    }

    /// The live session for a cookie value, touched; nil when unknown or expired.
    func session(_ id: String, now: ContinuousClock.Instant = .now) -> AdminSession? {
        sessions.withLockedValue { sessions in
            guard var session = sessions[id] else { return nil }
            guard now - session.lastSeen < idleTimeout, now - session.createdAt < lifetime else {
                sessions[id] = nil
                return nil
            }
            session.lastSeen = now
            sessions[id] = session
            return session
        }
    }

    /// Takes the one-shot message of a session.
    func takeFlash(_ id: String) -> String? {
        sessions.withLockedValue { sessions in
            let flash = sessions[id]?.flash
            sessions[id]?.flash = nil
            return flash
        }
    }

    func setFlash(_ message: String, for id: String) {
        sessions.withLockedValue { $0[id]?.flash = message }
    }

    func remove(_ id: String) {
        sessions.withLockedValue { _ = $0.removeValue(forKey: id) }
    }

    /// Signs an administrator out everywhere (deleted or password changed).
    func removeAll(adminUserID: Int64) {
        sessions.withLockedValue { sessions in sessions = sessions.filter { $0.value.adminUserID != adminUserID } }
    }
}
