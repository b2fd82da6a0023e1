/// A whole-number field or argument with its allowed range: a port, a priority, a timeout, a count.
///
/// Everything that turns peer- or administrator-supplied text into a number goes through here, so
/// no value outside the range reaches arithmetic or a narrowing conversion (`UInt16(_:)`,
/// `TimeAmount.milliseconds(_:)`), where it would trap. Parsing accepts an optional sign and
/// decimal digits, nothing else (no blanks, no `1e3`, no `0x`).
public struct NumberField: Sendable, Hashable {
    /// The field's name as the user wrote it (`port`, `Timeout`), used in error messages.
    public let name: String
    public let range: ClosedRange<Int>

    public init(_ name: String, _ range: ClosedRange<Int>) {
        self.name = name
        self.range = range
    }

    /// A TCP or UDP port a peer may be reached at.
    public static func port(_ name: String = "port") -> NumberField { NumberField(name, 1...65_535) }

    /// The rule in words: `must be a whole number from 1 to 65535`.
    public var explanation: String { "must be a whole number from \(range.lowerBound) to \(range.upperBound)" }

    /// The value of `text`, or an error naming the field and the range.
    public func parse<S: StringProtocol>(_ text: S) throws(NumberFieldError) -> Int {
        guard let value = Self.integer(text) else {
            throw NumberFieldError(field: name, message: "\(PlainText.quoted(String(text))) is not a whole number; \(explanation)")
        }
        return try check(value)
    }

    /// `value` itself when within the range, else an error.
    @discardableResult
    public func check(_ value: Int) throws(NumberFieldError) -> Int {
        guard range.contains(value) else { throw NumberFieldError(field: name, message: "\(value) is out of range; \(explanation)") }
        return value
    }

    /// The value of `text` when it is a whole number within the range; nil otherwise.
    public func value<S: StringProtocol>(_ text: S) -> Int? {
        Self.integer(text).flatMap { range.contains($0) ? $0 : nil }
    }

    /// `[+-]1*DIGIT` as an `Int`; nil for anything else, including values beyond `Int`.
    public static func integer<S: StringProtocol>(_ text: S) -> Int? {
        Int(String(text), radix: 10)
    }
}

/// A number outside its field's range, or text that is not a number.
public struct NumberFieldError: Error, Sendable, Hashable, CustomStringConvertible {
    public let field: String
    public let message: String

    public var description: String { "\(field): \(message)" }
}
