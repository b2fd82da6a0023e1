/// The DNS record types RFC 3263 resolution needs (RFC 1035 §3.2.2, RFC 3596, RFC 2782).
public enum DNSRecordType: UInt16, Sendable {
    case a = 1
    case aaaa = 28
    case srv = 33
}
