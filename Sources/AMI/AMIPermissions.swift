/// Asterisk's permission classes (`EVENT_FLAG_*` in `include/asterisk/manager.h`).
///
/// A user has a read set (which events it may receive) and a write set (which actions it may run).
public struct AMIPermissions: OptionSet, Sendable, Hashable {
    public let rawValue: Int

    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    public static let system = AMIPermissions(rawValue: 1 << 0)
    public static let call = AMIPermissions(rawValue: 1 << 1)
    public static let log = AMIPermissions(rawValue: 1 << 2)
    public static let verbose = AMIPermissions(rawValue: 1 << 3)
    public static let command = AMIPermissions(rawValue: 1 << 4)
    public static let agent = AMIPermissions(rawValue: 1 << 5)
    public static let user = AMIPermissions(rawValue: 1 << 6)
    public static let config = AMIPermissions(rawValue: 1 << 7)
    public static let dtmf = AMIPermissions(rawValue: 1 << 8)
    public static let reporting = AMIPermissions(rawValue: 1 << 9)
    public static let cdr = AMIPermissions(rawValue: 1 << 10)
    public static let dialplan = AMIPermissions(rawValue: 1 << 11)
    public static let originate = AMIPermissions(rawValue: 1 << 12)
    public static let agi = AMIPermissions(rawValue: 1 << 13)
    public static let cc = AMIPermissions(rawValue: 1 << 15)
    public static let aoc = AMIPermissions(rawValue: 1 << 16)
    public static let test = AMIPermissions(rawValue: 1 << 17)
    public static let security = AMIPermissions(rawValue: 1 << 18)
    public static let message = AMIPermissions(rawValue: 1 << 30)
    /// Every class (`INT_MAX`).
    public static let all = AMIPermissions(rawValue: Int(Int32.max))
    public static let none = AMIPermissions([])

    /// Class names in the order of Asterisk's `perms[]` table, which is the order `Privilege:` lists them.
    public static let named: [(name: String, permission: AMIPermissions)] = [
        ("system", .system), ("call", .call), ("log", .log), ("verbose", .verbose),
        ("command", .command), ("agent", .agent), ("user", .user), ("config", .config),
        ("dtmf", .dtmf), ("reporting", .reporting), ("cdr", .cdr), ("dialplan", .dialplan),
        ("originate", .originate), ("agi", .agi), ("cc", .cc), ("aoc", .aoc), ("test", .test),
        ("security", .security), ("message", .message),
    ]

    /// Parses a strict comma list such as `call,originate` (also `all` and `none`).
    /// Returns nil when a word is not a class name, so provisioning can refuse it.
    public init?(classList: String) {
        var result = AMIPermissions.none
        for word in classList.split(separator: ",", omittingEmptySubsequences: false) {
            let token = word.trimmingASCIIWhitespace()
            if token == "all" {
                result.formUnion(.all)
                continue
            }
            if token == "none" { continue }
            guard let entry = Self.named.first(where: { $0.name == token }) else { return nil }
            result.formUnion(entry.permission)
        }
        self = result
    }

    /// The text Asterisk writes for a set of classes (`authority_to_str()`): the class names, then
    /// `all` (which matches any non-empty set), or `<none>` for the empty set.
    public var authorityString: String {
        if isEmpty { return "<none>" }
        // Most events have one class: their text is built once (this runs for every event published).
        if rawValue.nonzeroBitCount == 1, rawValue.trailingZeroBitCount < Self.singleClassAuthority.count {
            return Self.singleClassAuthority[rawValue.trailingZeroBitCount]
        }
        var names = Self.named.filter { !self.isDisjoint(with: $0.permission) }.map(\.name)
        names.append("all")
        return names.joined(separator: ",")
    }

    /// `authorityString` of each one-bit set, by bit index (`all` for a bit of no class, as the general case).
    private static let singleClassAuthority: [String] = (0..<31).map { bit in
        named.first { $0.permission.rawValue == 1 << bit }.map { "\($0.name),all" } ?? "all"
    }

    /// The class named `name` (a name of `named`), nil for any other word. Compares lengths first:
    /// this runs for every class of every event the call engine publishes.
    public static func named(_ name: String) -> AMIPermissions? {
        let length = name.utf8.count
        for entry in named where entry.name.utf8.count == length && entry.name == name {
            return entry.permission
        }
        return nil
    }

    /// The class names without the trailing `all`, for display and provisioning (`all` when every class is set).
    public var classListString: String {
        if self == .all { return "all" }
        if isEmpty { return "none" }
        return Self.named.filter { self.contains($0.permission) }.map(\.name).joined(separator: ",")
    }

    /// The session event mask named by a Login `Events:` header or an `EventMask:` (`strings_to_mask()`):
    /// empty means every class, an `ast_false` word none, an `ast_true` word all, digits a numeric mask,
    /// and anything else a comma list of class names where unknown words count for nothing.
    public static func eventMask(from text: String) -> AMIPermissions {
        let trimmed = text.trimmingASCIIWhitespace()
        if trimmed.isEmpty { return .all }
        if AMIBoolean.isFalse(trimmed) { return .none }
        if AMIBoolean.isTrue(trimmed) { return .all }
        if trimmed.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            return AMIPermissions(rawValue: Int(trimmed) ?? 0)
        }
        var result = AMIPermissions.none
        for word in trimmed.split(separator: ",") {
            let token = word.trimmingASCIIWhitespace()
            if token == "all" { result.formUnion(.all) }
            if let entry = named.first(where: { $0.name == token }) { result.formUnion(entry.permission) }
        }
        return result
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces and tabs.
    public func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
