import Foundation
import PBX

/// A stored call detail record: its row id and the record.
public struct CDRRecord: Sendable, Hashable {
    public var id: Int64
    public var record: CallDetailRecord

    public init(id: Int64, record: CallDetailRecord) {
        self.id = id
        self.record = record
    }
}

/// Where a keyset page of the call history ends: its last record's start and id (the history is
/// ordered by start, then id, newest first); the next page starts after it.
public struct CDRCursor: Sendable, Hashable {
    public var start: Double
    public var id: Int64

    public init(start: Double, id: Int64) {
        self.start = start
        self.id = id
    }

    public init(_ record: CDRRecord) {
        self.init(start: record.record.start, id: record.id)
    }
}

/// What the call history shows: one tenant's records (or every tenant's, for the system
/// administrator only), filtered, newest first, one page at a time.
public struct CDRQuery: Sendable, Hashable {
    /// nil = every tenant (the system administrator's view; never for a tenant's own administrator).
    public var tenant: UUID?
    /// Records that started at or after `from` and before `to` (seconds since the epoch).
    public var from: Double?
    public var to: Double?
    /// A number that the source or the destination contains.
    public var number: String?
    public var disposition: CallDetailRecord.Disposition?
    public var limit: Int
    public var offset: Int

    /// Most records one page returns.
    public static let maximumLimit = 1000
    /// Longest number filter accepted.
    public static let maximumNumberLength = 64

    public init(
        tenant: UUID?, from: Double? = nil, to: Double? = nil, number: String? = nil,
        disposition: CallDetailRecord.Disposition? = nil, limit: Int = 50, offset: Int = 0
    ) {
        self.tenant = tenant
        self.from = from
        self.to = to
        self.number = number
        self.disposition = disposition
        self.limit = min(max(limit, 1), Self.maximumLimit)
        self.offset = max(offset, 0)
    }
}

/// One page of records and how many match in all.
public struct CDRPage: Sendable, Hashable {
    public var total: Int
    public var records: [CDRRecord]

    public init(total: Int, records: [CDRRecord]) {
        self.total = total
        self.records = records
    }
}
