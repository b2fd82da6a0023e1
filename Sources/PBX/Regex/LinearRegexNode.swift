/// The parsed form of a `LinearRegex` pattern.
indirect enum LinearRegexNode: Sendable, Equatable {
    case empty
    case byte(UInt8)
    case any
    case set(LinearRegexByteSet)
    case lineStart
    case lineEnd
    case concatenation([LinearRegexNode])
    case alternation([LinearRegexNode])
    /// A parenthesised group, numbered from 1 by its opening parenthesis (POSIX order).
    case group(Int, LinearRegexNode)
    /// `minimum` to `maximum` (nil: unbounded) repetitions.
    case repetition(LinearRegexNode, minimum: Int, maximum: Int?)
}
