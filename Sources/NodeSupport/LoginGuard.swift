import NIOConcurrencyHelpers
import NIOCore

/// Brute-force protection (AMI logins, SIP digests), counted per source address and per
/// (address, account):
/// - `failures` failed logins from one address within `window`, for any accounts, lock the whole
///   address out for `lockout` (the meaning the lockout flags always had);
/// - `accountFailures` failed logins for one account from one address lock that account out from
///   that address (other accounts from the same address, e.g. phones behind one NAT, go on).
///
/// A success forgets only the failures of its own account from that address: one tenant's valid
/// login never wipes the failures another account collected there (otherwise guessing a neighbour's
/// password while logging in with one's own every few tries is never locked out).
public final class LoginGuard: Sendable {
    public struct Policy: Sendable {
        /// Failures from one address (any accounts) within `window` that lock the address out.
        public var failures = 5
        /// Failures for one account from one address within `window` that lock that account out there;
        /// no higher than `failures` (the address lock would come first).
        public var accountFailures = 5
        public var window: TimeAmount = .seconds(60)
        public var lockout: TimeAmount = .minutes(5)

        public init() {}
    }

    /// What a failure locked.
    public enum Lockout: Sendable, Equatable {
        /// The whole address (every account).
        case address
        /// One account from that address.
        case account
    }

    private struct Failure {
        var time: NIODeadline
        var account: String
    }

    private struct Record {
        var failures: [Failure] = []
        var lockedUntil: NIODeadline?
        var accountsLockedUntil: [String: NIODeadline] = [:]

        var isEmpty: Bool { failures.isEmpty && lockedUntil == nil && accountsLockedUntil.isEmpty }
    }

    /// Addresses tracked at most; records without a live lock are forgotten first when a flood exceeds it.
    static let maximumTrackedAddresses = 100_000

    private let policy: Policy
    private let records = NIOLockedValueBox<[String: Record]>([:])

    public init(policy: Policy) {
        self.policy = policy
    }

    /// Whether `account` may not log in from `address` now (the address or that account there is locked).
    public func isLockedOut(_ address: String, account: String, now: NIODeadline) -> Bool {
        records.withLockedValue { records in
            guard var record = records[address] else { return false }
            Self.expire(&record, now: now)
            let locked = record.lockedUntil != nil || record.accountsLockedUntil[account] != nil
            records[address] = record.isEmpty ? nil : record
            return locked
        }
    }

    /// Records a failed login of `account` from `address`; returns what this failure locked, if anything.
    @discardableResult
    public func recordFailure(_ address: String, account: String, now: NIODeadline) -> Lockout? {
        records.withLockedValue { records in
            if records.count >= Self.maximumTrackedAddresses, records[address] == nil {
                records = records.filter { entry in
                    var record = entry.value
                    Self.expire(&record, now: now)
                    return record.lockedUntil != nil || !record.accountsLockedUntil.isEmpty
                }
            }
            var record = records[address] ?? Record()
            Self.expire(&record, now: now)
            record.failures = record.failures.filter { now - $0.time < policy.window } + [Failure(time: now, account: account)]
            var locked: Lockout?
            if record.failures.count >= policy.failures {
                record.lockedUntil = now + policy.lockout
                record.failures = []
                locked = .address
            } else if record.failures.filter({ $0.account == account }).count >= policy.accountFailures {
                record.accountsLockedUntil[account] = now + policy.lockout
                record.failures.removeAll { $0.account == account }
                locked = .account
            }
            records[address] = record
            return locked
        }
    }

    /// A successful login of `account` from `address`: forgets that account's failures there, and only those.
    public func recordSuccess(_ address: String, account: String) {
        records.withLockedValue { records in
            guard var record = records[address] else { return }
            record.failures.removeAll { $0.account == account }
            records[address] = record.isEmpty ? nil : record
        }
    }

    private static func expire(_ record: inout Record, now: NIODeadline) {
        if let until = record.lockedUntil, until <= now { record.lockedUntil = nil }
        record.accountsLockedUntil = record.accountsLockedUntil.filter { $0.value > now }
    }
}
