/// A line of extensions.conf text that could not be loaded.
public struct DialplanParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case unterminatedContextName
        case statementOutsideContext
        case missingArrow
        case unknownKeyword
        case missingPriority
        case invalidPriority
        case nextPriorityWithoutPrevious
        case sameWithoutExtension
        case duplicatePriority
        case missingApplication
        case missingClosingParenthesis
        case unsupportedCallerIDMatch
        case invalidGlobal
    }

    public var code: Code
    /// 1-based line number in the parsed text.
    public var line: Int
    public var message: String

    public init(_ code: Code, line: Int, _ message: String) {
        self.code = code
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}
