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
                throw ProvisioningError(line: key.mark?.line ?? line, field: "\(path).\(name)",
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
        if let rule, !rule.accepts(value) { throw error(key, "'\(value)' \(rule.explanation)") }
        return value
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

    public static let tenantName = charset(letters + letters.uppercased() + digits + "-_.", length: 1...63,
                                           "must be 1-63 letters, digits, '-', '_' or '.'")
    public static let domain = charset(letters + letters.uppercased() + digits + "-.", length: 1...253,
                                       "must be a domain name (letters, digits, '-' and '.')")
    public static let host = charset(letters + letters.uppercased() + digits + "-.:[]", length: 1...253,
                                     "must be a host name or an IP address")
    public static let toneCountry = charset(letters, length: 2...2, "must be a two-letter lowercase country code")
    public static let extensionNumber = charset(digits, length: 1...20, "must be 1-20 digits")
    public static let dialPrefix = charset(digits + "*#+", length: 1...20, "must be 1-20 digits (or * # +)")
    public static let amiUsername = charset(letters + letters.uppercased() + digits + "-_.@", length: 1...80,
                                            "must be 1-80 letters, digits, '-', '_', '.' or '@'")
    public static let secret = Rule(explanation: "must be 1-128 printable characters") { value in
        (1...128).contains(value.count) && value.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
    }
}
