import PBX
import Yams

/// One YAML mapping being validated: typed access to its keys, errors that name line and field.
struct Fields {
    let line: Int
    let path: String
    private let entries: [(key: String, node: Node)]

    init(_ node: Node, path: String, allowed: Set<String>) throws {
        self.path = path
        self.line = node.mark?.line ?? 0
        guard let mapping = node.mapping else {
            throw ProvisioningError(line: line, field: path, message: "must be a mapping of keys to values")
        }
        var entries: [(String, Node)] = []
        for (key, value) in mapping {
            let name = key.string ?? ""
            guard allowed.contains(name) else {
                throw ProvisioningError(
                    line: key.mark?.line ?? line, field: "\(path).\(name)",
                    message: "unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
            guard !entries.contains(where: { $0.0 == name }) else {
                throw ProvisioningError(line: key.mark?.line ?? line, field: "\(path).\(name)", message: "given twice")
            }
            entries.append((name, value))
        }
        self.entries = entries
    }

    func node(_ key: String) -> Node? {
        entries.first { $0.key == key }?.node
    }

    func error(_ key: String, _ message: String) -> ProvisioningError {
        ProvisioningError(line: node(key)?.mark?.line ?? line, field: "\(path).\(key)", message: message)
    }

    func optional(_ key: String, matching rule: ProvisioningRules.Rule? = nil) throws -> String? {
        guard let node = node(key) else { return nil }
        guard let scalar = node.scalar else { throw error(key, "must be a single value") }
        let value = scalar.string
        if let rule, !rule.accepts(value) { throw error(key, "\(PlainText.quoted(value)) \(rule.explanation)") }
        return value
    }

    /// A whole number within `field`'s range; `fallback` when the key is absent.
    func number(_ key: String, _ field: NumberField, default fallback: Int) throws -> Int {
        guard let text = try optional(key) else { return fallback }
        do {
            return try field.parse(text)
        } catch {
            throw self.error(key, error.message)
        }
    }

    func required(_ key: String, matching rule: ProvisioningRules.Rule? = nil) throws -> String {
        guard let value = try optional(key, matching: rule) else {
            throw ProvisioningError(line: line, field: "\(path).\(key)", message: "required")
        }
        return value
    }

    func stringList(_ key: String) throws -> [String] {
        guard let node = node(key) else { return [] }
        guard let sequence = node.sequence else { throw error(key, "must be a list") }
        return try sequence.map { item in
            guard let scalar = item.scalar else { throw error(key, "every entry must be a single value") }
            if let problem = PlainText.problem(in: scalar.string) {
                throw error(key, "\(PlainText.quoted(scalar.string)) \(problem)")
            }
            return scalar.string
        }
    }

    func items<T>(_ key: String, _ parse: (Node, String) throws -> T) throws -> [T] {
        guard let node = node(key) else { return [] }
        guard let sequence = node.sequence else { throw error(key, "must be a list") }
        return try sequence.enumerated().map { index, item in try parse(item, "\(path).\(key)[\(index)]") }
    }
}

/// The shapes provisioning values must have; the admin panel uses the same rules.
public enum ProvisioningRules {
    public struct Rule: Sendable {
        public let explanation: String
        let test: @Sendable (String) -> Bool

        public func accepts(_ value: String) -> Bool { test(value) }
    }

    static func charset(_ allowed: String, length: ClosedRange<Int>, _ explanation: String) -> Rule {
        let set = Set(allowed)
        return Rule(explanation: explanation) { value in length.contains(value.count) && value.allSatisfy { set.contains($0) } }
    }

    static let letters = "abcdefghijklmnopqrstuvwxyz"
    static let digits = "0123456789"

    public static let tenantName = charset(
        letters + letters.uppercased() + digits + "-_.", length: 1...63,
        "must be 1-63 letters, digits, '-', '_' or '.'")
    public static let domain = charset(
        letters + letters.uppercased() + digits + "-.", length: 1...253,
        "must be a domain name (letters, digits, '-' and '.')")
    public static let host = charset(
        letters + letters.uppercased() + digits + "-.:[]", length: 1...253,
        "must be a host name or an IP address")
    public static let toneCountry = charset(letters, length: 2...2, "must be a two-letter lowercase country code")
    public static let extensionNumber = charset(digits, length: 1...20, "must be 1-20 digits")
    public static let dialPrefix = charset(digits + "*#+", length: 1...20, "must be 1-20 digits (or * # +)")
    public static let amiUsername = charset(
        letters + letters.uppercased() + digits + "-_.@", length: 1...80,
        "must be 1-80 letters, digits, '-', '_', '.' or '@'")
    public static let secret = Rule(explanation: "must be 1-128 printable characters") { value in
        (1...128).contains(value.count) && PlainText.isPlain(value)
    }

    /// Free text in `length` characters with no control character (`PlainText`): what people read
    /// and what goes into SIP display names, AMI fields and logs.
    static func plainText(length: ClosedRange<Int>, _ what: String) -> Rule {
        Rule(explanation: "must be \(what) of \(length.lowerBound)-\(length.upperBound) characters without control characters (CR, LF, TAB, NUL...)")
        { value in
            length.contains(value.count) && PlainText.isPlain(value)
        }
    }

    /// An extension's display name (the caller's name in SIP From and AMI CallerIDName); 80 is
    /// Asterisk's `AST_MAX_EXTENSION`-sized caller name field in practice.
    public static let displayName = plainText(length: 0...80, "text")
    /// The user name a trunk authenticates with (a SIP digest `username`).
    public static let trunkUsername = plainText(length: 1...80, "a user name")
    /// An API token's label (shown in the panel).
    public static let tokenName = plainText(length: 1...80, "a name")
    /// A trunk's port.
    public static let trunkPort = NumberField.port("port")
    /// Leading digits an outbound route strips: no dialled number is longer than Asterisk's
    /// `AST_MAX_EXTENSION` (80).
    public static let strip = NumberField("strip", 0...80)

    /// Why `entry` cannot be an ACL (`permit`) entry, or nil; the address syntax itself is `AMIAccessRule`'s.
    public static func permitProblem(_ entry: String) -> String? {
        PlainText.problem(in: entry).map { "\(PlainText.quoted(entry)) \($0)" }
    }
}
