import NIOConcurrencyHelpers

/// Slows password guessing on the login form: too many failures from one address, or for one
/// login name, within a window lock further attempts out for a while (even with the right password).
final class AdminLoginThrottle: Sendable {
    private struct Record {
        var failures: [ContinuousClock.Instant] = []
        var lockedUntil: ContinuousClock.Instant?
    }

    /// Keys tracked at most; a flood beyond it forgets records that are not locked.
    static let maximumTrackedKeys = 100_000

    private let failures: Int
    private let window: Duration
    private let lockout: Duration
    private let records = NIOLockedValueBox<[String: Record]>([:])

    init(failures: Int, window: Duration, lockout: Duration) {
        self.failures = failures
        self.window = window
        self.lockout = lockout
    }

    /// True when the address or the login name is locked out now.
    func isLockedOut(address: String, login: String, now: ContinuousClock.Instant = .now) -> Bool {
        records.withLockedValue { records in
            [Self.key(address: address), Self.key(login: login)].contains { key in
                guard let until = records[key]?.lockedUntil else { return false }
                if until > now { return true }
                records[key] = nil
                return false
            }
        }
    }

    /// Counts a failure against both the address and the login name.
    func recordFailure(address: String, login: String, now: ContinuousClock.Instant = .now) {
        records.withLockedValue { records in
            if records.count >= Self.maximumTrackedKeys {
                records = records.filter { $0.value.lockedUntil.map { $0 > now } ?? false }
            }
            for key in [Self.key(address: address), Self.key(login: login)] {
                var record = records[key] ?? Record()
                record.failures = record.failures.filter { now - $0 < window } + [now]
                if record.failures.count >= failures {
                    record.lockedUntil = now + lockout
                    record.failures = []
                }
                records[key] = record
            }
        }
    }

    func recordSuccess(address: String, login: String) {
        records.withLockedValue { records in
            records[Self.key(address: address)] = nil
            records[Self.key(login: login)] = nil
        }
    }

    private static func key(address: String) -> String { "a:" + address }
    private static func key(login: String) -> String { "u:" + login.lowercased() }
}
