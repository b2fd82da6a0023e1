/// What the frame decoder hands to a session: a message, possibly marked as unusable.
public struct AMIInbound: Sendable, Equatable {
    /// Why a message cannot be run, with the exact reply text Asterisk sends.
    public enum Problem: Sendable, Equatable {
        case lineTooLong
        case tooManyLines

        /// The `Message:` text of the error reply.
        public var replyMessage: String {
            switch self {
            case .lineTooLong: return "Failed to parse message: line too long"
            case .tooManyLines: return "Too many lines in message or allocation failure"
            }
        }
    }

    public var message: AMIMessage
    public var problem: Problem?

    public init(message: AMIMessage, problem: Problem? = nil) {
        self.message = message
        self.problem = problem
    }
}
