import AMI
import Foundation
import Logging
import NIOConcurrencyHelpers
import PBX

/// The AMI users a Login is checked against, kept in memory and replaced whole when the store changes.
public final class AMIDirectory: Sendable {
    /// One user, with its ACL and permission classes parsed.
    public struct Entry: Sendable {
        public let account: AMIAccount
        public let accessList: AMIAccessList
        public let read: AMIPermissions
        public let write: AMIPermissions
    }

    private let entries = NIOLockedValueBox<[String: Entry]>([:])
    /// Called after every `replace` (the AMI server ends the sessions the new entries would not admit).
    private let replacementObservers = NIOLockedValueBox<[@Sendable (AMIDirectory) -> Void]>([])

    public init() {}

    /// True when some enabled user of some tenant may log in from `address`: a connection from
    /// anywhere else is closed before it gets a banner.
    public func permitsAnyUser(_ address: String) -> Bool {
        entries.withLockedValue { all in all.values.contains { $0.account.enabled && $0.accessList.permits(address) } }
    }

    /// Whether a session logged in with `admitted` from `address` would still be admitted: the user
    /// exists and is enabled in the same tenant, with the same secret and classes, and its ACL still
    /// permits the address.
    public func stillAdmits(_ admitted: Entry, from address: String) -> Bool {
        guard let current = entry(for: admitted.account.username), current.account.enabled else { return false }
        return current.account.tenant == admitted.account.tenant && current.account.secret == admitted.account.secret
            && current.read == admitted.read && current.write == admitted.write && current.accessList.permits(address)
    }

    /// Registers `observer`, called after every `replace`.
    func onReplace(_ observer: @escaping @Sendable (AMIDirectory) -> Void) {
        replacementObservers.withLockedValue { $0.append(observer) }
    }

    /// Looks a user up by name, case-insensitively, as Asterisk does.
    public func entry(for username: String) -> Entry? {
        entries.withLockedValue { $0[username.lowercased()] }
    }

    /// Replaces the directory with `accounts`. A user whose stored ACL or classes no longer parse is
    /// left out (and logged), so it cannot log in, as Asterisk deletes a user with an invalid ACL line.
    public func replace(with accounts: [AMIAccount], logger: Logger) {
        var next: [String: Entry] = [:]
        for account in accounts {
            do {
                let accessList = try AMIAccessList(parsing: account.permit)
                guard let read = AMIPermissions(classList: account.read), let write = AMIPermissions(classList: account.write) else {
                    logger.error("AMI user has invalid permission classes; it cannot log in", metadata: ["user": "\(account.username)"])
                    continue
                }
                next[account.username.lowercased()] = Entry(account: account, accessList: accessList, read: read, write: write)
            } catch {
                logger.error("AMI user has an invalid ACL; it cannot log in", metadata: ["user": "\(account.username)", "error": "\(error)"])
            }
        }
        entries.withLockedValue { $0 = next }
        for observer in replacementObservers.withLockedValue({ $0 }) { observer(self) }
    }
}
