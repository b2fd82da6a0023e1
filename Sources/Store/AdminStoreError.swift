import PBX

/// Why an admin-panel change to the store was refused: a bad value, a missing item or a clash.
///
/// `field` names the form field or JSON key the message is about, so a page can show it next to
/// the input and the REST API can return it.
public struct AdminStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A value does not have the required shape (HTTP 422).
        case invalid
        /// The tenant or item does not exist (HTTP 404).
        case notFound
        /// The value clashes with an existing one, e.g. a taken domain (HTTP 409).
        case conflict
    }

    public var kind: Kind
    public var field: String
    public var message: String

    public init(_ kind: Kind, field: String, _ message: String) {
        self.kind = kind
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }

    static func notFound(_ what: String, field: String = "id") -> AdminStoreError {
        AdminStoreError(.notFound, field: field, "no such \(what)")
    }

    /// Checks `value` against a provisioning rule, so the panel validates exactly as `centralino apply`.
    static func check(_ value: String, _ rule: ProvisioningRules.Rule, field: String) throws {
        guard rule.accepts(value) else { throw AdminStoreError(.invalid, field: field, "\(PlainText.quoted(value)) \(rule.explanation)") }
    }
}
