/// Why a DNS message could not be read. Every length in a message is peer-controlled, so each
/// one is checked against what is left before it is used.
public enum DNSDecodingError: Error, Sendable, Equatable {
    /// A field runs past the end of the message.
    case truncated
    /// A name longer than 255 octets, a label longer than 63, or a reserved label type.
    case badName
    /// A compression pointer that does not point strictly backwards (a loop), or too many of them.
    case badPointer
    /// More records than `DNSMessage.maximumRecords`.
    case tooManyRecords
    /// A message that is not a response to a standard query.
    case notAResponse
}
