import NIOConcurrencyHelpers
import NIOCore

/// Brute-force protection (AMI logins, SIP digests): an address with too many failures in a window
/// is refused for a while, whatever it sends. Other addresses are not affected.
public final class LoginGuard: Sendable {
    public struct Policy: Sendable {
        public var failures = 5
        public var window: TimeAmount = .seconds(60)
        public var lockout: TimeAmount = .minutes(5)

        public init() {}
    }

    private struct Record {
        var failures: [NIODeadline] = []
        var lockedUntil: NIODeadline?
    }

    /// Addresses tracked at most; the oldest records are forgotten first when a flood exceeds it.
    static let maximumTrackedAddresses = 100_000

    private let policy: Policy
    private let records = NIOLockedValueBox<[String: Record]>([:])

    public init(policy: Policy) {
        self.policy = policy
    }

    public func isLockedOut(_ address: String, now: NIODeadline) -> Bool {
        records.withLockedValue { records in
            guard let until = records[address]?.lockedUntil else { return false }
            if until > now { return true }
            records[address] = nil
            return false
        }
    }

    /// Records a failed login; returns true when this failure locks the address out.
    @discardableResult
    public func recordFailure(_ address: String, now: NIODeadline) -> Bool {
        records.withLockedValue { records in
            if records.count >= Self.maximumTrackedAddresses, records[address] == nil {
                records = records.filter { $0.value.lockedUntil.map { $0 > now } ?? false }
            }
            var record = records[address] ?? Record()
            record.failures = record.failures.filter { now - $0 < policy.window } + [now]
            var locked = false
            if record.failures.count >= policy.failures {
                record.lockedUntil = now + policy.lockout
                record.failures = []
                locked = true
            }
            records[address] = record
            return locked
        }
    }

    public func recordSuccess(_ address: String) {
        records.withLockedValue { _ = $0.removeValue(forKey: address) }
    }
}
