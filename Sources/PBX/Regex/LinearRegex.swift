/// A POSIX extended regular expression (the subset peers use) matched in time linear in the subject.
///
/// Asterisk runs `/regex/` arguments (`Hangup`, `Filter`) through `regcomp(REG_EXTENDED | REG_NOSUB)`
/// and glibc's backtracking `regexec`, where a pattern such as `^(.*)*(.*)*X$` takes exponential
/// time. Centralino compiles the pattern into a Thompson NFA and runs it as a Pike VM: every
/// subject byte advances each NFA state at most once, so a match costs at most
/// `subject length × program size` steps, and both are capped (`Limits`).
///
/// Supported: literals, `.`, bracket expressions (`[a-z]`, `[^0-9]`, `[[:alpha:]]`), `*`, `+`, `?`,
/// `{m}`, `{m,}`, `{m,n}`, `|`, `( )`, `^`, `$` and `\` escapes of punctuation. Refused (as a
/// compile error): back-references (`\1`), GNU escapes (`\w`, `\b`, `\<` …), collating elements
/// (`[.x.]`, `[=x=]`) and anything malformed. Matching is byte-wise (channel names are ASCII).
/// `matches` says whether the pattern occurs anywhere (`REG_NOSUB`, for AMI `Hangup` and `Filter`);
/// `firstMatch` also reports where, and where group 1 is (for the dialplan's `:` and `=~`).
///
/// It lives in `PBX` so that both the dialplan and the AMI sessions (in `AMIServer`) use it.
public struct LinearRegex: Sendable {
    /// Bounds on the work one pattern may cause.
    public struct Limits: Sendable, Equatable {
        /// Longest pattern accepted, in bytes (a `Channel: /…/` line is at most 1024 bytes anyway).
        public var maximumPatternLength: Int
        /// Longest subject examined, in bytes; a longer subject never matches. Asterisk's channel
        /// names are at most `AST_CHANNEL_NAME` (80) bytes.
        public var maximumSubjectLength: Int
        /// Most NFA instructions a pattern may compile to (bounded repetition such as `x{200}`
        /// multiplies the program); a bigger program is a compile error.
        public var maximumProgramSize: Int

        public init(
            maximumPatternLength: Int = Limits.defaultPatternLength,
            maximumSubjectLength: Int = Limits.defaultSubjectLength,
            maximumProgramSize: Int = Limits.defaultProgramSize
        ) {
            self.maximumPatternLength = maximumPatternLength
            self.maximumSubjectLength = maximumSubjectLength
            self.maximumProgramSize = maximumProgramSize
        }

        public static let defaultPatternLength = 256
        public static let defaultSubjectLength = 256
        public static let defaultProgramSize = 512
        /// Deepest nesting of parentheses (bounds the parser's recursion).
        public static let maximumNesting = 32
    }

    /// Why a pattern was refused.
    public struct CompileError: Error, Sendable, Equatable, CustomStringConvertible {
        public let reason: String
        public init(_ reason: String) { self.reason = reason }
        public var description: String { reason }
    }

    /// Where a match lies, as byte offsets into the subject's UTF-8.
    public struct Match: Sendable, Equatable {
        public let range: Range<Int>
        /// Group 1 (the first parenthesis), when the pattern has one and it took part in the match.
        public let firstGroup: Range<Int>?
    }

    public let pattern: String
    public let limits: Limits
    /// Parenthesised groups in the pattern.
    public let groupCount: Int
    let program: LinearRegexProgram

    public init(_ pattern: String, limits: Limits = Limits()) throws(CompileError) {
        let bytes = Array(pattern.utf8)
        guard bytes.count <= limits.maximumPatternLength else {
            throw CompileError("pattern longer than \(limits.maximumPatternLength) bytes")
        }
        var parser = LinearRegexParser(bytes)
        let node = try parser.parse()
        self.groupCount = parser.groupCount
        self.program = try LinearRegexProgram(node, maximumSize: limits.maximumProgramSize)
        self.pattern = pattern
        self.limits = limits
    }

    /// True when the pattern occurs somewhere in `subject` (respecting `^` and `$`). A subject
    /// longer than `limits.maximumSubjectLength` bytes never matches.
    public func matches(_ subject: String) -> Bool {
        var subject = subject
        return subject.withUTF8 { bytes in
            guard bytes.count <= limits.maximumSubjectLength else { return false }
            return program.search(bytes)
        }
    }

    /// `matches(_:)` over bytes (an AMI event filter runs over the event's encoded text).
    public func matches(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count <= limits.maximumSubjectLength else { return false }
        return program.search(bytes)
    }

    /// Whether a match starts at the first byte of `bytes` (stops as soon as no thread is left, so a
    /// pattern that fails early costs a few steps).
    public func matchesAtStart(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count <= limits.maximumSubjectLength else { return false }
        return program.firstMatch(bytes, anchored: true) != nil
    }

    /// The first match in `subject`: the leftmost one, and among those the one a backtracking matcher
    /// would find first (leftmost-first, as ICU/PCRE; the dialplan's `:` and `=~` report it). With
    /// `anchoredAtStart` only a match at offset 0 counts. Nil when none, or when the subject is
    /// longer than `limits.maximumSubjectLength` bytes.
    public func firstMatch(in subject: String, anchoredAtStart: Bool = false) -> Match? {
        var subject = subject
        return subject.withUTF8 { bytes in
            guard bytes.count <= limits.maximumSubjectLength,
                let positions = program.firstMatch(bytes, anchored: anchoredAtStart)
            else { return nil }
            return Match(range: positions.range, firstGroup: positions.firstGroup)
        }
    }
}
