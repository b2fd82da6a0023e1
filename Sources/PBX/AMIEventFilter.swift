import Foundation

/// One AMI event filter, as Asterisk 20's `manager_add_filter()` builds it from the `Filter` action or a
/// user's `eventfilter` line, matched against an event's text (`Event:` line first, `\r\n` after each
/// line and at the end, exactly the bytes a session receives).
///
/// Two forms:
/// * legacy: `regex` includes the events whose text matches, `!regex` excludes them;
/// * advanced (`MatchCriteria`, or `eventfilter(<criteria>) = <pattern>` in a user's list):
///   `action(include|exclude)`, `name(<Event>)`, `header(<Header>)`,
///   `method(regex|exact|starts_with|ends_with|contains|none)`, in any order.
///
/// Regular expressions are `LinearRegex` (POSIX ERE, linear time, bounded by `Limits`). A legacy
/// pattern with no ERE special character is a plain substring test and `^` followed by one is a
/// prefix test: the same result, without the regex machine (the common `Event: Newchannel`).
public struct AMIEventFilter: Sendable {
    /// Bounds on the filters of one session.
    public struct Limits: Sendable, Equatable {
        /// Filters one session may hold: its user's `eventfilter` list and the `Filter` actions together.
        public var maximumFilters: Int
        /// Longest pattern, in bytes.
        public var maximumPatternLength: Int
        /// Longest text a regex is run over, in bytes (an event, or one header's value); a longer one
        /// never matches a regex.
        public var maximumEventLength: Int

        public init(
            maximumFilters: Int = Limits.defaultFilters, maximumPatternLength: Int = Limits.defaultPatternLength,
            maximumEventLength: Int = Limits.defaultEventLength
        ) {
            self.maximumFilters = maximumFilters
            self.maximumPatternLength = maximumPatternLength
            self.maximumEventLength = maximumEventLength
        }

        public static let defaultFilters = 32
        public static let defaultPatternLength = 256
        public static let defaultEventLength = 16384
    }

    /// Why a filter was refused, with Asterisk's reply to the `Filter` action.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The criteria are malformed, or the pattern does not suit the method.
        case format(String)
        /// The regular expression was refused (syntax, or a limit).
        case compile(String)

        /// The `Message:` of the `Filter` action's error (Asterisk's texts, two spaces included).
        public var replyMessage: String {
            switch self {
            case .format: return "Filter was formatted incorrectly.  Check the syntax of the filter given."
            case .compile: return "Filter did not compile.  Check the syntax of the filter given."
            }
        }

        public var description: String {
            switch self {
            case .format(let reason): return reason
            case .compile(let reason): return "the regular expression does not compile: \(reason)"
            }
        }
    }

    /// How the pattern is compared with the text (or the header's value).
    public enum Method: Sendable {
        /// `prefix`: literal bytes every match starts with (`requiredPrefix`); empty when unknown.
        case regex(LinearRegex, prefix: BytePattern)
        case exact([UInt8])
        case startsWith([UInt8])
        case endsWith([UInt8])
        case contains(BytePattern)
        case none
    }

    /// The filter as it was given (for logs and the panel).
    public let text: String
    public let isExclude: Bool
    /// `name(<Event>)`: only events of this name are examined (others do not match).
    public let eventName: [UInt8]?
    /// `header(<Header>)`, with its colon: only the values of lines starting with it are examined.
    public let header: [UInt8]?
    public let method: Method

    public var usesRegex: Bool {
        if case .regex = method { return true }
        return false
    }

    /// A filter from the `Filter` action: `MatchCriteria` (empty for the legacy form) and `Filter`.
    public init(matchCriteria: String, pattern: String, limits: Limits = Limits()) throws(Failure) {
        let criteria = matchCriteria.isEmpty ? nil : matchCriteria
        try self.init(criteria: criteria, pattern: pattern, text: criteria.map { "eventfilter(\($0)) = \(pattern)" } ?? pattern, limits: limits)
    }

    /// A filter from a user's `eventfilter` list: a legacy `regex` / `!regex`, or a manager.conf line of the
    /// advanced form, `eventfilter(<criteria>) = <pattern>`.
    public init(configured line: String, limits: Limits = Limits()) throws(Failure) {
        let prefix = "eventfilter("
        guard line.hasPrefix(prefix) else {
            try self.init(criteria: nil, pattern: line, text: line, limits: limits)
            return
        }
        guard let equals = line.firstIndex(of: "=") else {
            throw .format("an 'eventfilter(...)' line needs '= <pattern>' (an empty pattern is allowed)")
        }
        let left = line[..<equals].trimmingCharacters(in: .whitespaces)
        guard left.hasSuffix(")") else { throw .format("the criteria must end with ')'") }
        let criteria = String(left.dropFirst(prefix.count).dropLast())
        let pattern = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        try self.init(criteria: criteria, pattern: pattern, text: line, limits: limits)
    }

    /// `manager_add_filter()`: `criteria` is what goes between `eventfilter(` and `)`, nil for a legacy filter.
    private init(criteria: String?, pattern given: String, text: String, limits: Limits) throws(Failure) {
        self.text = text
        var pattern = Substring(given)
        var exclude = false
        // A leading '!' excludes, in both forms; `action()` overrides it.
        if pattern.first == "!" {
            exclude = true
            pattern = pattern.dropFirst()
        }
        guard pattern.utf8.count <= limits.maximumPatternLength else {
            throw .compile("pattern longer than \(limits.maximumPatternLength) bytes")
        }
        guard let criteria else {
            guard !pattern.isEmpty else { throw .format("a filter needs a pattern") }
            self.isExclude = exclude
            self.eventName = nil
            self.header = nil
            self.method = try Self.legacyMethod(String(pattern), limits: limits)
            return
        }
        var name: [UInt8]?
        var header: [UInt8]?
        var method: String?
        var found = false
        // strtok_r(criteria, " ,)"): each option is `word(value`.
        let options = criteria.split(whereSeparator: { $0 == " " || $0 == "," || $0 == ")" })
        for option in options {
            guard let open = option.firstIndex(of: "(") else { throw .format("filter option '\(option)' is not 'option(value)'") }
            let key = option[..<open]
            let value = option[option.index(after: open)...].trimmingCharacters(in: .whitespaces)
            guard !value.isEmpty else { throw .format("filter option '\(key)' has no value") }
            switch key {
            case "action":
                switch value {
                case "include": exclude = false
                case "exclude": exclude = true
                default: throw .format("'action' option '\(value)' is unknown")
                }
            case "name":
                name = Array(value.utf8)
            case "header":
                header = Array((value.hasSuffix(":") ? value : value + ":").utf8)
            case "method":
                guard ["regex", "exact", "starts_with", "ends_with", "contains", "none"].contains(value) else {
                    throw .format("'method' option '\(value)' is unknown")
                }
                method = value
            default:
                throw .format("filter option '\(key)' is unknown")
            }
            found = true
        }
        guard found else { throw .format("no action, name, header or method option found") }
        let chosen = method ?? "none"
        if pattern.isEmpty, chosen != "none" { throw .format("method can't be '\(chosen)' with no filter pattern") }
        if !pattern.isEmpty, chosen == "none" { throw .format("method can't be 'none' with a filter pattern") }
        if name == nil, header == nil, chosen == "none" { throw .format("no name or header option found and no filter pattern") }
        self.isExclude = exclude
        self.eventName = name
        self.header = header
        let bytes = Array(pattern.utf8)
        switch chosen {
        case "regex": self.method = try Self.compile(String(pattern), limits: limits)
        case "exact": self.method = .exact(bytes)
        case "starts_with": self.method = .startsWith(bytes)
        case "ends_with": self.method = .endsWith(bytes)
        case "contains": self.method = .contains(BytePattern(bytes))
        default: self.method = .none
        }
    }

    /// A legacy pattern: a regex, or the substring or prefix test it amounts to when it has no special character.
    private static func legacyMethod(_ pattern: String, limits: Limits) throws(Failure) -> Method {
        let special = Set("\\.[]()*+?{}|^$".utf8)
        let bytes = Array(pattern.utf8)
        if !bytes.contains(where: special.contains) { return .contains(BytePattern(bytes)) }
        if bytes.first == UInt8(ascii: "^"), !bytes.dropFirst().contains(where: special.contains) {
            // `^` with nothing after it matches every text, as the prefix test of an empty string does.
            return .startsWith(Array(bytes.dropFirst()))
        }
        return try compile(pattern, limits: limits)
    }

    private static func compile(_ pattern: String, limits: Limits) throws(Failure) -> Method {
        do {
            let regex = try LinearRegex(
                pattern,
                limits: LinearRegex.Limits(
                    maximumPatternLength: limits.maximumPatternLength, maximumSubjectLength: limits.maximumEventLength))
            return .regex(regex, prefix: BytePattern(requiredPrefix(Array(pattern.utf8))))
        } catch {
            throw .compile(error.reason)
        }
    }

    /// The literal bytes every match of `pattern` starts with: its leading run of ordinary characters
    /// (less the last one when a `*`, `?` or `{` follows it), provided the pattern has no `^` and no `|`
    /// outside parentheses (with a bracket expression anywhere, no `|` at all). Empty when unsure.
    static func requiredPrefix(_ pattern: [UInt8]) -> [UInt8] {
        let special = Set("\\.[]()*+?{}|^$".utf8)
        var run = pattern.prefix { !special.contains($0) }
        if run.count < pattern.count, "*?{".utf8.contains(pattern[run.count]) { run = run.dropLast() }
        guard !run.isEmpty, !pattern.contains(UInt8(ascii: "^")) else { return [] }
        if pattern.contains(UInt8(ascii: "|")) {
            guard !pattern.contains(UInt8(ascii: "[")) else { return [] }
            var depth = 0
            var index = 0
            while index < pattern.count {
                switch pattern[index] {
                case UInt8(ascii: "\\"): index += 1
                case UInt8(ascii: "("): depth += 1
                case UInt8(ascii: ")"): depth -= 1
                case UInt8(ascii: "|") where depth <= 0: return []
                default: break
                }
                index += 1
            }
        }
        return Array(run)
    }

    // MARK: - Matching

    /// `filter_cmp_fn()`: whether this filter matches the event `text` (its bytes as sent).
    public func matches(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        if let eventName, !Self.isEvent(named: eventName, text) { return false }
        guard let header else { return Self.apply(method, to: text) }
        // Every line starting with the header (case-sensitive, as `ast_begins_with`), blanks after it
        // skipped; an empty value is passed over; the first value that matches decides.
        var start = 0
        while start < text.count {
            var end = start
            while end < text.count, text[end] != UInt8(ascii: "\n") { end += 1 }
            var lineEnd = end
            if lineEnd > start, text[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            if lineEnd - start >= header.count, Self.equal(text, at: start, header) {
                var valueStart = start + header.count
                while valueStart < lineEnd, text[valueStart] == UInt8(ascii: " ") || text[valueStart] == UInt8(ascii: "\t") {
                    valueStart += 1
                }
                if valueStart < lineEnd,
                    Self.apply(method, to: UnsafeBufferPointer(rebasing: text[valueStart..<lineEnd]))
                {
                    return true
                }
            }
            start = end + 1
        }
        return false
    }

    /// True when `text` starts with `Event: <name>\r\n`.
    static func isEvent(named name: [UInt8], _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let prefix = eventPrefix.count
        guard text.count >= prefix + name.count + 2, equal(text, at: 0, eventPrefix), equal(text, at: prefix, name) else { return false }
        return text[prefix + name.count] == UInt8(ascii: "\r") || text[prefix + name.count] == UInt8(ascii: "\n")
    }

    private static let eventPrefix = Array("Event: ".utf8)
    /// Anchored runs of a prefixed regex over one text before the rest is searched at once.
    static let maximumAnchoredRuns = 8

    private static func apply(_ method: Method, to subject: UnsafeBufferPointer<UInt8>) -> Bool {
        switch method {
        case .regex(let regex, let prefix):
            guard !prefix.isEmpty else { return regex.matches(bytes: subject) }
            // A match starts where the prefix does: the regex runs anchored at each occurrence and stops
            // within a few bytes where it fails, instead of stepping through the whole event.
            guard subject.count <= regex.limits.maximumSubjectLength else { return false }
            // A run may reach the end of the event (`a.*b`): after a few, one search of the rest from the
            // next occurrence (no match starts before it) keeps the cost linear.
            var from = 0
            var runs = 0
            while let at = prefix.firstOccurrence(in: subject, from: from) {
                let rest = UnsafeBufferPointer(rebasing: subject[at...])
                if runs == maximumAnchoredRuns { return regex.matches(bytes: rest) }
                if regex.matchesAtStart(bytes: rest) { return true }
                runs += 1
                from = at + 1
            }
            return false
        case .exact(let bytes): return subject.count == bytes.count && equal(subject, at: 0, bytes)
        case .startsWith(let bytes): return subject.count >= bytes.count && equal(subject, at: 0, bytes)
        case .endsWith(let bytes): return subject.count >= bytes.count && equal(subject, at: subject.count - bytes.count, bytes)
        case .contains(let pattern): return pattern.occurs(in: subject)
        case .none: return true
        }
    }

    private static func equal(_ text: UnsafeBufferPointer<UInt8>, at offset: Int, _ bytes: [UInt8]) -> Bool {
        guard offset >= 0, text.count - offset >= bytes.count else { return false }
        return bytes.withUnsafeBufferPointer { needle in
            guard let base = text.baseAddress, let other = needle.baseAddress else { return needle.isEmpty }
            return memcmp(base + offset, other, needle.count) == 0
        }
    }

}

/// A session's filters and Asterisk 20's `should_send_event()`: with no filter every event is sent; with
/// include filters only, an event must match one; with exclude filters only, it must match none; with
/// both, it must match an include filter and no exclude filter.
public struct AMIEventFilterSet: Sendable {
    public private(set) var include: [AMIEventFilter] = []
    public private(set) var exclude: [AMIEventFilter] = []
    /// Some filter runs a regular expression (the session evaluates those on its own event loop).
    public private(set) var usesRegex = false

    public init() {}

    public var count: Int { include.count + exclude.count }
    public var isEmpty: Bool { include.isEmpty && exclude.isEmpty }

    public mutating func add(_ filter: AMIEventFilter) {
        if filter.isExclude { exclude.append(filter) } else { include.append(filter) }
        usesRegex = usesRegex || filter.usesRegex
    }

    /// Whether an event with this text goes to the session.
    public func shouldSend(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        if !include.isEmpty, !include.contains(where: { $0.matches(text) }) { return false }
        return !exclude.contains(where: { $0.matches(text) })
    }

    /// The user's configured list, in order; the first entry refused is the error.
    public init(configured lines: [String], limits: AMIEventFilter.Limits = AMIEventFilter.Limits()) throws(AMIEventFilter.Failure) {
        guard lines.count <= limits.maximumFilters else {
            throw .format("\(lines.count) event filters; at most \(limits.maximumFilters)")
        }
        for line in lines { add(try AMIEventFilter(configured: line, limits: limits)) }
    }
}
