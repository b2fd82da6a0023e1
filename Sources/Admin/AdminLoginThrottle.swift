import NIOConcurrencyHelpers

/// Slows password guessing on the login form, by the socket's source address (never a header such as
/// X-Forwarded-For, which the client writes):
/// - `failures` failed logins from one address within `window`, for any names, lock that address out;
/// - `failures` for one login name from one address lock that name out from there.
///
/// There is no lock per name alone: five wrong `admin` passwords from anywhere would otherwise lock
/// the system administrator out for everyone. A success forgets only its own name's failures from
/// its address, so one valid login does not wipe the guesses made there at another name.
final class AdminLoginThrottle: Sendable {
    private struct Failure {
        var time: ContinuousClock.Instant
        var login: String
    }

    private struct Record {
        var failures: [Failure] = []
        var lockedUntil: ContinuousClock.Instant?
        var loginsLockedUntil: [String: ContinuousClock.Instant] = [:]

        mutating func expire(now: ContinuousClock.Instant) {
            if let until = lockedUntil, until <= now { lockedUntil = nil }
            loginsLockedUntil = loginsLockedUntil.filter { $0.value > now }
        }

        var isLocked: Bool { lockedUntil != nil || !loginsLockedUntil.isEmpty }
    }

    /// Addresses tracked at most; a flood beyond it forgets records that are not locked.
    static let maximumTrackedAddresses = 100_000

    private let failures: Int
    private let window: Duration
    private let lockout: Duration
    private let records = NIOLockedValueBox<[String: Record]>([:])

    init(failures: Int, window: Duration, lockout: Duration) {
        self.failures = max(1, failures)
        self.window = window
        self.lockout = lockout
    }

    /// True when the address, or this login name from this address, is locked out now.
    func isLockedOut(address: String, login: String, now: ContinuousClock.Instant = .now) -> Bool {
        records.withLockedValue { records in
            guard var record = records[address] else { return false }
            record.expire(now: now)
            records[address] = record
            return record.lockedUntil != nil || record.loginsLockedUntil[login.lowercased()] != nil
        }
    }

    /// Counts a failure of `login` from `address`.
    func recordFailure(address: String, login: String, now: ContinuousClock.Instant = .now) {
        let name = login.lowercased()
        records.withLockedValue { records in
            if records.count >= Self.maximumTrackedAddresses, records[address] == nil {
                records = records.filter { entry in
                    var record = entry.value
                    record.expire(now: now)
                    return record.isLocked
                }
            }
            var record = records[address] ?? Record()
            record.expire(now: now)
            record.failures = record.failures.filter { now - $0.time < window } + [Failure(time: now, login: name)]
            if record.failures.count >= failures {
                record.lockedUntil = now + lockout
                record.failures = []
            } else if record.failures.filter({ $0.login == name }).count >= failures {
                record.loginsLockedUntil[name] = now + lockout
                record.failures.removeAll { $0.login == name }
            }
            records[address] = record
        }
    }

    /// A successful login: forgets that name's failures from that address, and only those.
    func recordSuccess(address: String, login: String) {
        let name = login.lowercased()
        records.withLockedValue { records in
            records[address]?.failures.removeAll { $0.login == name }
        }
    }
}
