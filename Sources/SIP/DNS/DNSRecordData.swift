/// The data of one answer record the resolver uses; other types are kept as `.other`.
public enum DNSRecordData: Sendable, Equatable {
    /// An IPv4 address, dotted.
    case a(String)
    /// An IPv6 address, as eight hex groups.
    case aaaa(String)
    /// RFC 2782: where the service runs.
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: String)
    case other(type: UInt16)
}
